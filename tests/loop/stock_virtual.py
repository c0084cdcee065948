"""The stock loop's own ``_run_once`` with a virtual clock, as a reference.

Like CPython's ``TestLoop`` (Lib/test/test_asyncio/utils.py), this subclass of
``BaseEventLoop`` keeps the stock ``_run_once`` unchanged and replaces only the
selector and the clock: ``select(timeout)`` returns no events and moves the
clock on by ``timeout``, which is exactly how long the stock loop would have
slept.  Programs with timers run on it deterministically, so the controlled
loop's FIFO mode can be compared with the stock scheduling code itself,
iterations and due timers included.

One deliberate difference is carried over from the controlled loop: timers
due at the same instant fire in the order they were scheduled.  The stock heap
orders equal deadlines by its internal layout; under a real clock they are
not equal, and the earlier-scheduled one is due first.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable
from contextvars import Context
from typing import Any, TypeVarTuple

from workerjob.conformance.loop.loop import _FifoTimerHandle

_Ts = TypeVarTuple("_Ts")


class _AdvancingSelector:
    def __init__(self, loop: VirtualTimeStockLoop) -> None:
        self._loop = loop

    def select(self, timeout: float | None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("the stock loop would block forever here (a deadlock)")
        self._loop.now += timeout
        return []


class VirtualTimeStockLoop(asyncio.BaseEventLoop):
    _scheduled: list[_FifoTimerHandle]

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self._selector = _AdvancingSelector(self)
        self._timer_order = 0

    def call_at(
        self,
        when: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        # BaseEventLoop.call_at with the controlled loop's tie-break (see above).
        self._timer_order += 1
        timer = _FifoTimerHandle(self._timer_order, when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def time(self) -> float:
        return self.now

    def _process_events(self, event_list: list[Any]) -> None:
        pass

    def _write_to_self(self) -> None:
        pass
