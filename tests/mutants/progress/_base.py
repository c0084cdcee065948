"""What every mutant here starts from: the bundled implementation, with a `WorkerJob`
whose progress channel and continuations a mutant may swap for its own classes."""

from __future__ import annotations

from typing import Any

from workerjob import impl
from workerjob.impl import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    JobState,
    Progress,
    ProgressChannel,
    Running,
    Worker,
    WorkerTask,
    report_progress,
    snapshot,
)

__all__ = [  # a subject's names, but WorkerJob: each mutant defines its own
    "CancellationToken", "CompletionType", "ContinuationFn", "Continuations", "Done",
    "JobState", "Progress", "ProgressChannel", "Running", "Worker", "WorkerTask",
    "report_progress", "snapshot",
]


class BaseJob(impl.WorkerJob):
    """The bundled job, building its parts from the classes below."""

    channel_type: type[ProgressChannel] = ProgressChannel
    continuations_type: type[Continuations] = Continuations

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if self.channel_type is not ProgressChannel or self.continuations_type is not Continuations:
            self.progress = self.channel_type()
            self.worker_job_continuations = self.continuations_type(
                owner=self, on_done=self.progress._close)
