"""A job's resources are never given back when it ends (its slot is)."""

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
    def _release(self, admission: base._Admission) -> None:
        admission.needs = ()  # nothing to give back
        super()._release(admission)
