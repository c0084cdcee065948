"""A second complete overwrites Done instead of raising InvalidStateError."""

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
    def _accepts_completion(self) -> bool:
        return True  # BUG: Done is not absorbing; a second complete replaces it


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
