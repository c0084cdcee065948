"""max_concurrent counted off by one: one job more runs at once."""

from __future__ import annotations

from collections.abc import Mapping

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def __init__(self, max_concurrent: int, *, capacity: Mapping[str, float] | None = None
                 ) -> None:
        super().__init__(max_concurrent, capacity=capacity)
        self._max = max_concurrent + 1  # as if the dispatch compared with <= instead of <
