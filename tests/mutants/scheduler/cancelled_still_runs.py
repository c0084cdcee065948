"""job.cancel() of a queued job completes it but leaves it queued, and it is started
later all the same."""

from __future__ import annotations

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _drop(self, admission: base._Admission) -> None:
        job = admission.job
        job.worker_job_continuations._settle(None, job.worker, job.cancellation_token)
        # the bug: still QUEUED, still counted

    def _cancelled_before_start(self, admission: base._Admission) -> bool:
        return False
