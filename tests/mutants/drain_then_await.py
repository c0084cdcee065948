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
        if (first := getattr(self, "_completing", None)) is not None:
            # A second complete while the first is in its await: it waits for the first
            # and is refused, as SPEC wants. The mutant has one bug, the early drain.
            await first.wait()
            return False
        self._completing = asyncio.Event()
        due = self._drain()
        # BUG: the registry is taken while the phase is still Running; an add_or_run_now
        # during this await registers into a registry that nobody will drain again.
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            # Not this mutant's bug: a hard cancel of the job's task that arrives once
            # run() has ended changes nothing (SPEC), so the completion goes on.
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
        state = self._outcome(self._classify(error, token, hard_cancel), error)
        self._state = state
        for key, callback in due.items():
            self._spawn(key, callback, worker, state)
        self._completing.set()
        return True


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
