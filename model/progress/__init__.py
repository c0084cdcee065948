"""The model of progress reporting and metrics (ENHANCEMENTS.md, "Progress", "Metrics").

Pure, like the rest of `workerjob.model`: frozen values and short functions, no asyncio,
no clock. It may import `workerjob.model` (the atomic spec's `State` and phases, since
progress closes at the job's Done and every metric is a function of the job's state)
and nothing else of the project.

- `channel`: a job's progress as part of its state (a watch channel: monotone, closed at
  Done) and what a reader of `updates()` may see;
- `oracle`: the atomic spec's oracle for a job plus these as observations (what
  `check-trace` runs on a progress-level trace);
- `metrics`: every counter and gauge as a function of the model's state and of the
  counts the harness keeps, with the invariants that tie them together.
"""

from workerjob.model.progress.channel import (
    INVARIANTS,
    Accepted,
    Channel,
    Reader,
    Refused,
    Report,
    ReportOutcome,
    deliver,
    end_of_updates,
    reader_must_end,
    report,
)
from workerjob.model.progress.metrics import (
    COUNTERS,
    GAUGES,
    Metrics,
    metrics_of,
    metrics_problems,
)
from workerjob.model.progress.oracle import (
    ContinuationRaised,
    LatestRead,
    MetricsRead,
    ProgressObservation,
    ProgressOracle,
    ProgressViolation,
    ReaderEnded,
    ReaderGot,
    ReaderStarted,
    Reported,
    RunCalled,
)

__all__ = [
    "COUNTERS",
    "GAUGES",
    "INVARIANTS",
    "Accepted",
    "Channel",
    "ContinuationRaised",
    "LatestRead",
    "Metrics",
    "MetricsRead",
    "ProgressObservation",
    "ProgressOracle",
    "ProgressViolation",
    "Reader",
    "ReaderEnded",
    "ReaderGot",
    "ReaderStarted",
    "Refused",
    "Report",
    "ReportOutcome",
    "Reported",
    "RunCalled",
    "deliver",
    "end_of_updates",
    "metrics_of",
    "metrics_problems",
    "reader_must_end",
    "report",
]
