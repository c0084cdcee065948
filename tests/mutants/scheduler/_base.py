"""What every scheduler mutant exports besides its own `JobScheduler`: the bundled
implementation's names, so that a mutant stays a subject module of its own
(`--impl tests.mutants.scheduler.X`) whose only difference is its scheduler."""

from __future__ import annotations

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
    WorkerJob,
    WorkerTask,
    report_progress,
    snapshot,
)

__all__ = [  # a subject's names, but JobScheduler: each mutant defines its own
    "CancellationToken", "CompletionType", "ContinuationFn", "Continuations", "Done",
    "JobState", "Progress", "ProgressChannel", "Running", "Worker", "WorkerJob",
    "WorkerTask", "report_progress", "snapshot",
]
