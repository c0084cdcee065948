"""complete reads the token before an await and changes the state after it, so a cancel()
in between is missed, and a hard cancel there turns a finished run() into a cancelled job.
"""

# Unlike the original (whose early read it imitates), the await is also where the job's
# own completion can be cut short: a hard cancel that arrives there, after run() ended,
# makes the base's done-callback complete the continuations CANCELLED and wait() raise
# CancelledError, where SPEC says a hard cancel after run() ended changes nothing (the
# original, aborted there, would stay Running). The campaign usually meets the missed
# cancel() first.

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
        # BUG: the token was read before this await and the state changes after it, as
        # the original reads it before the write lock: a cancel() here is missed. A hard
        # cancel of the job's task here cuts its completion short (see the docstring).
        await asyncio.sleep(0)
        if not self._accepts_completion():
            return False
        state = self._outcome(kind, error)
        self._state = state
        self._fire(worker, state)
        return True


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
