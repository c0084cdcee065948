"""Failure wins over cancellation: an error with a cancelled token is FAILED."""

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
    def _classify(
        self, error: BaseException | None, token: CancellationToken, hard_cancel: bool
    ) -> CompletionType:
        if error is not None and not hard_cancel:  # BUG: failure checked before cancellation
            return CompletionType.FAILED
        return super()._classify(error, token, hard_cancel)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
