"""A JobScheduler's metrics (ENHANCEMENTS.md, "Metrics"): `scheduler.snapshot()` counts
the jobs submitted to it (queued gauge, queue wait on the loop clock, a job cancelled
while queued completed cancelled and never launched), and `workerjob.impl.snapshot()`
counts them too."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.impl import CancellationToken, JobScheduler, Worker, WorkerJob, snapshot
from workerjob.impl import metrics as m


class Gate:
    """A run() that returns when opened, or after `sleep` seconds of the loop clock."""

    def __init__(self, sleep: float | None = None) -> None:
        self.sleep = sleep
        self.opened = asyncio.Event() if sleep is None else None

    async def run(self) -> None:
        if self.opened is not None:
            await self.opened.wait()
        else:
            await asyncio.sleep(self.sleep or 0)


def job(name: str, task: Gate) -> WorkerJob:
    return WorkerJob(Worker(name), task, CancellationToken())


def counts(snap: dict[str, Any]) -> dict[str, Any]:
    """Counters and gauges as they are, histograms by their count."""
    return {k: v["count"] if isinstance(v, dict) and "count" in v else v
            for k, v in snap.items()}


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in counts(after).items():
        was = counts(before)[key]
        out[key] = ({k: n - was[k] for k, n in value.items()} if isinstance(value, dict)
                    else value - was)
    return out


@pytest.mark.asyncio
async def test_the_queued_gauge_follows_the_queue() -> None:
    sched = JobScheduler(1)
    gates = [Gate() for _ in range(3)]
    jobs = [job(f"j{i}", g) for i, g in enumerate(gates)]
    for j in jobs:
        sched.submit(j)
    snap = sched.snapshot()
    assert (snap["jobs_queued"], snap["jobs_running"], snap["jobs_launched"]) == (2, 1, 1)
    assert snap["queue_wait"]["count"] == 1  # the first started at once
    assert gates[0].opened is not None
    gates[0].opened.set()
    await jobs[0].wait()
    await asyncio.sleep(0)  # the scheduler hears of the end through a done-callback
    snap = sched.snapshot()
    assert (snap["jobs_queued"], snap["jobs_running"], snap["jobs_launched"]) == (1, 1, 2)
    for g in gates[1:]:
        assert g.opened is not None
        g.opened.set()
    await jobs[1].wait()
    await jobs[2].wait()  # queued until the second ended, then started: waited for
    await sched.aclose()
    snap = sched.snapshot()
    assert (snap["jobs_queued"], snap["jobs_running"], snap["jobs_launched"]) == (0, 0, 3)
    assert snap["jobs_completed"] == {"normal": 3, "cancelled": 0, "failed": 0}


def test_queue_wait_is_measured_on_the_loop_clock() -> None:
    """On a virtual clock the waits are exact: the second job waits for the first's
    five seconds, the third for both (one slot)."""
    loop = ControlledLoop()
    sched: list[JobScheduler] = []

    async def main() -> None:
        s = JobScheduler(1)
        sched.append(s)
        jobs = [job(f"j{i}", Gate(sleep=5.0)) for i in range(3)]
        for j in jobs:
            s.submit(j)
        await jobs[-1].wait()  # waited for while queued, then while it runs
        await s.aclose()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    snap = sched[0].snapshot()
    wait = snap["queue_wait"]
    assert (wait["count"], wait["sum"], wait["min"], wait["max"]) == (3, 15.0, 0.0, 10.0)
    # bisect_left: 0 in the first bucket (<= 0.001), 5 in the bucket of 5.0, 10 in 10.0's.
    expected = [0] * (len(m.BOUNDS) + 1)
    for value in (0.0, 5.0, 10.0):
        expected[m.BOUNDS.index(value) if value else 0] += 1
    assert wait["bucket_counts"] == expected
    run = snap["run_duration"]
    assert (run["count"], run["sum"]) == (3, 15.0)


@pytest.mark.asyncio
async def test_a_job_cancelled_while_queued_is_completed_cancelled_not_launched() -> None:
    sched = JobScheduler(1)
    gate = Gate()
    running, queued, closed = job("running", gate), job("queued", Gate()), job("closed", Gate())
    for j in (running, queued, closed):
        sched.submit(j)
    queued.cancel()
    snap = sched.snapshot()
    assert snap["jobs_queued"] == 1 and snap["jobs_launched"] == 1
    assert snap["jobs_completed"]["cancelled"] == 1
    closing = asyncio.ensure_future(sched.aclose())  # cancels `closed`, still queued
    await asyncio.sleep(0)
    assert gate.opened is not None
    gate.opened.set()
    await closing
    snap = sched.snapshot()
    assert counts(snap) | {"jobs_completed": None} == {
        "jobs_launched": 1, "jobs_completed": None, "attempts": 1, "timeouts": 0,
        "continuations_started": 0, "continuations_raised": 0, "jobs_running": 0,
        "jobs_queued": 0, "continuations_registered": 0, "run_duration": 1, "queue_wait": 1}
    assert snap["jobs_completed"] == {"normal": 1, "cancelled": 2, "failed": 0}


@pytest.mark.asyncio
async def test_the_totals_count_the_schedulers_jobs() -> None:
    before = snapshot()
    a, b = JobScheduler(1), JobScheduler(2)
    gates = [Gate() for _ in range(4)]
    jobs = [job(f"j{i}", g) for i, g in enumerate(gates)]
    a.submit(jobs[0])
    a.submit(jobs[1])
    b.submit(jobs[2])
    b.submit(jobs[3])
    jobs[1].cancel()
    d = delta(before, snapshot())
    assert (d["jobs_queued"], d["jobs_running"], d["jobs_launched"]) == (0, 3, 3)
    for g in gates:
        assert g.opened is not None
        g.opened.set()
    await a.aclose()
    await b.aclose()
    d = delta(before, snapshot())
    per = [delta(m.Registry().snapshot(), s.snapshot()) for s in (a, b)]
    for key in ("jobs_launched", "attempts", "jobs_running", "jobs_queued", "run_duration",
                "queue_wait"):
        assert d[key] == per[0][key] + per[1][key], key
    assert d["jobs_completed"] == {"normal": 3, "cancelled": 1, "failed": 0}


@pytest.mark.asyncio
async def test_switched_off_a_scheduler_counts_nothing() -> None:
    m.set_enabled(False)
    try:
        sched = JobScheduler(1)
        gate = Gate()
        sched.submit(job("a", gate))
        queued = job("b", Gate())
        sched.submit(queued)
        queued.cancel()
        assert gate.opened is not None
        gate.opened.set()
        await sched.aclose()
    finally:
        m.set_enabled(True)
    assert sched.snapshot() == m.Registry().snapshot()


@pytest.mark.asyncio
async def test_a_scheduler_gone_stays_in_the_totals_and_its_registry_is_folded() -> None:
    """Each job counts in one registry (its scheduler's); the totals add them up. A
    scheduler gone with its jobs ended is folded into the totals, not forgotten, and
    the registries of many such schedulers do not pile up."""
    before = snapshot()
    for i in range(300):
        sched = JobScheduler(1)
        j = job(f"j{i}", Gate(sleep=0))
        sched.submit(j)
        await j.wait()
        await sched.aclose()
    del sched, j
    gc.collect()
    d = delta(before, snapshot())
    assert (d["jobs_launched"], d["attempts"], d["jobs_running"], d["run_duration"],
            d["queue_wait"]) == (300, 300, 0, 300, 300)
    assert d["jobs_completed"]["normal"] == 300
    assert len(m._scopes) < 150  # swept as they were created, and by snapshot()


@pytest.mark.asyncio
async def test_a_running_job_keeps_its_schedulers_registry() -> None:
    """Not folded while a job of it runs: the job's later writes must still count."""
    sched = JobScheduler(1)
    gate = Gate()
    j = job("a", gate)
    sched.submit(j)
    before = snapshot()
    registry = sched._metrics
    m._sweep()
    assert any(r is registry for _, r in m._scopes)
    assert gate.opened is not None
    gate.opened.set()
    await j.wait()
    d = delta(before, snapshot())
    assert (d["jobs_running"], d["run_duration"]) == (-1, 1)
    await sched.aclose()
