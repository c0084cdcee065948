"""A backoff off by one attempt: after attempt n it waits delay(n + 1)."""

from __future__ import annotations

from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    async def _backoff(self, delay: float) -> None:
        assert self.retry is not None
        await super()._backoff(self.retry.delay(self.count + 1))  # BUG: one attempt ahead


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)

