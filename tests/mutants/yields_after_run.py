"""The job's completion yields after run() returned, so a hard cancel in that one step makes
a normal run CANCELLED.
"""

from __future__ import annotations

import asyncio

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
        try:
            await self.worker_task.run()
        except BaseException as exc:
            hard = isinstance(exc, asyncio.CancelledError) and base._cancelling()
            await self._finish(exc, hard_cancel=hard)
            raise
        # BUG: a suspension between run()'s return and the completion. A hard cancel in
        # that one step raises CancelledError here, outside the try, and the done-callback
        # completes the job CANCELLED although run() ended normally.
        await asyncio.sleep(0)
        await self._finish(None)
