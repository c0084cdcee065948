"""Among equal priorities the latest submitted starts first."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from workerjob.impl import (
    CancellationToken,
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
from workerjob.impl import scheduler as base

__all__ = [
    "CancellationToken",
    "CompletionType",
    "ContinuationFn",
    "Continuations",
    "Done",
    "JobScheduler",
    "JobState",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
]


class JobScheduler(base.JobScheduler):
    def __init__(self, max_concurrent: int, *, capacity: Mapping[str, float] | None = None
                 ) -> None:
        super().__init__(max_concurrent, capacity=capacity)
        self._seq = itertools.count(0, -1)  # later submissions rank first
