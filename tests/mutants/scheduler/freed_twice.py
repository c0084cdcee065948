"""A job's resources are given back twice when it ends."""

from __future__ import annotations

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _release(self, admission: base._Admission) -> None:
        again = admission.state == base.STARTED
        super()._release(admission)
        if again:
            for r, n in admission.needs:
                self._used[r] -= n
