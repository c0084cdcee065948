"""cancelled() returns at once, whether or not the token has been cancelled."""

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
    async def cancelled(self) -> None:
        return None  # BUG: does not wait for cancel()
