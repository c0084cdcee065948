"""A retry after cancel: the token is not read before the next attempt."""

from __future__ import annotations

from typing import Any

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from workerjob.impl.timeouts import Attempts

__all__ = [*_base.__all__, "WorkerJob"]


class _Attempts(Attempts):
    def _may_start_again(self) -> bool:
        return True  # BUG: the token is not read


class WorkerJob(impl.WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._timeouts is not None:
            t = self._timeouts
            self._timeouts = _Attempts(self, t.timeout, t.grace, t.retry)

