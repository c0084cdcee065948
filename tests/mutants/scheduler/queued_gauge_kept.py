"""job.cancel() of a queued job takes it out of the queue and counts it completed, but
the scheduler's own jobs_queued gauge is not decremented (the totals are right)."""

from __future__ import annotations

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
    def _drop(self, admission: base._Admission) -> None:
        super()._drop(admission)
        self._metrics.jobs_queued += 1  # the bug: its own gauge still counts the job
