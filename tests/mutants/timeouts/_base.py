"""What every timeouts mutant exports besides its own `WorkerJob`: the bundled
implementation's names, so that a mutant stays a subject module of its own
(`--impl tests.mutants.timeouts.X`) whose only difference is its job."""

from __future__ import annotations

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    JobState,
    RetryPolicy,
    Running,
    Worker,
    WorkerTask,
)

__all__ = [  # a subject's names, but WorkerJob: each mutant defines its own
    "CancellationToken", "CompletionType", "ContinuationFn", "Continuations", "Done",
    "JobState", "RetryPolicy", "Running", "Worker", "WorkerTask",
]
