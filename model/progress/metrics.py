"""The metrics of ENHANCEMENTS.md as functions of the model's state.

A counter or a gauge is not trusted: it is computed. For one job (or `Continuations`
alone) in the atomic spec's `State`, `metrics_of` says what every instrument must read
at that state; the two numbers the state does not hold (calls of `run()`, and
continuations that raised: what a continuation does inside is not the spec's business)
come from the harness, which sees them happen. Each instrument changes at one instant:

- `jobs_launched`: 1 once launched (at `launch()`'s effect);
- `jobs_running`: launched and the job's own completion step not done yet;
- `jobs_completed[t]`: 1 once the job's completion step is done, `t` the type of the
  phase then (`Done(t, _)`);
- `continuations_registered`: the size of the registry (an add under a new key adds
  one, a replacing add nothing, `latch` empties it);
- `continuations_started`: the continuations started (each `Start`);
- `continuations_raised`: the continuations that raised (each raise, when caught);
- `attempts`: the calls of `run()`;
- `timeouts`, `jobs_queued`, `queue_wait.count`: 0 (no timeout, no scheduler here);
- `run_duration.count`: launched jobs whose completion step is done.

"The job's own completion" is `JobCompletes` (also when someone else made the phase
Done first: the job is then completed with that phase's type, and still counted once).
The gauges are therefore exact at every instant; the oracle keeps a set of possible
states, so an observed snapshot must equal `metrics_of` of one of them, and it rules out
the others (a snapshot is an observation like a state read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from workerjob.model.state import State
from workerjob.model.vocabulary import CompletionType, Done

COUNTERS = ("jobs_launched", "jobs_completed", "attempts", "timeouts",
            "continuations_started", "continuations_raised")
GAUGES = ("jobs_running", "jobs_queued", "continuations_registered")


@dataclass(frozen=True, slots=True)
class Metrics:
    """What `snapshot()` reads (relative to a baseline), histograms by their count.
    `jobs_completed` holds one count per completion type, in `CompletionType` order."""

    jobs_launched: int = 0
    jobs_completed: tuple[int, int, int] = (0, 0, 0)
    attempts: int = 0
    timeouts: int = 0
    continuations_started: int = 0
    continuations_raised: int = 0
    jobs_running: int = 0
    jobs_queued: int = 0
    continuations_registered: int = 0
    run_duration_count: int = 0
    queue_wait_count: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                         if getattr(self, f.name) not in (0, (0, 0, 0))) or "all zero"


_KINDS = tuple(CompletionType)


def metrics_of(s: State, *, attempts: int = 0, raised: int = 0) -> Metrics:
    """Every instrument at state `s`; `attempts` and `raised` as the harness saw them."""
    job = s.job
    launched = job is not None and job.launched
    completed = job is not None and job.completed
    by_kind = (0, 0, 0)
    if completed and isinstance(s.phase, Done):  # job_completes latches: always Done here
        by_kind = tuple(int(k is s.phase.completion_type) for k in _KINDS)  # type: ignore[assignment]
    return Metrics(
        jobs_launched=int(launched),
        jobs_completed=by_kind,
        attempts=attempts,
        continuations_started=len(s.started),
        continuations_raised=raised,
        jobs_running=int(launched and not completed),
        continuations_registered=len(s.registry),
        run_duration_count=int(launched and completed),
    )


def metrics_problems(expected: Metrics, observed: Metrics) -> list[str]:
    """The instruments that differ, each as `name: observed, expected`."""
    out = []
    for f in fields(Metrics):
        want, got = getattr(expected, f.name), getattr(observed, f.name)
        if want != got:
            out.append(f"{f.name} reads {got}, the trace implies {want}")
    return out


# --- invariants over the instruments' values --------------------------------------------


@dataclass(frozen=True)
class MetricInvariant:
    name: str
    sentence: str
    holds: Callable[[Metrics], bool]


@dataclass(frozen=True)
class MetricStepInvariant:
    name: str
    sentence: str
    holds: Callable[[Metrics, Metrics], bool]


def balance(m: Metrics) -> bool:
    # Each launched job is running, or has ended and had its run duration recorded.
    return m.jobs_launched == m.jobs_running + m.run_duration_count


def completed_cover_ended(m: Metrics) -> bool:
    # Every launched job that ended completed; a job cancelled while queued completes
    # too, without a run (so `>=`; in the atomic spec, with no scheduler, `==`).
    return sum(m.jobs_completed) >= m.run_duration_count


def gauges_non_negative(m: Metrics) -> bool:
    return min(m.jobs_running, m.jobs_queued, m.continuations_registered) >= 0


def raised_were_started(m: Metrics) -> bool:
    return m.continuations_raised <= m.continuations_started


def counters_monotone(before: Metrics, after: Metrics) -> bool:
    pairs = [(getattr(before, n), getattr(after, n)) for n in COUNTERS if n != "jobs_completed"]
    pairs += list(zip(before.jobs_completed, after.jobs_completed, strict=True))
    pairs += [(before.run_duration_count, after.run_duration_count),
              (before.queue_wait_count, after.queue_wait_count)]
    return all(a <= b for a, b in pairs)


METRIC_INVARIANTS = (
    MetricInvariant("balance", "Every launched job is running or completed, once.", balance),
    MetricInvariant("gauges-non-negative", "No gauge reads below zero.", gauges_non_negative),
    MetricInvariant("completed-cover-ended", "Every launched job that ended is completed.",
                    completed_cover_ended),
    MetricInvariant("raised-were-started", "A continuation raises only once started.",
                    raised_were_started),
)
METRIC_STEP_INVARIANTS = (
    MetricStepInvariant("counters-monotone", "No counter and no histogram count goes down.",
                        counters_monotone),
)
