"""The asyncio implementation of workerjob (SPEC.md): what people run.

This package never imports `workerjob.model`: an oracle that shares code with its
subject checks nothing. They share names, not code.
"""

from .continuations import Continuations
from .job import WorkerJob
from .timeouts import RetryPolicy
from .token import CancellationToken
from .types import (
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
    "RetryPolicy",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
]
