"""The first registration under a key wins instead of the later one."""

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
    def _insert(self, key: str, callback: ContinuationFn) -> None:
        self._registry.setdefault(key, callback)  # BUG: keeps the earlier registration


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
