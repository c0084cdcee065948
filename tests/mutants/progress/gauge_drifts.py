"""A hard cancel ends the job without ending its meter: `jobs_running` stays one too
high for good (and the job is never counted completed). Killed by `gauges-exact`."""

from __future__ import annotations

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob


class WorkerJob(BaseJob):
    def _settle(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        if hard_cancel:
            self._meter = None  # the bug: the meter is dropped before it is ended
        super()._settle(error, hard_cancel=hard_cancel)
