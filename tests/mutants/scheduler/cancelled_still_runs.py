"""job.cancel() of a queued job completes it but leaves it queued, and it is started
later all the same."""

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
        job = admission.job
        job.worker_job_continuations._settle(None, job.worker, job.cancellation_token)
        # the bug: still QUEUED, still counted

    def _cancelled_before_start(self, admission: base._Admission) -> bool:
        return False
