"""add_or_run_now accepts a key that is not a str and registers the callback under it."""

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
    async def add_or_run_now(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        # BUG: the key's type is not checked.
        base._require(callable(callback), "callback must be callable", callback)
        base._require_worker(worker)
        await self._add(key, callback, worker)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
