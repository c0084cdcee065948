"""`original_like` with the state read guard released before the map insert (the
explorer's `guard-dropped` variant): a registration that races `complete` is lost.
The `original` spec allows the original's departures, not this: it must kill it."""

from __future__ import annotations

from . import original_like
from .original_like import (
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


class Continuations(original_like.Continuations):
    guard_dropped = True


class WorkerJob(original_like.WorkerJob):
    continuations_type = Continuations
