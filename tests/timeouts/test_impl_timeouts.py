"""workerjob.impl's timeouts and retries (ENHANCEMENTS.md), on virtual time: each
deadline, grace period and backoff is checked to the exact instant."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from workerjob.conformance.loop.choosers import Candidate
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.impl import (
    CancellationToken,
    CompletionType,
    Done,
    RetryPolicy,
    Worker,
    WorkerJob,
)
from workerjob.impl.timeouts import GRACE_MESSAGE, Attempts

W = Worker("w")
CANCELLED, FAILED, NORMAL = CompletionType.CANCELLED, CompletionType.FAILED, CompletionType.NORMAL


class Script:
    """A task whose attempt `i` sleeps `steps[i][0]` seconds (or until the token is
    cancelled, if `cooperative`) and then raises `steps[i][1]` (None: returns)."""

    def __init__(self, *steps: tuple[float, BaseException | None],
                 token: CancellationToken | None = None) -> None:
        self.steps = list(steps)
        self.token = token
        self.starts: list[float] = []
        self.ends: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.starts.append(loop.time())
        duration, error = self.steps[min(len(self.starts), len(self.steps)) - 1]
        try:
            if self.token is None:
                await asyncio.sleep(duration)
            else:
                try:
                    async with asyncio.timeout(duration):
                        await self.token.cancelled()
                except TimeoutError:
                    pass
        finally:
            self.ends.append(loop.time())
        if error is not None:
            raise error


def live_timers() -> list[asyncio.TimerHandle]:
    loop: Any = asyncio.get_running_loop()
    return [t for t in loop._scheduled if not t.cancelled()]


async def outcome(job: WorkerJob) -> BaseException | None:
    try:
        await job.wait()
    except BaseException as exc:  # what wait() raised is what the test looks at
        return exc
    return None


# --- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"timeout": 0}, ValueError, "timeout"),
    ({"timeout": -1.0}, ValueError, "timeout"),
    ({"timeout": float("nan")}, ValueError, "timeout"),
    ({"timeout": "1"}, TypeError, "timeout"),
    ({"timeout": True}, TypeError, "timeout"),
    ({"grace": 1.0}, ValueError, "grace needs a timeout"),
    ({"timeout": 1.0, "grace": -0.5}, ValueError, "grace"),
    ({"timeout": 1.0, "grace": "x"}, TypeError, "grace"),
    ({"retry": 3}, TypeError, "retry must be a RetryPolicy"),
])
def test_bad_options_are_refused_at_construction(kwargs: dict[str, Any], error: type[Exception],
                                                  match: str) -> None:
    with pytest.raises(error, match=match):
        WorkerJob(W, Script(), CancellationToken(), **kwargs)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"max_attempts": 0}, ValueError, "max_attempts"),
    ({"max_attempts": 2.0}, TypeError, "max_attempts"),
    ({"initial": -1}, ValueError, "initial"),
    ({"factor": 0}, ValueError, "factor"),
    ({"max_delay": float("inf")}, ValueError, "max_delay"),
    ({"backoff": 1.0}, TypeError, "backoff"),
    ({"retry_on": (BaseException,)}, TypeError, "retry_on"),
    ({"retry_on": (asyncio.CancelledError,)}, TypeError, "retry_on"),
    ({"retry_on": ("ValueError",)}, TypeError, "retry_on"),
    ({"retry_on": ()}, TypeError, "retry_on"),
])
def test_bad_retry_policies_are_refused(kwargs: dict[str, Any], error: type[Exception],
                                        match: str) -> None:
    with pytest.raises(error, match=match):
        RetryPolicy(**kwargs)


def test_retry_on_accepts_one_class() -> None:
    assert RetryPolicy(retry_on=ValueError).retry_on == (ValueError,)  # type: ignore[arg-type]


def test_default_backoff_formula_and_a_custom_one() -> None:
    policy = RetryPolicy(initial=0.1, factor=2.0, max_delay=0.3)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.3, 0.3]
    assert RetryPolicy(backoff=lambda n: 7.0 * n).delay(2) == 14.0


# --- defaults: SPEC as it is -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_without_options_one_attempt_and_no_timeout() -> None:
    job = WorkerJob(W, Script((5.0, ValueError("boom"))), CancellationToken())
    assert job.attempts == 0 and not job.timed_out
    job.launch()
    assert isinstance(await outcome(job), ValueError)
    assert job.attempts == 1 and not job.timed_out
    assert job.worker_job_continuations.state == Done(FAILED, "boom")


# --- timeouts ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_run_ending_before_the_deadline_is_no_timeout_and_leaves_no_timer() -> None:
    job = WorkerJob(W, Script((0.5, None)), CancellationToken(), timeout=1.0, grace=0.0)
    job.launch()
    assert await outcome(job) is None
    assert not job.timed_out and not job.cancellation_token.is_cancelled()
    assert job.worker_job_continuations.state == Done(NORMAL, None)
    assert live_timers() == []


@pytest.mark.asyncio
async def test_a_cooperative_task_timed_out_raises_a_timeout_error_at_the_deadline() -> None:
    token = CancellationToken()
    task = Script((10.0, RuntimeError("stopped")), token=token)
    job = WorkerJob(W, task, token, timeout=1.5)
    job.launch()
    error = await outcome(job)
    assert isinstance(error, TimeoutError) and str(error) == "timed out after 1.5s"
    assert isinstance(error.__cause__, RuntimeError)
    assert task.ends == [1.5] and job.timed_out
    assert job.worker_job_continuations.state == Done(CANCELLED, "timed out after 1.5s")


@pytest.mark.asyncio
async def test_a_timed_out_run_that_returns_has_no_message() -> None:
    token = CancellationToken()
    job = WorkerJob(W, Script((10.0, None), token=token), token, timeout=1.0)
    job.launch()
    assert await outcome(job) is None
    assert job.timed_out and job.worker_job_continuations.state == Done(CANCELLED, None)


@pytest.mark.asyncio
async def test_the_grace_period_hard_cancels_at_its_instant() -> None:
    task = Script((10.0, None))  # ignores the token
    job = WorkerJob(W, task, CancellationToken(), timeout=1.0, grace=0.5)
    job.launch()
    error = await outcome(job)
    assert isinstance(error, TimeoutError) and task.ends == [1.5]
    assert isinstance(error.__cause__, asyncio.CancelledError)
    assert job.worker_job_continuations.state == Done(CANCELLED, "timed out after 1.0s")
    assert job.task_handle is not None and not job.task_handle.cancelled()
    assert live_timers() == []


@pytest.mark.asyncio
async def test_an_outside_hard_cancel_after_the_deadline_stays_spec() -> None:
    task = Script((10.0, None))
    job = WorkerJob(W, task, CancellationToken(), timeout=1.0, grace=5.0)
    job.launch()
    await asyncio.sleep(2.0)
    assert job.timed_out and job.task_handle is not None
    job.task_handle.cancel("stop")
    assert isinstance(await outcome(job), asyncio.CancelledError)
    assert job.worker_job_continuations.state == Done(CANCELLED, "stop")
    assert live_timers() == []


@pytest.mark.asyncio
async def test_a_hard_cancel_before_the_first_step_disarms_the_deadline() -> None:
    job = WorkerJob(W, Script((1.0, None)), CancellationToken(), timeout=1.0)
    job.launch()
    assert job.task_handle is not None
    job.task_handle.cancel()
    assert isinstance(await outcome(job), asyncio.CancelledError)
    assert job.attempts == 0 and not job.timed_out and live_timers() == []


@pytest.mark.asyncio
async def test_a_deadline_fired_early_by_the_clock_resolution_waits_for_its_instant() -> None:
    loop = asyncio.get_running_loop()
    token = CancellationToken()
    job = WorkerJob(W, Script((10.0, None), token=token), token, timeout=1.0)
    job.launch()
    # A timer half a resolution before the deadline: the loop makes the deadline's
    # timer ready in the same iteration, before the clock has reached it.
    # What is seen is looked at after the deadline's callback has had its turn.
    seen: list[tuple[float, bool]] = []

    def look() -> None:
        seen.append((loop.time(), token.is_cancelled()))

    loop.call_at(1.0 - loop._clock_resolution / 2,  # type: ignore[attr-defined]
                 lambda: loop.call_soon(look))
    await outcome(job)
    assert seen[0][0] < 1.0 and not seen[0][1]
    assert job.timed_out


class EndsWhen:
    """A task whose run() returns when `done` does (a timer of the test's sets it)."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done

    async def run(self) -> None:
        await self.done


class _DeadlineLast:
    """A chooser that runs the deadline's callback after anything else ready with it."""

    def choose(self, candidates: Sequence[Candidate]) -> int:
        return next((i for i, c in enumerate(candidates) if "_on_deadline" not in c.label), 0)


def deadline_due_as_run_ends(job_type: type[WorkerJob]) -> WorkerJob:
    """run() ends at the deadline's instant, and its task's steps (run() returning, the
    job completing) are taken before the deadline's callback: the one window in which a
    deadline that does not look whether run() has ended takes effect after it."""
    loop = ControlledLoop(_DeadlineLast())

    async def main() -> WorkerJob:
        done = loop.create_future()
        loop.call_at(1.0, done.set_result, None)  # scheduled before the deadline's timer
        job = job_type(W, EndsWhen(done), CancellationToken(), timeout=1.0)
        job.launch()
        assert await outcome(job) is None
        await asyncio.sleep(0)  # the deadline's callback, if still armed, has run
        return job

    try:
        return loop.run_until_complete(main())
    finally:
        loop.shutdown()


def test_a_deadline_due_as_run_ends_takes_no_effect_after_it() -> None:
    job = deadline_due_as_run_ends(WorkerJob)
    assert job.worker_job_continuations.state == Done(NORMAL, None)
    assert not job.timed_out and not job.cancellation_token.is_cancelled()


def test_the_late_deadline_check_fails_on_the_late_deadline_mutant(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: no test of this file failed on `late_deadline` (only the timeouts
    level of the campaign killed it); the test above does."""
    from tests.mutants.timeouts import late_deadline

    monkeypatch.setattr(sys.modules[__name__], "WorkerJob", late_deadline.WorkerJob)
    with pytest.raises(AssertionError, match="timed_out"):
        test_a_deadline_due_as_run_ends_takes_no_effect_after_it()


# --- retries ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_flaky_task_is_retried_after_each_backoff() -> None:
    task = Script((0.25, ValueError("flaky")), (0.25, ValueError("flaky")), (0.25, None))
    calls: list[tuple[CompletionType, str | None]] = []
    job = WorkerJob(W, task, CancellationToken(),
                    retry=RetryPolicy(max_attempts=3, initial=0.5, factor=2.0))

    async def seen(worker: Worker, kind: CompletionType, message: str | None) -> None:
        calls.append((kind, message))

    await job.worker_job_continuations.add_or_run_now("k", seen, W)
    job.launch()
    assert await outcome(job) is None
    assert task.starts == [0.0, 0.75, 2.0]  # ends 0.25 + 0.5, then 1.0 + 1.0
    assert job.attempts == 3
    await asyncio.sleep(0)
    assert calls == [(NORMAL, None)]  # once, after the last attempt


@pytest.mark.asyncio
async def test_attempts_run_out_and_the_last_error_is_the_jobs() -> None:
    task = Script((0.0, ValueError("first")), (0.0, ValueError("last")))
    job = WorkerJob(W, task, CancellationToken(), retry=RetryPolicy(max_attempts=2, initial=1))
    job.launch()
    error = await outcome(job)
    assert str(error) == "last" and job.attempts == 2
    assert job.worker_job_continuations.state == Done(FAILED, "last")


@pytest.mark.asyncio
async def test_an_error_outside_retry_on_is_not_retried() -> None:
    task = Script((0.0, RuntimeError("fatal")))
    job = WorkerJob(W, task, CancellationToken(), retry=RetryPolicy(retry_on=(ValueError,)))
    job.launch()
    assert isinstance(await outcome(job), RuntimeError) and job.attempts == 1


@pytest.mark.asyncio
async def test_cancel_during_the_backoff_ends_the_job_at_once() -> None:
    task = Script((0.0, ValueError("flaky")))
    job = WorkerJob(W, task, CancellationToken(), retry=RetryPolicy(initial=10.0))
    job.launch()
    await asyncio.sleep(1.0)
    job.cancel()
    error = await outcome(job)
    loop = asyncio.get_running_loop()
    assert str(error) == "flaky" and job.attempts == 1 and loop.time() == 1.0
    assert job.worker_job_continuations.state == Done(CANCELLED, "flaky")
    assert live_timers() == []


@pytest.mark.asyncio
async def test_a_deadline_during_the_backoff_is_a_timeout() -> None:
    task = Script((0.0, ValueError("flaky")))
    job = WorkerJob(W, task, CancellationToken(), timeout=2.0,
                    retry=RetryPolicy(initial=10.0))
    job.launch()
    error = await outcome(job)
    assert isinstance(error, TimeoutError) and str(error.__cause__) == "flaky"
    assert asyncio.get_running_loop().time() == 2.0 and job.attempts == 1
    assert live_timers() == []


@pytest.mark.asyncio
async def test_a_hard_cancel_during_the_backoff_is_spec() -> None:
    job = WorkerJob(W, Script((0.0, ValueError("flaky"))), CancellationToken(),
                    retry=RetryPolicy(initial=10.0))
    job.launch()
    await asyncio.sleep(1.0)
    assert job.task_handle is not None
    job.task_handle.cancel("stop")
    assert isinstance(await outcome(job), asyncio.CancelledError)
    assert job.worker_job_continuations.state == Done(CANCELLED, "stop")


@pytest.mark.asyncio
async def test_a_custom_backoff_is_used_and_a_bad_value_fails_the_job() -> None:
    task = Script((0.0, ValueError("flaky")), (0.0, None))
    delays: Callable[[int], float] = lambda n: 3.0  # noqa: E731
    job = WorkerJob(W, task, CancellationToken(), retry=RetryPolicy(backoff=delays))
    job.launch()
    await outcome(job)
    assert task.starts == [0.0, 3.0]
    bad = WorkerJob(W, Script((0.0, ValueError("flaky"))), CancellationToken(),
                    retry=RetryPolicy(backoff=lambda n: -1.0))
    bad.launch()
    error = await outcome(bad)
    assert isinstance(error, ValueError) and "backoff(1)" in str(error)


def test_the_options_benchmark_runs_and_reports_ratios() -> None:
    import json
    import pathlib
    import subprocess
    import sys

    bench = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_timeouts.py"
    done = subprocess.run([sys.executable, str(bench), "--quick", "--json"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["ratio_to_no_options"]) == {"timeout", "retry", "timeout+retry"}
    assert all(r > 0 for r in report["ratio_to_no_options"].values())


# --- a hard cancel from outside and the grace period's own, at one instant -------------


class _Ordered:
    """A chooser that, of what is ready, runs the first callback named in `order`,
    then any task's step."""

    def __init__(self, *order: str) -> None:
        self.order = order

    def choose(self, candidates: Sequence[Candidate]) -> int:
        for name in self.order:
            for i, c in enumerate(candidates):
                if name in c.label:
                    return i
        return 0


def grace_and_outside_hard_cancel(message: str | None, grace_first: bool = True) -> WorkerJob:
    """Attempt 1 fails at once and the job waits out its backoff; at the deadline (grace
    0) the grace period's hard cancel and then an outside one reach the task before it
    takes a step (found by the timeouts level, `verify --level timeouts --seed 2` as it
    drew then, with an attempt ending at the deadline)."""
    loop = ControlledLoop(_Ordered(*(("_on_deadline", "_on_grace", "hard_cancel") if grace_first
                                     else ("_on_deadline", "hard_cancel", "_on_grace"))))

    async def main() -> WorkerJob:
        job = WorkerJob(W, Script((0.0, ValueError("flaky"))), CancellationToken(),
                        timeout=1.0, grace=0.0, retry=RetryPolicy(max_attempts=2, initial=5.0))

        def hard_cancel() -> None:
            task = job.task_handle
            assert isinstance(task, asyncio.Task)
            if grace_first and task.cancelling() == 0:  # the grace period's has not come
                loop.call_soon(hard_cancel)
                return
            task.cancel(message)

        job.launch()
        loop.call_at(1.0, hard_cancel)
        await outcome(job)
        return job

    try:
        return loop.run_until_complete(main())
    finally:
        loop.shutdown()


@pytest.mark.parametrize("message", [None, "stop", "timeout"])
def test_an_outside_hard_cancel_after_the_grace_periods_changes_nothing(
        message: str | None) -> None:
    """The grace period's hard cancel reached the task first: the job timed out, and its
    own message never leaks ('timeout' before the fix). An outside message that reads
    like the grace period's is not taken for it (the last case)."""
    job = grace_and_outside_hard_cancel(message)
    assert job.worker_job_continuations.state == Done(CANCELLED, "timed out after 1.0s")
    assert job.timed_out


@pytest.mark.parametrize(("message", "expected"), [
    (None, "CancelledError"), ("stop", "stop"), ("timeout", "timeout")])
def test_an_outside_hard_cancel_before_the_grace_periods_wins(
        message: str | None, expected: str) -> None:
    job = grace_and_outside_hard_cancel(message, grace_first=False)
    assert job.worker_job_continuations.state == Done(CANCELLED, expected)


@pytest.mark.parametrize(("message", "expected"), [
    (None, "CancelledError"), ("stop", "stop"), ("timeout", "timeout")])
def test_an_outside_hard_cancel_first_keeps_its_message_when_the_step_is_due(
        message: str | None, expected: str) -> None:
    """run() ends at the deadline's instant: its task's step is due when the outside hard
    cancel, then the grace period's (grace 0), reach it. asyncio keeps the message of the
    last request that finds a task with a step due, so the grace period's `'timeout'`
    replaced the outside one's, and the job reported a timeout although the outside
    cancel came first (found by the timeouts level: `verify --seed 1000 --examples 2000`,
    a campaign `verify --workers 2` ran in CI)."""
    loop = ControlledLoop(_Ordered("at_deadline", "_on_deadline", "hard_cancel", "_on_grace"))

    async def main() -> WorkerJob:
        woken = loop.create_future()

        def at_deadline() -> None:
            woken.set_result(None)

        loop.call_at(1.0, at_deadline)  # scheduled before the deadline's timer
        job = WorkerJob(W, EndsWhen(woken), CancellationToken(), timeout=1.0,
                        grace=0.0)

        def hard_cancel() -> None:
            assert job.task_handle is not None
            job.task_handle.cancel(message)

        job.launch()
        loop.call_at(1.0, hard_cancel)
        await outcome(job)
        return job

    try:
        job = loop.run_until_complete(main())
    finally:
        loop.shutdown()
    assert job.timed_out
    assert job.worker_job_continuations.state == Done(CANCELLED, expected)


class _GraceOverwrites(Attempts):
    """The grace period as it was: it cancels a task already being cancelled, and its
    message replaces the outside one's when the task's step is due. Not in the timeouts
    catalogue: the campaign cannot kill it (seen from outside, the grace period's step
    may have come first), only the test above can."""

    def _on_grace(self, when: float) -> None:
        if not self._live():
            return
        assert self._task is not None
        self._grace = None
        self._grace_fired = True  # BUG: even when an outside hard cancel came first
        self._task.cancel(GRACE_MESSAGE)


class _GraceOverwritesJob(WorkerJob):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        t = self._timeouts
        if t is not None:
            self._timeouts = _GraceOverwrites(self, t.timeout, t.grace, t.retry)


def test_the_step_due_check_fails_on_a_grace_period_that_overwrites(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "WorkerJob", _GraceOverwritesJob)
    with pytest.raises(AssertionError, match=r"timed out after 1\.0s"):
        test_an_outside_hard_cancel_first_keeps_its_message_when_the_step_is_due(None,
                                                                                 "CancelledError")
