"""The asyncio implementation of workerjob (SPEC.md): what people run.

This package never imports `workerjob.model`: an oracle that shares code with its
subject checks nothing. They share names, not code.
"""

from .continuations import Continuations
from .job import WorkerJob
from .metrics import snapshot
from .progress import Progress, ProgressChannel, report_progress
from .scheduler import JobScheduler
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
    "JobScheduler",
    "JobState",
    "Progress",
    "ProgressChannel",
    "RetryPolicy",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
    "report_progress",
    "snapshot",
]
