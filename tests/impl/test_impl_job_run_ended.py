"""SPEC, WorkerJob, launch: once run() has ended, its outcome is the job's. A cancel of
the job's task that arrives after that (run() cancelling its own task in its last
step, or a hard cancel while the task completes) changes nothing: not the
classification, not what wait() returns."""

from __future__ import annotations

import asyncio

import pytest

from workerjob.impl import CancellationToken, CompletionType, Done, Worker, WorkerJob


class CancelsItselfThenReturns:
    """run() cancels its own task in its last step, then returns."""

    async def run(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()


class CancelsItselfThenRaises:
    async def run(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        raise ValueError("boom")


@pytest.mark.asyncio
async def test_run_that_cancels_its_own_task_and_returns_is_normal_and_wait_returns() -> None:
    job = WorkerJob(Worker("w"), CancelsItselfThenReturns(), CancellationToken())
    job.launch()
    await job.wait()  # wait reports what run() did: it returned, so no CancelledError
    assert job.worker_job_continuations.state == Done(CompletionType.NORMAL, None)


@pytest.mark.asyncio
async def test_run_that_cancels_its_own_task_and_raises_reraises_its_error() -> None:
    job = WorkerJob(Worker("w"), CancelsItselfThenRaises(), CancellationToken())
    job.launch()
    with pytest.raises(ValueError, match="boom"):
        await job.wait()
    assert job.worker_job_continuations.state == Done(CompletionType.FAILED, "boom")


@pytest.mark.asyncio
async def test_hard_cancel_after_run_returned_changes_nothing() -> None:
    job = WorkerJob(Worker("w"), CancelsItselfThenReturns(), CancellationToken())
    job.launch()
    await asyncio.sleep(0)  # run() has ended (and cancelled its task on the way)
    assert job.task_handle is not None
    job.task_handle.cancel()
    await job.wait()  # returns: no CancelledError
    assert job.worker_job_continuations.state == Done(CompletionType.NORMAL, None)
