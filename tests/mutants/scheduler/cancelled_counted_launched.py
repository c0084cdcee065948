"""A job cancelled while queued is counted in the scheduler's jobs_launched (as if
dropping it were launching it), though it never runs."""

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
    def _complete_unstarted(self, admission: base._Admission) -> None:
        super()._complete_unstarted(admission)
        self._metrics.jobs_launched += 1  # the bug: never launched, counted launched
