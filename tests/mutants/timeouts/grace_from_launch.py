"""A grace period counted from launch instead of from the deadline."""

from __future__ import annotations

import asyncio
from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    def arm(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        self.launched_at = loop.time()
        super().arm(loop, task)

    def _on_deadline(self, when: float) -> None:
        super()._on_deadline(when)
        if self._grace is not None and self.grace is not None:
            self._grace.cancel()
            at = self.launched_at + self.grace  # BUG: from launch, not from the deadline
            self._grace = asyncio.get_running_loop().call_at(at, self._on_grace, at)


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)
