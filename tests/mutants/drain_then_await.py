"""complete takes the registry, awaits, then sets Done, so a continuation added in between is
lost.
"""

from __future__ import annotations

import asyncio

from . import base
from .base import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Done,
    JobState,
    Running,
    Worker,
    WorkerTask,
)

__all__ = [
    "CancellationToken",
    "CompletionType",
    "ContinuationFn",
    "Continuations",
    "Done",
    "JobState",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
]


class Continuations(base.Continuations):
    async def _complete(
        self,
        error: BaseException | None,
        worker: Worker,
        token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        if not self._accepts_completion():
            return False
        due = self._drain()
        # BUG: the registry is taken while the phase is still Running; an add_or_run_now
        # during this await registers into a registry that nobody will drain again.
        await asyncio.sleep(0)
        state = self._outcome(self._classify(error, token, hard_cancel), error)
        self._state = state
        for key, callback in due.items():
            self._spawn(key, callback, worker, state)
        return True


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
