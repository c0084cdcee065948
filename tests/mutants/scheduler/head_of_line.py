"""The dispatch stops at the first queued job if it does not fit, instead of starting
a smaller one behind it."""

from __future__ import annotations

import heapq

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    def _dispatch(self) -> None:
        while not self._closing and self._queued and self._running < self._max:
            heads = []
            for needs, heap in list(self._classes.items()):
                while heap and heap[0][2].state != base.QUEUED:
                    heapq.heappop(heap)
                    self._dead -= 1
                if heap:
                    heads.append(heap[0])
                else:
                    del self._classes[needs]
            if not heads:
                return
            first = min(heads)
            if not self._fits(first[2].needs):
                return  # the bug: the first does not fit, so nothing starts
            heapq.heappop(self._classes[first[2].needs])
            if self._cancelled_before_start(first[2]):
                self._queued -= 1
                self._complete_unstarted(first[2])
                continue
            self._start(first[2])
