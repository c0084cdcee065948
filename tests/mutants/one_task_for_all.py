"""The due continuations run one after another in one task, so one that raises stops the rest."""

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
    def _fire(self, worker: Worker, state: Done) -> None:
        due = self._drain()

        async def run_all() -> None:
            # BUG: one task for all, nothing caught: the first that raises ends the task
            # and the continuations after it never start.
            for callback in due.values():
                await callback(worker, state.completion_type, state.error_message)

        base._hold(asyncio.get_running_loop().create_task(run_all()))


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
