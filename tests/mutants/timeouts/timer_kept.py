"""A timer left scheduled: the deadline is not cancelled when the job ends (its
callback then does nothing, but the loop still holds it)."""

from __future__ import annotations

from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    def finish(self) -> None:
        self.ended = True  # BUG: the deadline and grace timers stay scheduled


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)

