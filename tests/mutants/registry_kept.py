"""Starting the due continuations does not empty the registry, so a later add_or_run_now while
Done starts every earlier continuation again.
"""

from __future__ import annotations

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
    def _drain(self) -> dict[str, ContinuationFn]:
        return dict(self._registry)  # BUG: a copy; the registry keeps what is now started


class WorkerJob(base.WorkerJob):
    continuations_type = Continuations
