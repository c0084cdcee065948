"""complete reads the token at its invocation and changes the state after an await, so a
cancel() in between is missed.
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
    async def _complete(
        self,
        error: BaseException | None,
        worker: Worker,
        token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        kind = self._classify(error, token, hard_cancel)
        # BUG: the token was read before this await and the state changes after it, as in
        # the original (token read before the write lock): a cancel() here is missed.
        await asyncio.sleep(0)
        if not self._accepts_completion():
            return False
        state = self._outcome(kind, error)
        self._state = state
        self._fire(worker, state)
        return True


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
