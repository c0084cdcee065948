"""The job completes its continuations only when run() returns, so a failing run() leaves them
Running and never started.
"""

from __future__ import annotations

from . import base
from .base import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
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


class WorkerJob(base.WorkerJob):
    async def _drive(self) -> None:
        # BUG: no completion when run() raises (the original's panic): the state stays
        # Running and no continuation starts. Only a hard cancel is still completed, by
        # the done-callback.
        await self.worker_task.run()
        await self._finish(None)
