"""max_concurrent counted off by one: one job more runs at once."""

from __future__ import annotations

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
        self._max = max_concurrent + 1  # as if the dispatch compared with <= instead of <
