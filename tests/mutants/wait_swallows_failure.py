"""wait() returns None when run() raised an exception."""

from __future__ import annotations

import asyncio
import contextlib

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
    def _result(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(Exception):  # BUG: like the original's Ok(()) on failure
            task.result()
