"""Done carries the completion type's string value instead of the enum member."""

from __future__ import annotations

from typing import cast

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
        done = super()._outcome(kind, error)
        # BUG: "normal", "cancelled", "failed" as bare strings, in the state and in what
        # every continuation receives.
        return Done(cast(CompletionType, kind.value), done.error_message)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
