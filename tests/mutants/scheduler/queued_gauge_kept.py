"""job.cancel() of a queued job takes it out of the queue and counts it completed, but
the scheduler's own jobs_queued gauge is not decremented (the totals are right)."""

from __future__ import annotations

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _drop(self, admission: base._Admission) -> None:
        super()._drop(admission)
        self._metrics.jobs_queued += 1  # the bug: its own gauge still counts the job
