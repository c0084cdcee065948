"""add_or_run_now reads the phase, awaits, then inserts, so a continuation registered across
complete is lost.
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
    async def _add(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        state = self._state
        if isinstance(state, Done):
            await self._run_now(key, callback, worker, state)
            return
        # BUG: the phase read above is stale after this await: complete may run here,
        # drain the registry and become Done, and the insert below strands `callback`.
        await asyncio.sleep(0)
        self._insert(key, callback)


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
