"""Metrics (ENHANCEMENTS.md, "Metrics"): counters, gauges and histograms of the jobs.

One `Registry` holds the totals (`TOTAL`, read by `snapshot()`); a scheduler keeps a
`Registry` of its own and passes it as the *scope* of its jobs, which then count in
both. The implementation calls the hook functions below at the instants the model
names (`model/progress/metrics.py`): each hook is one synchronous stretch, so every
instrument changes at one instant, together with the state it describes.

Per job, `job_launched` (or `job_queued`, for a scheduler) returns a `JobMeter` that
the job keeps and hands to the later hooks; it makes `job_ended` count a job once,
whichever path ends it. With metrics off (`set_enabled(False)`) the job hooks return
None and every hook returns at its first line. Switch before jobs run: a job launched
with metrics off is never counted, and a continuation registered with metrics on and
made due with them off stays in the gauge.

Where `opentelemetry-api` is installed, the same instruments are published through
the meter `"workerjob"` (counters and gauges as observable instruments read from
`TOTAL` at collection time; the histograms recorded as they are observed). The API is
a no-op until the application configures an SDK.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BOUNDS",
    "TOTAL",
    "Histogram",
    "JobMeter",
    "Registry",
    "enabled",
    "set_enabled",
    "snapshot",
]

BOUNDS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0)
"""Upper bounds of the histograms' buckets, in seconds (loop clock); one more bucket
holds what is above the last."""

_KINDS = ("normal", "cancelled", "failed")
_bisect = bisect.bisect_left
_kind_names: dict[object, str] = {}
"""A completion type -> its string value (Enum's `.value` is a slow property)."""


class Histogram:
    __slots__ = ("bucket_counts", "count", "max", "min", "sum")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.min: float | None = None
        self.max: float | None = None
        self.bucket_counts = [0] * (len(BOUNDS) + 1)

    def observe(self, value: float) -> None:
        if self.count == 0:
            self.min = self.max = value
        elif value < self.min:  # type: ignore[operator]
            self.min = value
        elif value > self.max:  # type: ignore[operator]
            self.max = value
        self.count += 1
        self.sum += value
        # bisect_left: a value equal to a bound falls in that bound's bucket (le).
        self.bucket_counts[_bisect(BOUNDS, value)] += 1

    def snapshot(self) -> dict[str, Any]:
        return {"count": self.count, "sum": self.sum, "min": self.min, "max": self.max,
                "bounds": list(BOUNDS), "bucket_counts": list(self.bucket_counts)}


class Registry:
    """Every instrument, as plain attributes."""

    __slots__ = ("attempts", "continuations_raised", "continuations_registered",
                 "continuations_started", "jobs_completed", "jobs_launched", "jobs_queued",
                 "jobs_running", "queue_wait", "run_duration", "timeouts")

    def __init__(self) -> None:
        self.jobs_launched = 0
        self.jobs_completed = dict.fromkeys(_KINDS, 0)
        self.attempts = 0
        self.timeouts = 0
        self.continuations_started = 0
        self.continuations_raised = 0
        self.jobs_running = 0
        self.jobs_queued = 0
        self.continuations_registered = 0
        self.run_duration = Histogram()
        self.queue_wait = Histogram()

    def snapshot(self) -> dict[str, Any]:
        """Plain data: ints, floats, None, lists and dicts with str keys."""
        return {
            "jobs_launched": self.jobs_launched,
            "jobs_completed": dict(self.jobs_completed),
            "attempts": self.attempts,
            "timeouts": self.timeouts,
            "continuations_started": self.continuations_started,
            "continuations_raised": self.continuations_raised,
            "jobs_running": self.jobs_running,
            "jobs_queued": self.jobs_queued,
            "continuations_registered": self.continuations_registered,
            "run_duration": self.run_duration.snapshot(),
            "queue_wait": self.queue_wait.snapshot(),
        }


TOTAL = Registry()
_on = True


def snapshot() -> dict[str, Any]:
    """Every instrument, over all jobs, as plain data."""
    return TOTAL.snapshot()


def enabled() -> bool:
    return _on


def set_enabled(on: bool) -> None:
    """Turn the metrics on or off for the whole process (before jobs run)."""
    global _on
    _on = bool(on)


class JobMeter:
    """What a job's hooks share: its scope, when it was queued and launched, and
    whether it has been counted as ended."""

    __slots__ = ("ended", "launched_at", "queued_at", "scope")

    def __init__(self, scope: Registry | None) -> None:
        self.scope = scope
        self.queued_at: float | None = None
        self.launched_at = 0.0
        self.ended = False

    def registries(self) -> Iterable[Registry]:
        return (TOTAL,) if self.scope is None else (TOTAL, self.scope)


_get_running_loop = asyncio.get_running_loop


def _now() -> float:
    return _get_running_loop().time()


# --- the job's hooks ----------------------------------------------------------------------


def job_queued(scope: Registry | None = None, *, at: float | None = None) -> JobMeter | None:
    """A scheduler queued a job (`submit`). Keep the meter; pass it to the next hooks.

    `at`: the time on the scheduler's loop clock, for a `submit` made where no loop is
    running (default: the running loop's time)."""
    if not _on:
        return None
    meter = JobMeter(scope)
    meter.queued_at = _now() if at is None else at
    for r in meter.registries():
        r.jobs_queued += 1
    return meter


def job_dequeued(meter: JobMeter | None, *, cancelled: bool = False) -> None:
    """A queued job leaves the queue: to start (then `job_launched`), or cancelled (it
    then completes CANCELLED without a launch, and is not waited for in queue_wait)."""
    if meter is None or meter.queued_at is None:
        return
    waited = _now() - meter.queued_at
    meter.queued_at = None
    for r in meter.registries():
        r.jobs_queued -= 1
        if cancelled:
            r.jobs_completed["cancelled"] += 1
        else:
            r.queue_wait.observe(waited)
    if cancelled:
        meter.ended = True
    if _otel_queue_wait is not None and not cancelled:
        _otel_queue_wait.record(waited)


def job_launched(meter: JobMeter | None = None) -> JobMeter | None:
    """A job is launched (its task created). Returns the meter the job keeps."""
    if not _on:
        return None
    if meter is None:
        meter = JobMeter(None)
    elif meter.queued_at is not None:
        job_dequeued(meter)
    meter.launched_at = _get_running_loop().time()
    TOTAL.jobs_launched += 1
    TOTAL.jobs_running += 1
    scope = meter.scope
    if scope is not None:
        scope.jobs_launched += 1
        scope.jobs_running += 1
    return meter


def attempt_started(meter: JobMeter | None) -> None:
    """`run()` is called (once per attempt)."""
    if meter is not None:
        TOTAL.attempts += 1
        if meter.scope is not None:
            meter.scope.attempts += 1


def timed_out(meter: JobMeter | None) -> None:
    """The job's deadline passed (it cancels its token)."""
    if meter is not None:
        for r in meter.registries():
            r.timeouts += 1


def job_ended(meter: JobMeter | None, state: object) -> None:
    """The job's own completion: it stops running and counts under the type of its
    `state` (Done). Idempotent: the first call counts."""
    if meter is None or meter.ended:
        return
    meter.ended = True
    ctype = getattr(state, "completion_type", None)
    kind = _kind_names.get(ctype)
    if kind is None:
        kind = _kind_names[ctype] = getattr(ctype, "value", "cancelled")
    duration = _get_running_loop().time() - meter.launched_at
    # The hottest hook with launch: TOTAL by hand, then the scope if there is one.
    total = TOTAL
    total.jobs_running -= 1
    total.jobs_completed[kind] += 1
    total.run_duration.observe(duration)
    scope = meter.scope
    if scope is not None:
        scope.jobs_running -= 1
        scope.jobs_completed[kind] += 1
        scope.run_duration.observe(duration)
    if _otel_run_duration is not None:
        _otel_run_duration.record(duration)


# --- the continuations' hooks -----------------------------------------------------------


def continuation_registered() -> None:
    """A continuation is registered under a key that had none."""
    if _on:
        TOTAL.continuations_registered += 1


def continuations_due(count: int) -> None:
    """The registry's `count` continuations become due (the registry is emptied)."""
    if _on:
        TOTAL.continuations_registered -= count


def continuation_started() -> None:
    if _on:
        TOTAL.continuations_started += 1


def continuation_raised() -> None:
    if _on:
        TOTAL.continuations_raised += 1


# --- OpenTelemetry ------------------------------------------------------------------------

_otel_run_duration: Any = None
_otel_queue_wait: Any = None


def _publish() -> None:
    """The instruments on the meter "workerjob" of the global meter provider."""
    global _otel_run_duration, _otel_queue_wait
    try:
        from opentelemetry import metrics as otel
    except ImportError:
        return
    meter = otel.get_meter("workerjob")

    def reading(read: Any, attributes: Any = None) -> Any:
        def callback(_options: Any) -> Iterable[Any]:
            yield otel.Observation(read(), attributes)
        return callback

    counters = {
        "jobs_launched": "jobs launched",
        "attempts": "calls of run()",
        "timeouts": "jobs whose deadline passed",
        "continuations_started": "continuations started",
        "continuations_raised": "continuations that raised",
    }
    for name, text in counters.items():
        meter.create_observable_counter(
            f"workerjob.{name}", [reading(lambda n=name: getattr(TOTAL, n))], description=text)

    def completed(_options: Any) -> Iterable[Any]:
        for kind, count in TOTAL.jobs_completed.items():
            yield otel.Observation(count, {"completion_type": kind})

    meter.create_observable_counter("workerjob.jobs_completed", [completed],
                                    description="jobs completed, by completion type")
    for name in ("jobs_running", "jobs_queued", "continuations_registered"):
        meter.create_observable_up_down_counter(
            f"workerjob.{name}", [reading(lambda n=name: getattr(TOTAL, n))],
            description=name.replace("_", " "))
    _otel_run_duration = meter.create_histogram(
        "workerjob.run_duration", unit="s", description="from launch to the job's completion",
        explicit_bucket_boundaries_advisory=list(BOUNDS))
    _otel_queue_wait = meter.create_histogram(
        "workerjob.queue_wait", unit="s", description="from submit to launch",
        explicit_bucket_boundaries_advisory=list(BOUNDS))


_publish()
