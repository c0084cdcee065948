"""A deadline that fires after run() returned: its callback looks at nothing, and
the timer is disarmed by the task's done-callback only, one step late."""

from __future__ import annotations

from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    def _live(self) -> bool:
        return True  # BUG: run() may have ended already

    def finish(self) -> None:
        self.ended = True  # BUG: the timers wait for the done-callback (`disarm`)

    def disarm(self) -> None:
        super().finish()


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)


    def _settle_from_task(self, task: Any) -> None:
        if isinstance(self._timeouts, _Attempts):
            self._timeouts.disarm()
        super()._settle_from_task(task)
