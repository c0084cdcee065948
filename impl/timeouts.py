"""Timeouts and retries for `WorkerJob` (ENHANCEMENTS.md, "Timeouts" and "Retries").

`RetryPolicy` and the checks of the options, and `Attempts`: what the job's task runs
instead of a single `run()` when any option is given (a deadline and its grace period
on the loop's clock, attempts and the backoffs between them). With every option left
at its default the job never creates one, and behaves exactly as SPEC.md says.

Races, and how each is settled (proofs_notes/timeouts.md):
- the deadline and the last attempt's end are one race with one winner: the attempts
  loop sets `ended` in the same step as run() returns or raises (no await in between),
  and the deadline's callback does nothing once it is set;
- asyncio may run a timer up to its clock resolution early: every timer here checks
  the loop's clock again and re-arms for the instant it was meant for;
- a retry reads the token in the step that calls run() again, so no attempt starts
  after the token is cancelled.

May import the rest of `workerjob.impl`; never `workerjob.model`.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import metrics

if TYPE_CHECKING:
    from .job import WorkerJob

__all__ = ["Attempts", "RetryPolicy", "check_timeouts"]

class _GraceMessage(str):
    """The type of `GRACE_MESSAGE`: told apart from an outside cancel's message by
    identity, so an outside `cancel("timeout")` is never taken for the grace period's."""

    __slots__ = ()


GRACE_MESSAGE = _GraceMessage("timeout")
"""The message of the grace period's own hard cancel (it never leaves the job)."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(name: str, value: object, *, positive: bool) -> float:
    """A finite real number, `> 0` (`positive`) or `>= 0`: TypeError or ValueError."""
    if not _is_number(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    assert isinstance(value, int | float)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


def check_timeouts(timeout: object, grace: object, retry: object) -> None:
    """The options of `WorkerJob`, checked before the job exists (SPEC, Bad input)."""
    if timeout is not None:
        _number("timeout", timeout, positive=True)
    if grace is not None:
        _number("grace", grace, positive=False)
        if timeout is None:
            raise ValueError("grace needs a timeout (it counts from the deadline)")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise TypeError(f"retry must be a RetryPolicy, got {type(retry).__name__}")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and when a failed attempt is tried again.

    An attempt that raises an instance of `retry_on` (never a `CancelledError`, never a
    `BaseException` that is not an `Exception`) is tried again after `delay(n)` seconds
    (`n`: attempts so far) if fewer than `max_attempts` have started and the token is
    not cancelled. `backoff`, when given, replaces the default formula
    `min(max_delay, initial * factor ** (n - 1))`, so existing wait strategies plug in.
    """

    max_attempts: int = 3
    initial: float = 0.1
    factor: float = 2.0
    max_delay: float = 10.0
    backoff: Callable[[int], float] | None = None
    retry_on: tuple[type[Exception], ...] = (Exception,)

    def __post_init__(self) -> None:
        n = self.max_attempts
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"max_attempts must be an int, got {type(n).__name__}")
        if n < 1:
            raise ValueError(f"max_attempts must be at least 1, got {n}")
        _number("initial", self.initial, positive=False)
        _number("factor", self.factor, positive=True)
        _number("max_delay", self.max_delay, positive=False)
        if self.backoff is not None and not callable(self.backoff):
            raise TypeError(f"backoff must be callable, got {type(self.backoff).__name__}")
        retry_on: Any = self.retry_on
        if isinstance(retry_on, type):
            retry_on = (retry_on,)
            object.__setattr__(self, "retry_on", retry_on)
        if not isinstance(retry_on, tuple) or not retry_on:
            raise TypeError("retry_on must be a non-empty tuple of Exception subclasses, "
                            f"got {type(retry_on).__name__}")
        for kind in retry_on:
            if not (isinstance(kind, type) and issubclass(kind, Exception)):
                raise TypeError(f"retry_on must hold Exception subclasses only, got {kind!r}")

    def delay(self, attempts: int) -> float:
        """Seconds to wait after `attempts` attempts, before the next one."""
        if self.backoff is None:
            return min(self.max_delay, self.initial * self.factor ** (attempts - 1))
        return _number(f"backoff({attempts})", self.backoff(attempts), positive=False)

    def retries(self, error: BaseException) -> bool:
        """Whether an attempt that raised `error` may be tried again."""
        return isinstance(error, Exception) and isinstance(error, self.retry_on)


class Attempts:
    """One job's attempts, deadline and grace period (created only with an option)."""

    __slots__ = ("_deadline", "_grace", "_grace_fired", "_job", "_task", "count", "ended",
                 "grace", "retry", "timed_out", "timeout")

    def __init__(self, job: WorkerJob, timeout: float | None, grace: float | None,
                 retry: RetryPolicy | None) -> None:
        self._job = job
        self.timeout = timeout
        self.grace = grace
        self.retry = retry
        self.count = 0  # attempts started (`job.attempts`)
        self.timed_out = False  # the deadline took effect (`job.timed_out`)
        self.ended = False  # the last attempt has ended: the deadline has lost the race
        self._task: asyncio.Task[None] | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._grace: asyncio.TimerHandle | None = None
        self._grace_fired = False  # the grace period's own cancel was requested

    # --- the deadline and the grace period (timer callbacks) -----------------------

    def arm(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        """At launch: the deadline is launch time + timeout, on the loop's clock."""
        self._task = task
        if self.timeout is not None:
            when = loop.time() + self.timeout
            self._deadline = loop.call_at(when, self._on_deadline, when)

    def _live(self) -> bool:
        # The task may have ended without the attempts loop (cancelled before its first
        # step): its done-callback disarms us, but this timer may come first.
        return not self.ended and self._task is not None and not self._task.done()

    def _on_deadline(self, when: float) -> None:
        if not self._live():
            return  # run() ended first: one race, one winner
        loop = asyncio.get_running_loop()
        if loop.time() < when:  # fired early (within the clock's resolution): re-arm
            self._deadline = loop.call_at(when, self._on_deadline, when)
            return
        self._deadline = None
        self.timed_out = True
        metrics.timed_out(self._job._meter)
        if self.grace is not None:
            at = when + self.grace
            self._grace = loop.call_at(at, self._on_grace, at)
        self._job.cancellation_token.cancel()  # last: the job is consistent if it raises

    def _on_grace(self, when: float) -> None:
        if not self._live():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < when:
            self._grace = loop.call_at(when, self._on_grace, when)
            return
        self._grace = None
        assert self._task is not None
        if self._task.cancelling() > 0:
            # An outside hard cancel reached the task first: it wins, and ours would
            # only replace its message (asyncio keeps the last request's message when the
            # task's step is already due; regression:
            # test_an_outside_hard_cancel_first_keeps_its_message_when_the_step_is_due).
            return
        self._grace_fired = True
        self._task.cancel(GRACE_MESSAGE)

    def finish(self) -> None:
        """The job has ended: nothing of it stays scheduled. Idempotent."""
        self.ended = True
        for handle in (self._deadline, self._grace):
            if handle is not None:
                handle.cancel()
        self._deadline = self._grace = None

    # --- the attempts (the job's task body) ------------------------------------------

    async def run(self) -> None:
        """Attempts and backoffs; returns or raises what the job's `wait()` will."""
        job = self._job
        last: BaseException
        while True:
            self.count += 1
            metrics.attempt_started(job._meter)
            try:
                await job.worker_task.run()
            except BaseException as exc:
                # No await from here to the decision: run() ending is one instant, and
                # the deadline either took effect before it or never will.
                if not self._retries(exc):
                    self.finish()
                    outcome = self._outcome(exc, exc)
                    if outcome is exc:
                        raise
                    raise outcome  # noqa: B904 (its __cause__ is set: run()'s error)
                last = exc
            else:
                self.finish()
                return
            assert self.retry is not None
            try:
                await self._backoff(self.retry.delay(self.count))
            except BaseException as exc:  # a hard cancel, or a backoff() that raised
                self.finish()
                outcome = self._outcome(exc, last)
                if outcome is exc:
                    raise
                raise outcome  # noqa: B904 (its __cause__ is set: the last error)
            # The token is read in the step that would call run() again.
            if not self._may_start_again():
                self.finish()
                raise self._outcome(last, last)

    def _retries(self, error: BaseException) -> bool:
        retry = self.retry
        return (retry is not None and self.count < retry.max_attempts
                and retry.retries(error) and self._may_start_again())

    def _may_start_again(self) -> bool:
        """No attempt after the token is cancelled."""
        return not self._job.cancellation_token.is_cancelled()

    def _outcome(self, error: BaseException, cause: BaseException) -> BaseException:
        """What the job's task raises for `error` (`cause`: the last attempt's error)."""
        task = asyncio.current_task()
        if isinstance(error, asyncio.CancelledError) and task is not None:
            graces = bool(error.args) and error.args[0] is GRACE_MESSAGE
            if self._grace_fired:
                self._grace_fired = False
                task.uncancel()  # take back the grace period's own request
            # Two hard cancels reach a task that has not stepped since: asyncio raises
            # the first one's error (the second finds the waiter already cancelled). If
            # the grace period's came first, the job was timed out then, and an outside
            # one after it is a cancel of a task already being cancelled: it changes
            # nothing (regression: test_an_outside_hard_cancel_after_the_grace_periods_*).
            if task.cancelling() > 0 and not graces:
                return error  # an outside hard cancel: SPEC's rule, also after a deadline
        if self.timed_out:
            timeout = TimeoutError(f"timed out after {self.timeout}s")
            timeout.__cause__ = cause
            return timeout
        return error

    async def _backoff(self, delay: float) -> None:
        """Wait `delay` seconds, or until the token is cancelled, whichever comes first."""
        loop = asyncio.get_running_loop()
        until = loop.time() + delay
        token = self._job.cancellation_token
        if token.is_cancelled():
            return
        watcher: asyncio.Future[Any] | None = None
        cancelled = getattr(token, "cancelled", None)
        if callable(cancelled):
            watcher = asyncio.ensure_future(cancelled())
        try:
            while loop.time() < until and not token.is_cancelled():
                await _sleep_until(loop, until, watcher)
        finally:
            if watcher is not None:
                watcher.cancel()


async def _sleep_until(loop: asyncio.AbstractEventLoop, until: float,
                       watcher: asyncio.Future[Any] | None) -> None:
    """Until the loop's clock reaches `until` (possibly early: callers check again), or
    `watcher` is done. Its timer is cancelled on the way out, however it ends."""
    waiter: asyncio.Future[None] = loop.create_future()
    handle = loop.call_at(until, _release, waiter)
    wake = functools.partial(_release_on, waiter)
    if watcher is not None:
        watcher.add_done_callback(wake)
    try:
        await waiter
    finally:
        handle.cancel()
        if watcher is not None:
            watcher.remove_done_callback(wake)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _release_on(waiter: asyncio.Future[None], _: asyncio.Future[Any]) -> None:
    _release(waiter)
