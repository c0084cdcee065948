"""Timeouts and retries as transitions over `State` (ENHANCEMENTS.md).

Observable steps (`observe`) are deterministic: an observation leads to at most one
next state. Internal steps (`internal_transitions`) are what the job does unseen: a
task cancelled before its first step, a backoff cut short by the token or by a hard
cancel, the grace period's cancel, and the job's end (its continuations complete).

Time is abstract. The deadline is the observable step `DeadlineCancel`, enabled while
the job is live (`LIVE`): the deadline and the end of the last attempt are one race,
and whichever step comes first wins. The end of a backoff is no step of its own: the
next attempt starts at the instant the job calls `run()` again, and reads the token
at that instant.

`Variant`s break one rule each, so that the bounded check (`explore`) shows each
invariant can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from workerjob.model.actions import Err, Ok, Result, result_matches
from workerjob.model.classify import classify, error_message
from workerjob.model.timeouts.actions import (
    AttemptEnded,
    AttemptStarted,
    Cancelled,
    DeadlineCancel,
    HardCancelled,
    Launched,
    Observation,
    Read,
    Start,
    WaitCalled,
    WaitReturned,
)
from workerjob.model.timeouts.state import LIVE, Stage, State
from workerjob.model.vocabulary import CompletionType, Done, RunOutcome, TaskError


@dataclass(frozen=True, slots=True)
class Variant:
    """The spec, or the spec with one rule broken (`name` says which)."""

    name: str
    sentence: str
    late_deadline: bool = False
    retry_after_cancel: bool = False
    settle_per_attempt: bool = False
    timer_kept: bool = False
    timeout_failed: bool = False


CORRECT = Variant("correct", "ENHANCEMENTS.md, Timeouts and Retries.")
VARIANTS = {v.name: v for v in (
    CORRECT,
    Variant("late-deadline", "The deadline may take effect after run() ended.",
            late_deadline=True),
    Variant("retry-after-cancel", "A retry does not read the token.", retry_after_cancel=True),
    Variant("settle-per-attempt", "Each failed attempt completes the continuations.",
            settle_per_attempt=True),
    Variant("timer-kept", "The deadline's timer stays scheduled after the job ends.",
            timer_kept=True),
    Variant("timeout-failed", "A timed-out job whose run() raised is FAILED.",
            timeout_failed=True),
)}


def timeout_text(timeout: float) -> str:
    """The message of the job's `TimeoutError`."""
    return f"timed out after {timeout}s"


def backoff_delay(initial: float, factor: float, max_delay: float, n: int) -> float:
    """The default backoff after `n` attempts: `min(max_delay, initial * factor**(n-1))`."""
    return min(max_delay, initial * factor ** (n - 1))


# --- the job's end ---------------------------------------------------------------------


def end(v: Variant, s: State, external: bool) -> State:
    """The job ends with its last attempt's outcome: the continuations complete (unless
    already Done), `wait()`'s result is fixed, and nothing stays scheduled.

    `external`: an outside hard cancel ended it (SPEC's rule, also after a deadline)."""
    last = s.last
    result: Result
    if external:
        assert s.hard_cancel is not None
        error = last.error if last is not None and last.hard_cancelled else s.hard_cancel
        done = Done(CompletionType.CANCELLED, error_message(error))
        result = Err("CancelledError")  # any message: asyncio may drop it on the way
    elif s.timed_out and last is not None and last.error is not None:
        assert s.options.timeout is not None
        text = timeout_text(s.options.timeout)
        kind = CompletionType.FAILED if v.timeout_failed else CompletionType.CANCELLED
        done, result = Done(kind, text), Err("TimeoutError", text)
    else:
        assert last is not None  # without an outside cancel, some attempt has ended
        done = classify(s.token, last.error)
        result = Ok() if last.error is None else Err(last.error.type_name, last.error.text)
    s = latch(s, done)
    return replace(s, stage=Stage.ENDED, wait_result=result, deadline_armed=(
        v.timer_kept and s.deadline_armed), grace_armed=False, backoff_armed=False)


def latch(s: State, done: Done) -> State:
    """Running -> Done: the registered continuations become due. Done is absorbing."""
    if isinstance(s.phase, Done):
        return s
    return replace(s, phase=done, due=s.due | s.registered, registered=frozenset())


# --- the observable half -----------------------------------------------------------------


def observe(v: Variant, s: State, obs: Observation) -> State | str:
    """The state after `obs`, or a sentence saying why `s` does not allow it."""
    match obs:
        case Launched():
            if s.stage is not Stage.IDLE:
                return "launch() succeeded twice"
            return replace(s, stage=Stage.STARTING,
                           deadline_armed=s.options.timeout is not None)
        case Cancelled():
            return replace(s, token=True)
        case HardCancelled(msg):
            if s.stage is Stage.IDLE:
                return "a hard cancel before launch()"
            # The first of the two cancels to reach the task wins: after the grace
            # period's, an outside one cancels a task already being cancelled.
            if s.stage in LIVE and s.hard_cancel is None and not s.grace_cancel:
                return replace(s, hard_cancel=TaskError("CancelledError", msg or ""))
            return s  # once the last attempt has ended, a hard cancel changes nothing
        case DeadlineCancel():
            return _deadline(v, s)
        case AttemptStarted(n):
            return _attempt_starts(v, s, n)
        case AttemptEnded(outcome, retryable):
            return _attempt_ends(v, s, outcome, retryable)
        case Start(cont, kind, message):
            return _start(s, cont, kind, message)
        case Read():
            wanted = Read(s.attempts, s.timed_out, s.phase)
            return s if obs == wanted else f"the model reads {wanted} ({s.stage.value})"
        case WaitCalled(op_id):
            return replace(s, waits=s.waits | {op_id})
        case WaitReturned(op_id, result):
            if op_id not in s.waits:
                return f"wait #{op_id} is not in flight"
            if s.stage is not Stage.ENDED or s.wait_result is None:
                return f"wait #{op_id} returned before the job ended ({s.stage.value})"
            if not result_matches(s.wait_result, result):
                return f"wait #{op_id} must return {s.wait_result}"
            return replace(s, waits=s.waits - {op_id})


def _deadline(v: Variant, s: State) -> State | str:
    if s.options.timeout is None:
        return "the job cancelled its token, and it has no timeout"
    if s.timed_out:
        return "the deadline took effect twice"
    if s.stage not in LIVE and s.stage is not Stage.IDLE and not v.late_deadline:
        return f"the deadline took effect after the job's run() ended ({s.stage.value})"
    if not s.deadline_armed:
        return f"the job cancelled its token, and no deadline is armed ({s.stage.value})"
    return replace(s, timed_out=True, token=True, deadline_armed=False,
                   grace_armed=s.options.grace is not None)


def _attempt_starts(v: Variant, s: State, n: int) -> State | str:
    if s.stage is Stage.STARTING:
        if n != 1:
            return f"attempt {n} started first"
    elif s.stage is Stage.BACKOFF:
        if n != s.attempts + 1:
            return f"attempt {n} started after attempt {s.attempts}"
        if s.token and not v.retry_after_cancel:
            return f"attempt {n} started after the token was cancelled"
    else:
        why = " after the token was cancelled" if s.token else ""
        return f"attempt {n} started{why} while the job is {s.stage.value}"
    if s.hard_cancel is not None or s.grace_cancel:
        return f"attempt {n} started after its task was cancelled"
    return replace(s, stage=Stage.RUNNING, attempts=n, backoff_armed=False)


def _attempt_ends(v: Variant, s: State, outcome: RunOutcome, retryable: bool) -> State | str:
    if s.stage is not Stage.RUNNING:
        return f"an attempt ended while the job is {s.stage.value}"
    if outcome.hard_cancelled and s.hard_cancel is None and not s.grace_cancel:
        return "run() was cancelled but no hard cancel took effect"
    s = replace(s, last=outcome)
    retry = (outcome.error is not None and not outcome.hard_cancelled and retryable
             and s.attempts < s.options.max_attempts and not s.token)
    if not retry:
        return replace(s, stage=Stage.ENDING)
    if v.settle_per_attempt:
        s = latch(s, classify(s.token, outcome.error))
    return replace(s, stage=Stage.BACKOFF, backoff_armed=True)


def _start(s: State, cont: int, kind: CompletionType, message: str | None) -> State | str:
    if cont in s.started:
        return f"c{cont} already started once"
    if cont not in s.due:
        return f"c{cont} is not due ({s.phase}, the job is {s.stage.value})"
    phase = s.phase
    assert isinstance(phase, Done)
    if (kind, message) != (phase.completion_type, phase.error_message):
        return f"c{cont} is due with {phase}"
    return replace(s, started=s.started | {cont})


# --- the internal half -------------------------------------------------------------------


def internal_transitions(v: Variant, s: State) -> Iterator[tuple[str, State]]:
    stage = s.stage
    if stage is Stage.ENDING:
        external = bool(s.last and s.last.hard_cancelled and s.hard_cancel is not None)
        yield "the job ends", end(v, s, external)
    elif stage is Stage.STARTING and s.hard_cancel is not None:
        cancelled = replace(s, last=RunOutcome(s.hard_cancel, hard_cancelled=True))
        yield "the task ends cancelled before its first step", end(v, cancelled, True)
    elif stage is Stage.BACKOFF:
        if s.hard_cancel is not None:
            yield "a hard cancel ends the backoff", end(v, s, True)
        elif s.grace_cancel or s.token:
            yield "the token ends the backoff", end(v, s, False)
    if s.grace_armed and stage in (Stage.RUNNING, Stage.BACKOFF):
        # An outside hard cancel on its way reached the task first and wins: the grace
        # period has nothing left to cancel (its cancel would only change the message).
        yield "the grace period cancels the task", replace(
            s, grace_armed=False, grace_cancel=s.hard_cancel is None)


def final_problems(v: Variant, s: State) -> list[str] | None:
    """Why a run cannot end in `s` (empty when it can); `None` while internal steps
    are still enabled."""
    if any(True for _ in internal_transitions(v, s)):
        return None
    problems = []
    if s.stage not in (Stage.IDLE, Stage.ENDED):
        problems.append(f"the job never ended ({s.stage.value})")
    problems += [f"wait #{w} never returned" for w in sorted(s.waits)]
    problems += [f"c{c} was due but never started" for c in sorted(s.due - s.started)]
    return problems
