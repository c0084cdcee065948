"""A job cancelled while queued is counted in the scheduler's jobs_launched (as if
dropping it were launching it), though it never runs."""

from __future__ import annotations

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _complete_unstarted(self, admission: base._Admission) -> None:
        super()._complete_unstarted(admission)
        self._metrics.jobs_launched += 1  # the bug: never launched, counted launched
