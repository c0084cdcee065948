"""Metrics (ENHANCEMENTS.md, Metrics) on the bundled implementation: the snapshot's
shape, what the job and continuation hooks count, the hooks a scheduler and timeouts
call (tested directly), the switch, and OpenTelemetry publishing the same values."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from workerjob.impl import (
    CancellationToken,
    Continuations,
    Worker,
    WorkerJob,
    snapshot,
)
from workerjob.impl import metrics as m

KEYS = {"jobs_launched", "jobs_completed", "attempts", "timeouts", "continuations_started",
        "continuations_raised", "jobs_running", "jobs_queued", "continuations_registered",
        "run_duration", "queue_wait"}


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Counts and gauges as differences; histograms by count."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, int):
            out[key] = value - before[key]
        elif key == "jobs_completed":
            out[key] = {k: v - before[key][k] for k, v in value.items() if v != before[key][k]}
        else:
            out[key] = value["count"] - before[key]["count"]
    return out


class Task:
    def __init__(self, outcome: BaseException | None = None, block: bool = False) -> None:
        self.outcome, self.block = outcome, block

    async def run(self) -> None:
        if self.block:
            await asyncio.Event().wait()
        if self.outcome is not None:
            raise self.outcome


def test_snapshot_is_plain_data_with_the_contract_keys() -> None:
    snap = snapshot()
    assert set(snap) == KEYS
    assert set(snap["jobs_completed"]) == {"normal", "cancelled", "failed"}
    assert set(snap["run_duration"]) == {"count", "sum", "min", "max", "bounds", "bucket_counts"}
    assert json.loads(json.dumps(snap)) == snap


@pytest.mark.asyncio
async def test_jobs_and_continuations_are_counted() -> None:
    before = snapshot()
    ok = WorkerJob(Worker("a"), Task(), CancellationToken())
    bad = WorkerJob(Worker("b"), Task(ValueError("x")), CancellationToken())
    stuck = WorkerJob(Worker("c"), Task(block=True), CancellationToken())

    async def raising(*_: object) -> None:
        raise RuntimeError("continuation")

    async def quiet(*_: object) -> None:
        pass

    handler_calls: list[object] = []
    asyncio.get_running_loop().set_exception_handler(lambda _l, c: handler_calls.append(c))
    await ok.worker_job_continuations.add_or_run_now("k", quiet, ok.worker)
    await ok.worker_job_continuations.add_or_run_now("k", quiet, ok.worker)  # replaces
    await bad.worker_job_continuations.add_or_run_now("k", raising, bad.worker)
    mid = delta(before, snapshot())
    assert mid["continuations_registered"] == 2
    for job in (ok, bad, stuck):
        job.launch()
    assert delta(before, snapshot())["jobs_running"] == 3
    await ok.wait()
    with pytest.raises(ValueError):
        await bad.wait()
    stuck.task_handle.cancel()  # type: ignore[union-attr]
    with pytest.raises(asyncio.CancelledError):
        await stuck.wait()
    for _ in range(3):
        await asyncio.sleep(0)
    d = delta(before, snapshot())
    assert d == {
        "jobs_launched": 3, "jobs_completed": {"normal": 1, "failed": 1, "cancelled": 1},
        "attempts": 3, "timeouts": 0, "continuations_started": 2, "continuations_raised": 1,
        "jobs_running": 0, "jobs_queued": 0, "continuations_registered": 0,
        "run_duration": 3, "queue_wait": 0,
    }
    assert len(handler_calls) == 1


@pytest.mark.asyncio
async def test_a_job_done_by_someone_else_and_cancelled_before_it_ran_still_ends() -> None:
    before = snapshot()
    job = WorkerJob(Worker("a"), Task(), CancellationToken())
    job.launch()
    await job.worker_job_continuations.complete(None, job.worker, job.cancellation_token)
    job.task_handle.cancel()  # type: ignore[union-attr]
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    d = delta(before, snapshot())
    assert (d["jobs_running"], d["jobs_completed"], d["attempts"]) == (0, {"normal": 1}, 0)


@pytest.mark.asyncio
async def test_continuations_alone_count_too() -> None:
    before = snapshot()
    conts = Continuations()

    async def quiet(*_: object) -> None:
        pass

    await conts.add_or_run_now("a", quiet, Worker("w"))
    await conts.complete(None, Worker("w"), CancellationToken())
    await conts.add_or_run_now("b", quiet, Worker("w"))  # Done: runs at once
    await asyncio.sleep(0)
    d = delta(before, snapshot())
    assert (d["continuations_started"], d["continuations_registered"], d["jobs_launched"]) == (
        2, 0, 0)


@pytest.mark.asyncio
async def test_the_scheduler_and_timeout_hooks() -> None:
    """What JobScheduler and the timeouts will call; counted per scope and in total."""
    owner = Task()
    scope = m.scope(owner)
    loop = asyncio.get_running_loop()
    before = snapshot()
    queued = m.job_queued(scope, loop)
    cancelled = m.job_queued(scope, loop)
    assert delta(before, snapshot())["jobs_queued"] == 2 and scope.jobs_queued == 2
    m.job_dequeued(cancelled, cancelled=True)
    meter = m.job_launched(queued, loop)  # leaves the queue, starts
    m.attempt_started(meter)
    m.timed_out(meter)
    m.job_ended(meter, None)  # no state: counted cancelled (a timed-out job is)
    m.job_ended(meter, None)  # idempotent
    m.job_ended(cancelled, None)  # already ended by the dequeue
    d = delta(before, snapshot())
    assert d == {
        "jobs_launched": 1, "jobs_completed": {"cancelled": 2}, "attempts": 1, "timeouts": 1,
        "continuations_started": 0, "continuations_raised": 0, "jobs_running": 0,
        "jobs_queued": 0, "continuations_registered": 0, "run_duration": 1, "queue_wait": 1,
    }
    assert scope.snapshot()["jobs_completed"] == {"normal": 0, "cancelled": 2, "failed": 0}
    assert scope.queue_wait.count == 1


def test_histogram_buckets_are_upper_bounds() -> None:
    h = m.Histogram()
    for v in (0.0, 0.001, 0.002, 1000.0):
        h.observe(v)
    snap = h.snapshot()
    assert snap["bucket_counts"][:2] == [2, 1] and snap["bucket_counts"][-1] == 1
    assert (snap["count"], snap["min"], snap["max"]) == (4, 0.0, 1000.0)


@pytest.fixture
def metrics_off() -> Iterator[None]:
    m.set_enabled(False)
    try:
        yield
    finally:
        m.set_enabled(True)


@pytest.mark.asyncio
@pytest.mark.usefixtures("metrics_off")
async def test_switched_off_nothing_moves() -> None:
    before = snapshot()
    job = WorkerJob(Worker("a"), Task(), CancellationToken())
    job.launch()
    await job.wait()
    assert snapshot() == before
    assert not m.enabled()


OTEL_SCRIPT = textwrap.dedent("""
    import asyncio, json
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

    from workerjob.impl import CancellationToken, Worker, WorkerJob, snapshot

    class Task:
        def __init__(self, error):
            self.error = error
        async def run(self):
            await asyncio.sleep(0.002)
            if self.error:
                raise self.error

    async def main():
        async def cont(*_):
            raise RuntimeError("c")
        jobs = [WorkerJob(Worker(str(i)), Task(ValueError() if i % 3 else None),
                          CancellationToken()) for i in range(7)]
        for job in jobs:
            await job.worker_job_continuations.add_or_run_now("k", cont, job.worker)
        asyncio.get_running_loop().set_exception_handler(lambda *_: None)
        for job in jobs:
            job.launch()
        jobs[0].cancel()
        await asyncio.gather(*(j.wait() for j in jobs), return_exceptions=True)
        await asyncio.sleep(0)

    asyncio.run(main())
    published = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == "workerjob", sm.scope.name
            for metric in sm.metrics:
                name = metric.name.removeprefix("workerjob.")
                points = list(metric.data.data_points)
                if name == "jobs_completed":
                    published[name] = {p.attributes["completion_type"]: p.value for p in points}
                elif hasattr(points[0], "bucket_counts"):
                    (p,) = points
                    published[name] = {"count": p.count, "sum": p.sum, "min": p.min,
                                       "max": p.max, "bounds": list(p.explicit_bounds),
                                       "bucket_counts": list(p.bucket_counts)}
                else:
                    (p,) = points
                    published[name] = p.value
    print(json.dumps({"published": published, "snapshot": snapshot()}))
""")


def test_opentelemetry_publishes_the_snapshot() -> None:
    """In a fresh process: the application configures the SDK (an in-memory reader)
    before workerjob is imported, runs jobs, and collects."""
    pytest.importorskip("opentelemetry.sdk")
    out = subprocess.run([sys.executable, "-c", OTEL_SCRIPT], capture_output=True, text=True,
                         timeout=120, check=True)
    data = json.loads(out.stdout)
    snap, published = data["snapshot"], data["published"]
    assert snap["jobs_launched"] == 7 and snap["continuations_raised"] == 7
    assert snap["run_duration"]["count"] == 7
    # Histograms that saw nothing are not exported; every other instrument is.
    assert set(published) == set(snap) - {"queue_wait"}
    for key, value in published.items():
        if key == "run_duration":
            for field in ("count", "bounds", "bucket_counts", "min", "max"):
                assert value[field] == snap[key][field], field
            assert value["sum"] == pytest.approx(snap[key]["sum"])
        else:
            assert value == snap[key], key


def test_without_opentelemetry_nothing_is_published_and_all_works() -> None:
    """The extra is optional: with `opentelemetry` not importable, the implementation
    imports, counts, and has no instrument to record into."""
    script = textwrap.dedent("""
        import asyncio, sys
        sys.modules["opentelemetry"] = None  # import opentelemetry -> ImportError
        from workerjob.impl import CancellationToken, Worker, WorkerJob, snapshot, metrics

        class Task:
            async def run(self):
                pass

        async def main():
            job = WorkerJob(Worker("w"), Task(), CancellationToken())
            job.launch()
            await job.wait()

        asyncio.run(main())
        assert metrics._otel_run_duration is None
        print(snapshot()["jobs_completed"]["normal"])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


class _Flaky:
    """Fails its first two attempts, then returns."""

    def __init__(self) -> None:
        self.calls = 0

    async def run(self) -> None:
        self.calls += 1
        if self.calls < 3:
            raise ValueError(f"attempt {self.calls}")


class _Stuck:
    async def run(self) -> None:
        await asyncio.Event().wait()


def test_retries_and_timeouts_are_counted() -> None:
    """Every attempt counts once in `attempts`, a deadline that takes effect once in
    `timeouts` (the hooks wired in impl/timeouts.py; without them both stay at one
    attempt per job and no timeout)."""
    from workerjob.impl import RetryPolicy

    async def main() -> dict[str, Any]:
        before = snapshot()
        flaky = WorkerJob(Worker("flaky"), _Flaky(), CancellationToken(),
                          retry=RetryPolicy(max_attempts=3, initial=0.001))
        flaky.launch()
        await flaky.wait()
        stuck = WorkerJob(Worker("stuck"), _Stuck(), CancellationToken(), timeout=0.01, grace=0)
        stuck.launch()
        with pytest.raises(TimeoutError):
            await stuck.wait()
        return delta(before, snapshot())

    counted = asyncio.run(main())
    assert counted["attempts"] == 4
    assert counted["timeouts"] == 1
    assert counted["jobs_launched"] == 2
