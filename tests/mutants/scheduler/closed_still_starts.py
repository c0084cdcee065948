"""aclose() refuses new jobs but lets the queued ones start and run (it drains the queue
instead of cancelling it): a closing scheduler still starts jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tests.mutants.scheduler import _base
from tests.mutants.scheduler._base import *  # noqa: F403
from tests.mutants.scheduler._base import WorkerJob
from workerjob.impl import scheduler as base

__all__ = [*_base.__all__, "JobScheduler"]


class JobScheduler(base.JobScheduler):
    refusing = False
    drained: asyncio.Event | None = None

    def submit(self, job: WorkerJob, *, priority: int = 0,
               needs: Mapping[str, float] | None = None) -> None:
        if self.refusing:
            self._check_needs({} if needs is None else needs)  # bad needs first, as the base
            raise RuntimeError("JobScheduler is closing: it accepts no new jobs")
        super().submit(job, priority=priority, needs=needs)

    def _release(self, admission: base._Admission) -> None:
        super()._release(admission)
        if self.drained is not None and not self._running and not self._queued:
            self.drained.set()

    async def aclose(self) -> None:
        self.refusing = True
        if self._running or self._queued:
            if self.drained is None:
                self.drained = asyncio.Event()
            await self.drained.wait()  # the bug: the queue drains, each job started
        await super().aclose()
