"""is_complete() is always False, even once the job has finished."""

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
    def is_complete(self) -> bool:
        return False  # BUG: never reports the job finished
