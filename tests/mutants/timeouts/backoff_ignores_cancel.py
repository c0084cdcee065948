"""A backoff that sleeps through a cancel: it waits its whole delay, and only then
sees the token (no attempt starts, but the job does not end at once)."""

from __future__ import annotations

import asyncio
from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    async def _backoff(self, delay: float) -> None:
        await asyncio.sleep(delay)  # BUG: the token is not watched


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)
