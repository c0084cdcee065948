"""report_progress and job.progress (ENHANCEMENTS.md, Progress), on the bundled
implementation: the rules one at a time. The campaign (`workerjob verify`, progress
level) checks them under controlled interleavings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    Done,
    Progress,
    Worker,
    WorkerJob,
    report_progress,
)


class Task:
    def __init__(self, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.body = body

    async def run(self) -> None:
        await self.body()


def job_of(body: Callable[[], Coroutine[Any, Any, None]]) -> WorkerJob:
    return WorkerJob(Worker("w"), Task(body), CancellationToken())


async def first(job: WorkerJob) -> Progress | None:
    """The first item a new reader gets, or None when its iteration ends first."""
    return await anext(job.progress.updates(), None)


def test_outside_any_job_is_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="outside any WorkerJob"):
        report_progress(1)


@pytest.mark.parametrize(("args", "error"), [
    ((-1,), ValueError), ((3, 2), ValueError), ((True,), TypeError), (("1",), TypeError),
    ((1, None, 5), TypeError), ((float("nan"),), ValueError),
])
def test_bad_input_is_named_before_anything_else(args: tuple[Any, ...], error: type) -> None:
    with pytest.raises(error):
        report_progress(*args)


@pytest.mark.asyncio
async def test_reports_latest_and_monotone() -> None:
    seen: list[BaseException] = []

    async def body() -> None:
        report_progress(1, 10, "one")
        report_progress(1, 10)  # equal: accepted, a new value
        try:
            report_progress(0, 10)
        except ValueError as exc:
            seen.append(exc)
        report_progress(10, 10, "all")

    job = job_of(body)
    assert job.progress.latest is None
    job.launch()
    await job.wait()
    assert job.progress.latest == Progress(10, 10, "all")
    assert [type(e) for e in seen] == [ValueError]
    assert job.progress.closed


@pytest.mark.asyncio
async def test_a_report_after_done_is_refused() -> None:
    """A task that run() spawned inherits the job, and outlives it."""
    late: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    holder: list[asyncio.Task[None]] = []

    async def straggler() -> None:
        await late
        report_progress(5)

    async def body() -> None:
        holder.append(asyncio.create_task(straggler()))
        report_progress(1)

    job = job_of(body)
    job.launch()
    await job.wait()
    late.set_result(None)
    with pytest.raises(RuntimeError, match="Done"):
        await holder[0]
    assert job.progress.latest == Progress(1)


@pytest.mark.asyncio
async def test_a_slow_reader_skips_but_sees_the_last_and_ends() -> None:
    go = asyncio.Event()

    async def body() -> None:
        for i in range(1, 6):
            report_progress(i, 5)
            await asyncio.sleep(0)
        await go.wait()

    job = job_of(body)
    job.launch()
    got: list[float] = []

    async def reader() -> None:
        async for p in job.progress.updates():
            got.append(p.done)
            await asyncio.sleep(0.01)  # slow: misses some

    r = asyncio.create_task(reader())
    await asyncio.sleep(0.05)
    go.set()
    await job.wait()
    await asyncio.wait_for(r, 1)
    assert got == sorted(set(got)) and got[-1] == 5


@pytest.mark.asyncio
async def test_a_late_reader_gets_the_current_value_then_ends() -> None:
    async def body() -> None:
        report_progress(2, 3)

    job = job_of(body)
    job.launch()
    await job.wait()
    assert [p async for p in job.progress.updates()] == [Progress(2, 3)]
    job2 = job_of(lambda: asyncio.sleep(0))
    job2.launch()
    await job2.wait()
    assert [p async for p in job2.progress.updates()] == []


@pytest.mark.asyncio
async def test_readers_end_when_someone_else_completes_the_continuations() -> None:
    gate = asyncio.Event()
    async def body() -> None:
        await gate.wait()

    job = job_of(body)
    job.launch()
    reader = asyncio.create_task(first(job))
    await asyncio.sleep(0)
    await job.worker_job_continuations.complete(None, job.worker, job.cancellation_token)
    assert await asyncio.wait_for(reader, 1) is None
    assert job.worker_job_continuations.state == Done(CompletionType.NORMAL, None)
    gate.set()
    await job.wait()


@pytest.mark.asyncio
async def test_a_cancelled_reader_does_not_disturb_the_others() -> None:
    gate = asyncio.Event()

    async def body() -> None:
        await gate.wait()
        report_progress(1)

    job = job_of(body)
    job.launch()
    a = asyncio.create_task(first(job))
    b = asyncio.create_task(first(job))
    await asyncio.sleep(0)
    a.cancel()
    gate.set()
    assert await asyncio.wait_for(b, 1) == Progress(1)
    await job.wait()


@pytest.mark.asyncio
async def test_an_equal_report_is_a_new_value_for_a_reader() -> None:
    step = asyncio.Event()

    async def body() -> None:
        report_progress(1, None, "same")
        await step.wait()
        report_progress(1, None, "same")

    job = job_of(body)
    job.launch()
    got: list[Progress] = []

    async def reader() -> None:
        async for p in job.progress.updates():
            got.append(p)
            step.set()

    await asyncio.wait_for(asyncio.gather(reader(), job.wait()), 1)
    assert got == [Progress(1, None, "same")] * 2
