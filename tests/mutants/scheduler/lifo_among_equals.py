"""Among equal priorities the latest submitted starts first."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def __init__(self, max_concurrent: int, *, capacity: Mapping[str, float] | None = None
                 ) -> None:
        super().__init__(max_concurrent, capacity=capacity)
        self._seq = itertools.count(0, -1)  # later submissions rank first
