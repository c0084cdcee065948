"""The due continuations are started in the reverse of their order.

Correct: SPEC promises no order among due continuations.
"""

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
    def _fire(self, worker: Worker, state: Done) -> None:
        for key, callback in reversed(list(self._drain().items())):
            self._spawn(key, callback, worker, state)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
