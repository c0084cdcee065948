"""A timeout classified FAILED: the TimeoutError completes the continuations as if
the token were not cancelled."""

from __future__ import annotations

import workerjob.impl as impl
from tests.mutants.timeouts import _base
from tests.mutants.timeouts._base import *  # noqa: F403
from tests.mutants.timeouts._base import CancellationToken

__all__ = [*_base.__all__, "WorkerJob"]


class WorkerJob(impl.WorkerJob):
    def _settle(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        if isinstance(error, TimeoutError) and self.timed_out:
            # BUG: completed with a token of its own, never cancelled
            self.worker_job_continuations._settle(error, self.worker, CancellationToken())
            return
        super()._settle(error, hard_cancel=hard_cancel)
