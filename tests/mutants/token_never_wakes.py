"""cancel() sets the flag but does not wake the tasks waiting in cancelled()."""

from __future__ import annotations

from . import base
from .base import (
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    JobState,
    Running,
    Worker,
    WorkerJob,
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


class CancellationToken(base.CancellationToken):
    def cancel(self) -> None:
        self._cancelled = True  # BUG: the event is never set, so waiters sleep on
