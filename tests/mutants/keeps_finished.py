"""Every continuation started is kept in a list, so nothing that has finished is ever freed."""

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
    def _spawn(self, key: str, callback: ContinuationFn, worker: Worker, state: Done) -> None:
        # BUG: a history of everything started, kept as long as the continuations are.
        self.__dict__.setdefault("started", []).append(callback)
        super()._spawn(key, callback, worker, state)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
