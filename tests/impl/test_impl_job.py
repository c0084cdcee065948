"""SPEC, WorkerJob: launch, cancel, wait, is_active/is_complete, and every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    JobState,
    Running,
    Worker,
    WorkerJob,
)

Call = tuple[str, Worker, CompletionType, str | None]
Recording = Callable[[str], ContinuationFn]
Drain = Callable[[], Awaitable[None]]
CaptureHandler = Callable[[], list[dict[str, Any]]]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]

NORMAL, CANCELLED, FAILED = CompletionType.NORMAL, CompletionType.CANCELLED, CompletionType.FAILED


class Gated:
    """A WorkerTask that waits for `gate`, then returns or raises `outcome`."""

    def __init__(self, outcome: BaseException | None = None) -> None:
        self.outcome = outcome
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        self.started.set()
        await self.gate.wait()
        if self.outcome is not None:
            raise self.outcome


class Immediate:
    """A WorkerTask that returns or raises at once, without suspending."""

    def __init__(self, outcome: BaseException | None = None) -> None:
        self.outcome = outcome

    async def run(self) -> None:
        if self.outcome is not None:
            raise self.outcome


class Cooperative:
    """A WorkerTask that returns once its token is cancelled (checking cooperatively)."""

    def __init__(self, token: CancellationToken) -> None:
        self.token = token

    async def run(self) -> None:
        await self.token.cancelled()


def job_of(task: Any, worker: Worker, token: CancellationToken | None = None) -> WorkerJob:
    return WorkerJob(worker, task, token if token is not None else CancellationToken())


def state(job: WorkerJob) -> JobState:
    return job.worker_job_continuations.state


# --- construction and fields -------------------------------------------------------


def test_fields_keep_the_seeds_names(worker: Worker, token: CancellationToken) -> None:
    task = Immediate()
    job = WorkerJob(worker, task, token)
    assert job.worker is worker
    assert job.worker_task is task
    assert job.cancellation_token is token
    assert job.task_handle is None
    assert isinstance(job.worker_job_continuations, Continuations)
    assert state(job) == Running()
    assert job.worker_job_continuations is not job_of(task, worker).worker_job_continuations


def test_never_launched_job_is_neither_active_nor_complete(worker: Worker) -> None:
    job = job_of(Immediate(), worker)
    assert not job.is_active()
    assert not job.is_complete()


def test_constructor_rejects_wrong_types(worker: Worker, token: CancellationToken) -> None:
    class NoRun:
        run = 42

    bad: list[tuple[Any, Any, Any, str]] = [
        (None, Immediate(), token, "worker"),
        (worker, object(), token, "worker_task"),
        (worker, NoRun(), token, "worker_task"),
        (worker, Immediate(), None, "cancellation_token"),
        (worker, Immediate(), "token", "cancellation_token"),
    ]
    for w, t, tok, argument in bad:
        with pytest.raises(TypeError, match=argument):
            WorkerJob(w, t, tok)


# --- outcomes -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_normal_run(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    task = Gated()
    job = job_of(task, worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    assert job.is_active() and not job.is_complete()
    await task.started.wait()
    assert job.is_active() and state(job) == Running()
    task.gate.set()
    await job.wait()  # returns (None) when run() succeeded
    assert not job.is_active() and job.is_complete()
    assert state(job) == Done(NORMAL, None)
    await drain()
    assert calls == [("k", worker, NORMAL, None)]


@pytest.mark.parametrize(
    ("error", "message"),
    [(ValueError("boom"), "boom"), (ValueError(), "ValueError"), (OSError(2, "gone"), None)],
    ids=["message", "empty-message", "multi-arg"],
)
@pytest.mark.asyncio
async def test_failed_run_reraises_from_wait(
    error: BaseException,
    message: str | None,
    worker: Worker,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    expected_message = message if message is not None else str(error)
    job = job_of(Immediate(error), worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    with pytest.raises(type(error)) as raised:
        await job.wait()
    assert raised.value is error
    assert state(job) == Done(FAILED, expected_message)
    await drain()
    assert calls == [("k", worker, FAILED, expected_message)]


@pytest.mark.asyncio
async def test_cooperative_cancel_sets_the_token_and_nothing_else(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    job = job_of(Cooperative(token), worker, token)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    await asyncio.sleep(0)  # one step: the task is now suspended inside run()
    job.cancel()
    assert token.is_cancelled()
    assert job.is_active()  # cooperative: the task is not interrupted
    assert job.task_handle is not None and not job.task_handle.cancelling()
    await job.wait()
    assert state(job) == Done(CANCELLED, None)
    await drain()
    assert calls == [("k", worker, CANCELLED, None)]


@pytest.mark.asyncio
async def test_cancelled_token_wins_over_a_failure(
    worker: Worker, token: CancellationToken
) -> None:
    task = Gated(RuntimeError("stopped badly"))
    job = job_of(task, worker, token)
    job.launch()
    job.cancel()
    task.gate.set()
    with pytest.raises(RuntimeError):
        await job.wait()
    assert state(job) == Done(CANCELLED, "stopped badly")


class Fatal(BaseException):
    """A BaseException that is neither KeyboardInterrupt, SystemExit nor CancelledError."""


@pytest.mark.asyncio
async def test_base_exception_from_run_completes_and_is_reraised(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    error = Fatal("fatal")
    job = job_of(Immediate(error), worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    with pytest.raises(Fatal) as raised:
        await job.wait()
    assert raised.value is error
    assert state(job) == Done(FAILED, "fatal")
    await drain()
    assert calls == [("k", worker, FAILED, "fatal")]


@pytest.mark.asyncio
async def test_cancelled_error_raised_by_run_itself_is_a_failure(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    # run() raises CancelledError although nobody cancelled the job's task: SPEC's
    # "run() raises any exception" case, classified by the token (not cancelled).
    job = job_of(Immediate(asyncio.CancelledError()), worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert state(job) == Done(FAILED, "CancelledError")
    await drain()
    assert calls == [("k", worker, FAILED, "CancelledError")]


# --- hard cancel of task_handle ---------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"), [(None, "CancelledError"), ("shutting down", "shutting down")]
)
@pytest.mark.asyncio
async def test_hard_cancel_while_running(
    message: str | None,
    expected: str,
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    task = Gated()
    job = job_of(task, worker, token)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    await task.started.wait()
    assert job.task_handle is not None
    job.task_handle.cancel(message)
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert not token.is_cancelled()  # CANCELLED whatever the token says
    assert state(job) == Done(CANCELLED, expected)
    assert job.is_complete()
    await drain()
    assert calls == [("k", worker, CANCELLED, expected)]


@pytest.mark.asyncio
async def test_hard_cancel_before_the_task_ever_ran(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    # A task cancelled before its first step never enters its coroutine: no code of
    # ours runs inside it, so the done-callback must complete the continuations.
    task = Gated()
    job = job_of(task, worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    assert job.task_handle is not None
    job.task_handle.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert task.runs == 0
    assert state(job) == Done(CANCELLED, "CancelledError")
    await drain()
    assert calls == [("k", worker, CANCELLED, "CancelledError")]


@pytest.mark.asyncio
async def test_hard_cancel_before_start_completes_without_anyone_waiting(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    job = job_of(Gated(), worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    assert job.task_handle is not None
    job.task_handle.cancel()
    await drain()  # nobody calls wait(): the done-callback alone completes
    assert state(job) == Done(CANCELLED, "CancelledError")
    assert calls == [("k", worker, CANCELLED, "CancelledError")]


@pytest.mark.asyncio
async def test_wait_completes_even_before_the_done_callback_has_run(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    # The loop runs a finished task's done-callbacks in some order; a loop that picks
    # ready callbacks freely (the conformance kit's) may resume wait() before the
    # job's own done-callback. White-box: remove that callback to stand for "not yet".
    job = job_of(Gated(), worker)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    assert job.task_handle is not None
    assert job.task_handle.remove_done_callback(job._settle_from_task) == 1
    job.task_handle.cancel()  # before its first step: only a callback can complete
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert state(job) == Done(CANCELLED, "CancelledError")
    await drain()
    assert calls == [("k", worker, CANCELLED, "CancelledError")]


@pytest.mark.asyncio
async def test_failure_nobody_waits_for_is_still_reported_by_asyncio(
    worker: Worker, drain: Drain, capture_handler: CaptureHandler
) -> None:
    # Completing the continuations must not swallow the task's exception: a job that
    # fails and is never waited is logged by asyncio ("never retrieved") as usual.
    contexts = capture_handler()
    job = job_of(Immediate(ValueError("unseen")), worker)
    job.launch()
    await drain()
    assert state(job) == Done(FAILED, "unseen")
    del job
    gc.collect()
    assert [type(ctx.get("exception")) for ctx in contexts] == [ValueError]
    assert "never retrieved" in contexts[0]["message"]


# --- someone else completes first -----------------------------------------------------------


@pytest.mark.parametrize("hard_cancel", [False, True], ids=["run-fails", "hard-cancel"])
@pytest.mark.asyncio
async def test_someone_else_completing_first_wins(
    hard_cancel: bool,
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    other = Worker("other")
    task = Gated(ValueError("late failure"))
    job = job_of(task, worker, token)
    await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
    job.launch()
    await task.started.wait()
    await job.worker_job_continuations.complete(None, other, CancellationToken())
    assert job.is_active()
    assert job.task_handle is not None
    if hard_cancel:
        job.task_handle.cancel()
    else:
        task.gate.set()
    with pytest.raises(asyncio.CancelledError if hard_cancel else ValueError):
        await job.wait()
    assert state(job) == Done(NORMAL, None)  # Done stays as it was
    await drain()
    assert calls == [("k", other, NORMAL, None)]


# --- atomicity of the job's own completion --------------------------------------------


@pytest.mark.asyncio
async def test_first_thing_after_run_returns_sees_done(worker: Worker) -> None:
    # run() schedules a probe as its very last act; the probe runs at the first
    # opportunity after run() returns. If the job yielded between run() returning
    # and completing, the probe would see Running.
    seen: list[JobState] = []
    job: WorkerJob

    class Probing:
        async def run(self) -> None:
            asyncio.get_running_loop().call_soon(lambda: seen.append(state(job)))

    job = job_of(Probing(), worker)
    job.launch()
    await job.wait()
    assert seen == [Done(NORMAL, None)]


# --- misuse -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_launch_twice(worker: Worker) -> None:
    task = Gated()
    job = job_of(task, worker)
    job.launch()
    handle = job.task_handle
    with pytest.raises(RuntimeError, match="launched"):
        job.launch()
    assert job.task_handle is handle
    task.gate.set()
    await job.wait()
    assert task.runs == 1
    with pytest.raises(RuntimeError, match="launched"):
        job.launch()


def test_launch_needs_a_running_loop(worker: Worker) -> None:
    job = job_of(Immediate(), worker)
    with pytest.raises(RuntimeError):
        job.launch()
    assert job.task_handle is None
    assert not job.is_active()


@pytest.mark.asyncio
async def test_wait_before_launch(worker: Worker) -> None:
    job = job_of(Immediate(), worker)
    with pytest.raises(RuntimeError, match=r"^Task not launched$"):
        await job.wait()
    job.launch()  # the failed wait did not use anything up
    await job.wait()


@pytest.mark.parametrize("error", [None, ValueError("x")], ids=["succeeded", "failed"])
@pytest.mark.asyncio
async def test_wait_twice(error: BaseException | None, worker: Worker) -> None:
    job = job_of(Immediate(error), worker)
    job.launch()
    if error is None:
        await job.wait()
    else:
        with pytest.raises(ValueError):
            await job.wait()
    with pytest.raises(RuntimeError, match="waited"):
        await job.wait()


@pytest.mark.asyncio
async def test_concurrent_second_wait_is_refused(worker: Worker) -> None:
    task = Gated()
    job = job_of(task, worker)
    job.launch()
    first = asyncio.create_task(job.wait())
    await asyncio.sleep(0)  # one step: the first wait is now waiting
    # Driven by hand: refused at once, without suspending. (Awaited, a second wait that
    # is not refused would wait for the gate below, and the test would hang, not fail.)
    second = job.wait()
    try:
        with pytest.raises(RuntimeError, match="waited"):
            second.send(None)
    finally:
        second.close()
    task.gate.set()
    await first


@pytest.mark.asyncio
async def test_cancelling_the_waiter_neither_cancels_the_job_nor_uses_up_the_wait(
    worker: Worker,
) -> None:
    task = Gated()
    job = job_of(task, worker)
    job.launch()
    waiter = asyncio.create_task(job.wait())
    await task.started.wait()
    await asyncio.sleep(0)  # one step: the waiter is now suspended in wait()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert job.is_active()
    assert job.task_handle is not None and not job.task_handle.cancelling()
    task.gate.set()
    await job.wait()
    assert state(job) == Done(NORMAL, None)


@pytest.mark.asyncio
async def test_wait_returns_with_the_continuations_due(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    for outcome in (None, ValueError("v")):
        job = job_of(Immediate(outcome), worker)
        await job.worker_job_continuations.add_or_run_now("k", recording("k"), worker)
        job.launch()
        with contextlib.suppress(ValueError):
            await job.wait()
        assert isinstance(state(job), Done)
    await drain()
    assert len(calls) == 2


# --- continuations of a job -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_run_now_after_the_job_is_done(
    worker: Worker, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    late = Worker("late")
    job = job_of(Immediate(ValueError("v")), worker)
    job.launch()
    with pytest.raises(ValueError):
        await job.wait()
    await job.worker_job_continuations.add_or_run_now("late", recording("late"), late)
    assert calls == []  # own task; the caller did not wait for it
    await drain()
    assert calls == [("late", late, FAILED, "v")]


@pytest.mark.asyncio
async def test_raising_continuation_reports_its_job(
    worker: Worker,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
    capture_handler: CaptureHandler,
) -> None:
    contexts = capture_handler()

    async def bad(w: Worker, t: CompletionType, m: str | None) -> None:
        raise LookupError("continuation bug")

    job = job_of(Immediate(), worker)
    await job.worker_job_continuations.add_or_run_now("bad", bad, worker)
    await job.worker_job_continuations.add_or_run_now("good", recording("good"), worker)
    job.launch()
    await job.wait()
    await drain()
    assert [tag for tag, *_ in calls] == ["good"]
    assert state(job) == Done(NORMAL, None)
    assert len(contexts) == 1
    assert contexts[0]["job"] is job
    assert contexts[0]["key"] == "bad"
    assert contexts[0]["worker"] is worker
    assert isinstance(contexts[0]["exception"], LookupError)


# --- KeyboardInterrupt and SystemExit: asyncio stops the loop with them --------------------


@pytest.mark.parametrize("error_type", [KeyboardInterrupt, SystemExit])
def test_interrupt_from_run_completes_before_stopping_the_loop(
    error_type: type[BaseException], loop_factory: LoopFactory
) -> None:
    worker = Worker("w")
    calls: list[tuple[CompletionType, str | None]] = []

    async def record(w: Worker, t: CompletionType, m: str | None) -> None:
        calls.append((t, m))

    job = job_of(Immediate(error_type("stop")), worker)

    async def main() -> None:
        await job.worker_job_continuations.add_or_run_now("k", record, worker)
        job.launch()
        await asyncio.Event().wait()  # never returns: the interrupt ends the run

    loop = loop_factory()
    try:
        with pytest.raises(error_type):
            loop.run_until_complete(main())
        # The interrupt escaped the loop (as asyncio intends), after Done was set.
        assert state(job) == Done(FAILED, "stop")
        assert job.is_complete()

        async def resume() -> None:
            with pytest.raises(error_type):
                await job.wait()
            # Steps, not a delay: the continuation's task was made ready when Done was
            # set, before the interrupt stopped the loop; its first step runs within
            # these and it does not suspend. (No drain: `main` never finishes.)
            for _ in range(3):
                await asyncio.sleep(0)

        loop.run_until_complete(resume())
        assert calls == [(FAILED, "stop")]
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


# --- the checks above can fail: each on a one-line mutation of the implementation ---------


def test_the_done_check_fails_on_a_yield_between_run_and_its_completion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_first_thing_after_run_returns_sees_done` (cited by proofs_notes/impl.md) on a
    job whose task takes one step between run()'s return and Done: the probe sees
    Running."""

    async def drive_with_a_step(self: WorkerJob) -> None:
        await self.worker_task.run()
        await asyncio.sleep(0)  # the mutation
        self._settle(None)

    monkeypatch.setattr(WorkerJob, "_drive", drive_with_a_step)
    with pytest.raises(AssertionError, match=r"Running\(\)"):
        asyncio.run(test_first_thing_after_run_returns_sees_done(Worker("w")))


def test_the_failure_check_fails_when_any_cancelled_error_is_a_hard_cancel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_cancelled_error_raised_by_run_itself_is_a_failure` (cited by
    proofs_notes/impl.md) when a CancelledError that run() raises on its own is taken for
    a hard cancel of the job's task."""
    from workerjob.impl import job as module

    monkeypatch.setattr(module, "_is_hard_cancel",  # the mutation: no look at cancelling()
                        lambda exc: isinstance(exc, asyncio.CancelledError))
    calls: list[Call] = []

    def recording(tag: str) -> ContinuationFn:
        async def continuation(w: Worker, t: CompletionType, m: str | None) -> None:
            calls.append((tag, w, t, m))
        return continuation

    async def drain() -> None:
        me = asyncio.current_task()
        while others := asyncio.all_tasks() - {me}:
            await asyncio.wait(others)

    with pytest.raises(AssertionError, match="CANCELLED"):
        asyncio.run(test_cancelled_error_raised_by_run_itself_is_a_failure(
            Worker("w"), recording, calls, drain))


def test_the_second_wait_check_fails_when_a_wait_is_never_claimed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_concurrent_second_wait_is_refused` (cited by proofs_notes/impl.md) when
    wait() forgets that it is claimed. Regression: the test awaited the second wait, so
    on this mutation it hung (waiting for a gate it opens after) instead of failing."""
    monkeypatch.setattr(WorkerJob, "_wait_claimed",  # the mutation
                        property(lambda self: False, lambda self, value: None))
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        asyncio.run(test_concurrent_second_wait_is_refused(Worker("w")))
