"""Every operation takes an asyncio.Lock and yields while it holds it, and changes the state in
one stretch with no suspension.

Correct: an operation still takes effect at one instant (the stretch between its last
yield and its next), and the lock only orders the operations; the job shields its own
completion, as SPEC asks of an implementation whose completion awaits.
"""

from __future__ import annotations

import asyncio

from . import base
from .base import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Done,
    JobState,
    Running,
    Worker,
    WorkerTask,
)

__all__ = [
    "CancellationToken",
    "CompletionType",
    "ContinuationFn",
    "Continuations",
    "Done",
    "JobState",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
]


class Continuations(base.Continuations):
    def __init__(self) -> None:
        super().__init__()
        self._lock = asyncio.Lock()

    async def _add(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        async with self._lock:
            await asyncio.sleep(0)  # others run meanwhile; those that need the lock queue
            await super()._add(key, callback, worker)  # never suspends: the instant
            await asyncio.sleep(0)

    async def _complete(
        self,
        error: BaseException | None,
        worker: Worker,
        token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        async with self._lock:
            await asyncio.sleep(0)
            # The token is read here, in the same stretch as the state changes; nothing
            # suspends after it, so the job's finished mark joins the same stretch.
            return self._settle(error, worker, token, hard_cancel=hard_cancel)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations

    async def _finish(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        # The completion awaits (the lock, the yields), so it runs as its own task and a
        # hard cancel that arrives now changes nothing: run() has already ended (SPEC).
        completion = asyncio.ensure_future(super()._finish(error, hard_cancel=hard_cancel))
        while not completion.done():
            try:
                await asyncio.shield(completion)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or not task.cancelling():
                    raise  # not a cancel of this task: the completion itself was cancelled
                task.uncancel()
