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
    Progress,
    ProgressChannel,
    Running,
    Worker,
    WorkerJob,
    WorkerTask,
    report_progress,
    snapshot,
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
    "Progress",
    "ProgressChannel",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
    "report_progress",
    "snapshot",
]


class JobScheduler(base.JobScheduler):
    def __init__(self, max_concurrent: int, *, capacity: Mapping[str, float] | None = None
                 ) -> None:
        super().__init__(max_concurrent, capacity=capacity)
        self._seq = itertools.count(0, -1)  # later submissions rank first
