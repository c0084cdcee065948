"""Each continuation receives a copy of the worker, equal to the one handed over but another
object.
"""

from __future__ import annotations

import dataclasses

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
    def _spawn(self, key: str, callback: ContinuationFn, worker: Worker, state: Done) -> None:
        # BUG: an equal copy (same name, same id), not the worker complete was given.
        super()._spawn(key, callback, dataclasses.replace(worker), state)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
