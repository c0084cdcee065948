"""add_or_run_now while Done awaits the continuation instead of starting it as its own task."""

from __future__ import annotations

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
    async def _run_now(
        self, key: str, callback: ContinuationFn, worker: Worker, state: Done
    ) -> None:
        # BUG: the caller waits for the continuation; one that waits for the caller deadlocks.
        await self._invoke(key, callback, worker, state)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
