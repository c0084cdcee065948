"""A job's resources are never given back when it ends (its slot is)."""

from __future__ import annotations

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _release(self, admission: base._Admission) -> None:
        admission.needs = ()  # nothing to give back
        super()._release(admission)
