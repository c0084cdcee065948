"""JobScheduler (ENHANCEMENTS.md, "Priority and resource limits: the scheduler").

Deterministic: a job's run() ends when the test says so (an Event per job), and the
tests let the loop settle with `drain()`/`settle()`, never with a clock.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    Continuations,
    Done,
    JobScheduler,
    JobState,
    Running,
    Worker,
    WorkerJob,
)

Drain = Callable[[], Awaitable[None]]


class Log:
    """What ran, in order, and how many are running now (and at most)."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.now = 0
        self.peak = 0


class Task:
    """A WorkerTask that logs its start and runs until `finish()`."""

    def __init__(self, name: str, log: Log) -> None:
        self.name = name
        self.log = log
        self.done = asyncio.Event()

    async def run(self) -> None:
        self.log.started.append(self.name)
        self.log.now += 1
        self.log.peak = max(self.log.peak, self.log.now)
        try:
            await self.done.wait()
        finally:
            self.log.now -= 1

    def finish(self) -> None:
        self.done.set()


def make(name: str, log: Log) -> tuple[WorkerJob, Task]:
    task = Task(name, log)
    return WorkerJob(Worker(name), task, CancellationToken()), task


def state_of(job: WorkerJob) -> JobState:
    return job.worker_job_continuations.state


async def settle() -> None:
    """Let ready callbacks run (a few loop turns; no clock)."""
    for _ in range(10):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_never_more_than_max_concurrent(drain: Drain) -> None:
    log = Log()
    async with JobScheduler(3) as sched:
        made = [make(f"j{i}", log) for i in range(10)]
        try:
            for job, _ in made:
                sched.submit(job)
            await settle()
            assert sched.running == 3 and sched.queued == 7 and log.now == 3
        finally:
            # Also when the check fails: leaving waits for the running jobs, and a
            # failed check must fail the test, not hang it (it did on `one_too_many`).
            for _, task in made:
                task.finish()
        for job, _ in made:
            await job.wait()  # before leaving: leaving cancels what is still queued
    assert log.peak == 3 and sorted(log.started) == sorted(f"j{i}" for i in range(10))
    await drain()


@pytest.mark.asyncio
async def test_resources_bound_the_running_jobs() -> None:
    log = Log()
    sched = JobScheduler(10, capacity={"gpu": 1, "cpu": 4})
    gpu = [make(f"gpu{i}", log) for i in range(3)]
    cpu = [make(f"cpu{i}", log) for i in range(6)]
    for job, _ in gpu:
        sched.submit(job, needs={"gpu": 1})
    for job, _ in cpu:
        sched.submit(job, needs={"cpu": 1})
    await settle()
    assert sorted(log.started) == ["cpu0", "cpu1", "cpu2", "cpu3", "gpu0"]
    assert sched.in_use("gpu") == 1 and sched.in_use("cpu") == 4
    gpu[0][1].finish()
    await settle()
    assert "gpu1" in log.started and "gpu2" not in log.started
    for _, task in gpu + cpu:
        task.finish()
    for job, _ in gpu + cpu:
        await job.wait()  # before aclose(), which cancels what is still queued
    await sched.aclose()
    assert sched.in_use("gpu") == 0 and sched.in_use("cpu") == 0 and len(log.started) == 9


@pytest.mark.asyncio
async def test_order_of_starts_one_slot() -> None:
    """With one slot, the queued jobs start in queue order: priority, then FIFO."""
    log = Log()
    sched = JobScheduler(1)
    jobs = {}
    first, first_task = make("first", log)
    sched.submit(first)
    for name, priority in [("low-a", 0), ("high-a", 5), ("low-b", 0), ("high-b", 5),
                           ("mid", 1)]:
        job, task = make(name, log)
        jobs[name] = task
        sched.submit(job, priority=priority)
    await settle()
    jobs["first"] = first_task
    for _ in range(6):
        jobs[log.started[-1]].finish()
        await settle()
    assert log.started == ["first", "high-a", "high-b", "mid", "low-a", "low-b"]
    await sched.aclose()


@pytest.mark.asyncio
async def test_a_job_that_does_not_fit_does_not_block_a_smaller_one() -> None:
    log = Log()
    sched = JobScheduler(4, capacity={"cpu": 2})
    one, one_task = make("one", log)
    sched.submit(one, needs={"cpu": 1})
    big, big_task = make("big", log)
    sched.submit(big, priority=10, needs={"cpu": 2})  # waits for both cpus
    small, small_task = make("small", log)
    sched.submit(small, needs={"cpu": 1})  # fits now: starts, ahead of the urgent big one
    await settle()
    assert log.started == ["one", "small"] and sched.queued == 1
    one_task.finish()
    small_task.finish()
    await settle()
    assert log.started == ["one", "small", "big"]
    big_task.finish()
    await sched.aclose()


@pytest.mark.asyncio
async def test_cancel_a_queued_job(drain: Drain) -> None:
    log = Log()
    sched = JobScheduler(1)
    runner, runner_task = make("runner", log)
    sched.submit(runner)
    queued, _ = make("queued", log)
    seen: list[tuple[CompletionType, str | None]] = []

    async def cont(w: Worker, t: CompletionType, m: str | None) -> None:
        seen.append((t, m))

    await queued.worker_job_continuations.add_or_run_now("k", cont, queued.worker)
    sched.submit(queued)
    waiter = asyncio.ensure_future(queued.wait())  # waits while queued
    await settle()
    queued.cancel()
    # At once: out of the queue, Done(CANCELLED, None).
    assert queued.worker_job_continuations.state == Done(CompletionType.CANCELLED, None)
    assert sched.queued == 0
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await settle()
    assert seen == [(CompletionType.CANCELLED, None)]
    runner_task.finish()
    await sched.aclose()
    assert log.started == ["runner"]  # run() of the cancelled job was never called
    with pytest.raises(RuntimeError, match="already waited"):
        await queued.wait()
    with pytest.raises(RuntimeError, match="JobScheduler"):
        queued.launch()
    await drain()


@pytest.mark.asyncio
async def test_a_token_cancelled_elsewhere_is_seen_when_the_job_would_start() -> None:
    log = Log()
    sched = JobScheduler(1)
    runner, runner_task = make("runner", log)
    sched.submit(runner)
    queued, _ = make("queued", log)
    sched.submit(queued)
    queued.cancellation_token.cancel()  # not job.cancel(): the scheduler is not told
    assert isinstance(queued.worker_job_continuations.state, Running)
    runner_task.finish()
    await settle()
    assert state_of(queued) == Done(CompletionType.CANCELLED, None)
    assert log.started == ["runner"] and sched.queued == 0 and sched.running == 0
    await sched.aclose()


@pytest.mark.asyncio
async def test_wait_while_queued_returns_when_the_job_ends() -> None:
    log = Log()
    sched = JobScheduler(1)
    runner, runner_task = make("runner", log)
    sched.submit(runner)
    queued, queued_task = make("queued", log)
    sched.submit(queued)
    waiter = asyncio.ensure_future(queued.wait())
    await settle()
    assert not waiter.done()
    runner_task.finish()
    await settle()
    assert log.started == ["runner", "queued"] and not waiter.done()
    queued_task.finish()
    await waiter  # returns None: run() returned
    await sched.aclose()


@pytest.mark.asyncio
async def test_a_cancelled_wait_on_a_queued_job_does_not_use_it_up() -> None:
    log = Log()
    sched = JobScheduler(1)
    runner, runner_task = make("runner", log)
    sched.submit(runner)
    queued, queued_task = make("queued", log)
    sched.submit(queued)
    waiter = asyncio.ensure_future(queued.wait())
    await settle()
    waiter.cancel()
    await settle()
    assert waiter.cancelled() and sched.queued == 1
    runner_task.finish()
    queued_task.finish()
    await queued.wait()
    await sched.aclose()


@pytest.mark.asyncio
async def test_aclose_cancels_the_queued_and_waits_for_the_running() -> None:
    log = Log()
    sched = JobScheduler(1)
    runner, runner_task = make("runner", log)
    sched.submit(runner)
    queued = [make(f"q{i}", log)[0] for i in range(3)]
    for job in queued:
        sched.submit(job)
    closing = asyncio.ensure_future(sched.aclose())
    await settle()
    assert not closing.done()
    for job in queued:
        assert job.worker_job_continuations.state == Done(CompletionType.CANCELLED, None)
        assert job.cancellation_token.is_cancelled()
    with pytest.raises(RuntimeError, match="closing"):
        sched.submit(make("late", log)[0])
    runner_task.finish()
    await closing
    assert log.started == ["runner"]
    await sched.aclose()  # again: returns at once


@pytest.mark.asyncio
async def test_async_with_closes_on_an_error() -> None:
    log = Log()
    with pytest.raises(ZeroDivisionError):
        async with JobScheduler(1) as sched:
            runner, runner_task = make("runner", log)
            sched.submit(runner)
            sched.submit(make("queued", log)[0])
            runner_task.finish()
            1 / 0  # noqa: B018
    assert log.started == ["runner"] and sched.running == 0


# --- bad input: a clear error, nothing changed --------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("3",), {}, TypeError, "max_concurrent must be an int"),
        ((True,), {}, TypeError, "max_concurrent must be an int"),
        ((0,), {}, ValueError, "at least 1"),
        ((1,), {"capacity": [("gpu", 1)]}, TypeError, "capacity must be a mapping"),
        ((1,), {"capacity": {1: 1}}, TypeError, "names must be str"),
        ((1,), {"capacity": {"gpu": "1"}}, TypeError, "must be a number"),
        ((1,), {"capacity": {"gpu": -1}}, ValueError, ">= 0"),
        ((1,), {"capacity": {"gpu": float("nan")}}, ValueError, ">= 0"),
    ],
)
def test_bad_construction(args: tuple[object, ...], kwargs: dict[str, object],
                          error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        JobScheduler(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"priority": "high"}, TypeError, "priority must be an int"),
        ({"priority": 1.5}, TypeError, "priority must be an int"),
        ({"needs": ["gpu"]}, TypeError, "needs must be a mapping"),
        ({"needs": {"gpu": None}}, TypeError, "must be a number"),
        ({"needs": {"gpu": -1}}, ValueError, ">= 0"),
        ({"needs": {"gpu": 2}}, ValueError, "exceeds its capacity 1"),
        ({"needs": {"tpu": 1}}, ValueError, "no resource 'tpu'"),
    ],
)
@pytest.mark.asyncio
async def test_bad_submission_changes_nothing(kwargs: dict[str, object],
                                              error: type[Exception], match: str) -> None:
    log = Log()
    sched = JobScheduler(1, capacity={"gpu": 1})
    job, _ = make("job", log)
    with pytest.raises(error, match=match):
        sched.submit(job, **kwargs)  # type: ignore[arg-type]
    assert sched.queued == 0 and sched.running == 0
    job.launch()  # still the caller's to launch
    job.cancel()
    await settle()
    await sched.aclose()


@pytest.mark.asyncio
async def test_submit_refuses_a_launched_or_submitted_job() -> None:
    log = Log()
    sched = JobScheduler(1)
    launched, task = make("launched", log)
    launched.launch()
    with pytest.raises(RuntimeError, match="already launched"):
        sched.submit(launched)
    with pytest.raises(TypeError, match="must be a WorkerJob"):
        sched.submit(Continuations())  # type: ignore[arg-type]
    job, job_task = make("job", log)
    sched.submit(job)
    with pytest.raises(RuntimeError, match="already launched"):
        sched.submit(job)  # it fitted: the scheduler launched it
    other, _ = make("other", log)
    sched.submit(other)  # queued behind job
    with pytest.raises(RuntimeError, match="already submitted"):
        JobScheduler(1).submit(other)
    with pytest.raises(RuntimeError, match="JobScheduler, which launches it"):
        other.launch()
    task.finish()
    job_task.finish()
    other.cancel()
    await sched.aclose()


def test_a_queued_job_cancelled_outside_the_loop_completes_when_it_would_start() -> None:
    log = Log()
    sched = JobScheduler(1)
    loop = asyncio.new_event_loop()
    try:
        runner, runner_task = make("runner", log)
        queued, _ = make("queued", log)

        async def submit_both() -> None:
            sched.submit(runner)
            sched.submit(queued)

        loop.run_until_complete(submit_both())
        queued.cancel()  # no running loop: nothing can start now, nothing changes
        assert sched.queued == 1 and isinstance(state_of(queued), Running)

        async def finish() -> None:
            runner_task.finish()
            await runner.wait()
            await settle()

        loop.run_until_complete(finish())
        assert state_of(queued) == Done(CompletionType.CANCELLED, None)
        assert log.started == ["runner"] and sched.queued == 0
    finally:
        loop.close()


def test_submit_needs_a_running_loop() -> None:
    sched = JobScheduler(1)
    job, _ = make("job", Log())
    with pytest.raises(RuntimeError, match="no running event loop"):
        sched.submit(job)
    assert sched.queued == 0 and job._admission is None


# --- many jobs: none lost, none run twice -------------------------------------------------


class Quick:
    """A run() that counts its calls and returns at once; `all_ran` is set once
    `expected[0]` runs have happened."""

    def __init__(self, counts: list[int], i: int, expected: list[int],
                 all_ran: asyncio.Event) -> None:
        self.counts, self.i, self.expected, self.all_ran = counts, i, expected, all_ran

    async def run(self) -> None:
        self.counts[self.i] += 1
        self.expected[0] -= 1
        if self.expected[0] == 0:
            self.all_ran.set()


def test_a_hundred_thousand_jobs_none_lost_none_twice() -> None:
    n = 100_000

    async def main() -> tuple[list[int], int]:
        counts = [0] * n
        expected = [n]  # runs still to come
        all_ran = asyncio.Event()
        worker = Worker("many")
        jobs = []
        cancelled = 0
        async with JobScheduler(64, capacity={"gpu": 2}) as sched:
            for i in range(n):
                job = WorkerJob(worker, Quick(counts, i, expected, all_ran),
                                CancellationToken())
                sched.submit(job, priority=i % 7, needs={"gpu": 1} if i % 10 == 0 else None)
                jobs.append(job)
                if i % 1000 == 999:
                    jobs[i - 1].cancel()  # cancelled while queued (or running: harmless)
                    if isinstance(state_of(jobs[i - 1]), Done) and counts[i - 1] == 0:
                        expected[0] -= 1  # completed without running
                    await asyncio.sleep(0)
            assert sched.queued > n // 2  # most of them really were queued at once
            await all_ran.wait()
        for i, job in enumerate(jobs):
            state = job.worker_job_continuations.state
            assert isinstance(state, Done), i
            if counts[i] == 0:
                assert state == Done(CompletionType.CANCELLED, None)
                cancelled += 1
        return counts, cancelled

    counts, cancelled = asyncio.run(main())
    assert max(counts) == 1  # none twice
    assert counts.count(1) + cancelled == n  # none lost
    assert 0 < cancelled <= n // 1000


# --- the checks above can fail ---------------------------------------------------------------


def test_the_concurrency_check_fails_on_one_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: on the scheduler mutant `one_too_many` (a fourth job starts under
    max_concurrent=3), `test_never_more_than_max_concurrent` hung in aclose() after its
    failed check, instead of failing."""
    from tests.mutants.scheduler import one_too_many

    async def drain() -> None:
        me = asyncio.current_task()
        while others := asyncio.all_tasks() - {me}:
            await asyncio.wait(others)

    monkeypatch.setattr(sys.modules[__name__], "JobScheduler", one_too_many.JobScheduler)
    with pytest.raises(AssertionError, match="running"):
        asyncio.run(test_never_more_than_max_concurrent(drain))
