"""Metrics (ENHANCEMENTS.md, "Metrics"): counters, gauges and histograms of the jobs.

Each job counts in one `Registry`: its scheduler's (`scope()`), or `DIRECT` for a job
launched by hand; `snapshot()` adds them up (one write per hook on the jobs' path, the
sum only when someone reads). The implementation calls the hook functions below at
the instants the model names (`model/progress/metrics.py`): each hook is one
synchronous stretch, so every instrument changes at one instant, together with the
state it describes.

Per job, `job_launched` (or `job_queued`, for a scheduler) returns a `JobMeter` that
the job keeps and hands to the later hooks; it makes `job_ended` count a job once,
whichever path ends it. With metrics off (`set_enabled(False)`) the job hooks return
None and every hook returns at its first line. Switch before jobs run: a job launched
with metrics off is never counted, and a continuation registered with metrics on and
made due with them off stays in the gauge.

Where `opentelemetry-api` is installed, the same instruments are published through
the meter `"workerjob"` (counters and gauges as observable instruments read from
the totals at collection time; the histograms recorded as they are observed). The API is
a no-op until the application configures an SDK.
"""

from __future__ import annotations

import asyncio
import bisect
import weakref
from collections.abc import Iterable
from typing import Any

from .types import CompletionType

__all__ = [
    "BOUNDS",
    "DIRECT",
    "Histogram",
    "JobMeter",
    "Registry",
    "enabled",
    "scope",
    "set_enabled",
    "snapshot",
]

BOUNDS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0)
"""Upper bounds of the histograms' buckets, in seconds (loop clock); one more bucket
holds what is above the last."""

_KINDS = ("normal", "cancelled", "failed")
_COUNTS = ("jobs_launched", "attempts", "timeouts", "continuations_started",
           "continuations_raised", "jobs_running", "jobs_queued", "continuations_registered")
"""The Registry's plain int instruments."""
_bisect = bisect.bisect_left
_INF = float("inf")
_NORMAL, _FAILED = CompletionType.NORMAL, CompletionType.FAILED


class Histogram:
    # min and max start at +inf and -inf, so an observation needs no first-value branch;
    # the snapshot shows None for them while the count is 0.
    __slots__ = ("bucket_counts", "count", "max", "min", "sum")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.min = _INF
        self.max = -_INF
        self.bucket_counts = [0] * (len(BOUNDS) + 1)

    def observe(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        # bisect_left: a value equal to a bound falls in that bound's bucket (le).
        self.bucket_counts[_bisect(BOUNDS, value)] += 1

    def add(self, other: Histogram) -> None:
        """Fold `other`'s observations into this one."""
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.bucket_counts = [a + b for a, b in zip(self.bucket_counts, other.bucket_counts,
                                                    strict=True)]

    def snapshot(self) -> dict[str, Any]:
        empty = self.count == 0
        return {"count": self.count, "sum": self.sum,
                "min": None if empty else self.min, "max": None if empty else self.max,
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


DIRECT = Registry()
"""The jobs launched outside any scheduler, and every continuation."""

_scopes: list[tuple[weakref.ref[object], Registry]] = []
"""The schedulers' registries (with their owner), read into `snapshot()`."""
_retired = Registry()
"""The registries of schedulers gone with all their jobs ended, folded together."""
_sweep_at = 64
_on = True


def scope(owner: object) -> Registry:
    """A new registry for `owner`'s jobs (a scheduler's): they count in it alone, and
    `snapshot()` adds it to the totals. Once `owner` is gone and none of its jobs runs
    or waits, a sweep folds the registry into the totals' retired part."""
    global _sweep_at
    if len(_scopes) >= _sweep_at:
        _sweep()
        _sweep_at = max(64, 2 * len(_scopes))  # amortized: O(1) per scope
    registry = Registry()
    _scopes.append((weakref.ref(owner), registry))
    return registry


def _sweep() -> None:
    # A registry whose owner is gone and with no job running or queued gets no more
    # writes: every meter of its jobs has ended (`job_ended` is idempotent, and
    # `attempt_started` and `timed_out` come only while a job runs).
    kept = []
    for owner, registry in _scopes:
        if owner() is None and registry.jobs_running == 0 and registry.jobs_queued == 0:
            _add(_retired, registry)
        else:
            kept.append((owner, registry))
    _scopes[:] = kept


def _add(into: Registry, registry: Registry) -> None:
    for name in _COUNTS:
        setattr(into, name, getattr(into, name) + getattr(registry, name))
    for kind, count in registry.jobs_completed.items():
        into.jobs_completed[kind] += count
    into.run_duration.add(registry.run_duration)
    into.queue_wait.add(registry.queue_wait)


def _totals() -> Registry:
    total = Registry()
    _add(total, DIRECT)
    _add(total, _retired)
    for _, registry in _scopes:
        _add(total, registry)
    return total


def snapshot() -> dict[str, Any]:
    """Every instrument, over all jobs, as plain data."""
    _sweep()
    return _totals().snapshot()


def enabled() -> bool:
    return _on


def set_enabled(on: bool) -> None:
    """Turn the metrics on or off for the whole process (before jobs run)."""
    global _on
    _on = bool(on)


class JobMeter:
    """What a job's hooks share: the one registry it counts in (its scheduler's, or
    DIRECT), its loop (for the clock), when it was queued and launched, and whether it
    has been counted as ended."""

    __slots__ = ("ended", "launched_at", "loop", "queued_at", "registry")

    def __init__(self, registry: Registry, loop: asyncio.AbstractEventLoop) -> None:
        self.registry = registry
        self.loop = loop
        self.queued_at: float | None = None
        self.launched_at = 0.0
        self.ended = False


# --- the job's hooks ----------------------------------------------------------------------
# The hottest path of the metrics: one registry write per hook, and the loop handed in
# by the caller (asyncio.get_running_loop() costs more than the clock read itself).


def job_queued(scope: Registry, loop: asyncio.AbstractEventLoop) -> JobMeter | None:
    """A scheduler queued a job (`submit`) on `loop`. Keep the meter; pass it to the next
    hooks."""
    if not _on:
        return None
    meter = JobMeter(scope, loop)
    meter.queued_at = loop.time()
    scope.jobs_queued += 1
    return meter


def job_dequeued(meter: JobMeter | None, *, cancelled: bool = False) -> None:
    """A queued job leaves the queue: to start (`job_launched` does that itself), or
    cancelled (it then completes CANCELLED without a launch, and is not waited for in
    queue_wait)."""
    if meter is None or meter.queued_at is None:
        return
    r = meter.registry
    r.jobs_queued -= 1
    if cancelled:
        meter.queued_at = None
        r.jobs_completed["cancelled"] += 1
        meter.ended = True
        return
    waited = meter.loop.time() - meter.queued_at
    meter.queued_at = None
    r.queue_wait.observe(waited)
    if _otel_queue_wait is not None:
        _otel_queue_wait.record(waited)


def job_launched(meter: JobMeter | None, loop: asyncio.AbstractEventLoop) -> JobMeter | None:
    """A job is launched (its task created on `loop`). Returns the meter the job keeps."""
    if not _on:
        return None
    now = loop.time()
    if meter is None:
        meter = JobMeter(DIRECT, loop)
        r = DIRECT
    else:
        r = meter.registry
        queued_at = meter.queued_at
        if queued_at is not None:
            # Out of the queue at the instant of its launch: one clock read for both.
            meter.queued_at = None
            r.jobs_queued -= 1
            r.queue_wait.observe(now - queued_at)
            if _otel_queue_wait is not None:
                _otel_queue_wait.record(now - queued_at)
    meter.launched_at = now
    r.jobs_launched += 1
    r.jobs_running += 1
    return meter


def attempt_started(meter: JobMeter | None) -> None:
    """`run()` is called (once per attempt)."""
    if meter is not None:
        meter.registry.attempts += 1


def timed_out(meter: JobMeter | None) -> None:
    """The job's deadline passed (it cancels its token)."""
    if meter is not None:
        meter.registry.timeouts += 1


def job_ended(meter: JobMeter | None, state: object) -> None:
    """The job's own completion: it stops running and counts under the type of its
    `state` (Done). Idempotent: the first call counts."""
    if meter is None or meter.ended:
        return
    meter.ended = True
    # By identity: an Enum's hash and its `.value` are Python-level calls.
    ctype = getattr(state, "completion_type", None)
    kind = "normal" if ctype is _NORMAL else "failed" if ctype is _FAILED else "cancelled"
    duration = meter.loop.time() - meter.launched_at
    r = meter.registry
    r.jobs_running -= 1
    r.jobs_completed[kind] += 1
    r.run_duration.observe(duration)
    if _otel_run_duration is not None:
        _otel_run_duration.record(duration)


# --- the continuations' hooks -----------------------------------------------------------


def continuation_registered() -> None:
    """A continuation is registered under a key that had none."""
    if _on:
        DIRECT.continuations_registered += 1


def continuations_due(count: int) -> None:
    """The registry's `count` continuations become due (the registry is emptied)."""
    if _on:
        DIRECT.continuations_registered -= count


def continuation_started() -> None:
    if _on:
        DIRECT.continuations_started += 1


def continuation_raised() -> None:
    if _on:
        DIRECT.continuations_raised += 1


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
            f"workerjob.{name}", [reading(lambda n=name: getattr(_totals(), n))],
            description=text)

    def completed(_options: Any) -> Iterable[Any]:
        for kind, count in _totals().jobs_completed.items():
            yield otel.Observation(count, {"completion_type": kind})

    meter.create_observable_counter("workerjob.jobs_completed", [completed],
                                    description="jobs completed, by completion type")
    for name in ("jobs_running", "jobs_queued", "continuations_registered"):
        meter.create_observable_up_down_counter(
            f"workerjob.{name}", [reading(lambda n=name: getattr(_totals(), n))],
            description=name.replace("_", " "))
    _otel_run_duration = meter.create_histogram(
        "workerjob.run_duration", unit="s", description="from launch to the job's completion",
        explicit_bucket_boundaries_advisory=list(BOUNDS))
    _otel_queue_wait = meter.create_histogram(
        "workerjob.queue_wait", unit="s", description="from submit to launch",
        explicit_bucket_boundaries_advisory=list(BOUNDS))


_publish()
