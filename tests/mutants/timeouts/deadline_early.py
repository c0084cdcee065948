"""A deadline that takes effect early: its timer fired within the clock's resolution
before the deadline, and the job does not look at the clock again."""

from __future__ import annotations

import asyncio
from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    def _on_deadline(self, when: float) -> None:
        # BUG: whenever the timer fires is the deadline
        super()._on_deadline(min(when, asyncio.get_running_loop().time()))


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)
