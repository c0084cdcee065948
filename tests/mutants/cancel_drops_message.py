"""The error message is dropped when the job ends CANCELLED."""

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
    def _outcome(self, kind: CompletionType, error: BaseException | None) -> Done:
        if kind is CompletionType.CANCELLED:
            return Done(kind, None)  # BUG: SPEC keeps the message whatever the kind
        return super()._outcome(kind, error)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
