"""The timeouts-and-retries model (model/timeouts/): the bounded exhaustive check of
every invariant, a broken variant caught by each, and the contract's rules as walks."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from workerjob.model.actions import Err, Ok
from workerjob.model.timeouts import (
    VARIANTS,
    AttemptEnded,
    AttemptStarted,
    Cancelled,
    DeadlineCancel,
    HardCancelled,
    Launched,
    Observation,
    Options,
    Read,
    Stage,
    Start,
    State,
    TimeoutsOracle,
    WaitCalled,
    WaitReturned,
    backoff_delay,
    initial,
    timeout_text,
)
from workerjob.model.timeouts.explore import FATAL, FLAKY, explore
from workerjob.model.timeouts.invariants import STATE_INVARIANTS, STEP_INVARIANTS
from workerjob.model.timeouts.spec import CORRECT, internal_transitions, observe
from workerjob.model.vocabulary import CompletionType, Done, Running, RunOutcome, TaskError

CANCELLED, FAILED, NORMAL = CompletionType.CANCELLED, CompletionType.FAILED, CompletionType.NORMAL
TIMEOUT = timeout_text(1.0)
GRACE_CANCEL = RunOutcome(TaskError("CancelledError", "timeout"), hard_cancelled=True)


def settle(s: State) -> State:
    """Let the job's internal steps run (the first enabled one each time)."""
    while (steps := list(internal_transitions(CORRECT, s))):
        s = steps[0][1]
    return s


def walk(options: Options, observations: Sequence[Observation]) -> State:
    s = initial(options, frozenset({1}))
    for obs in observations:
        nxt = observe(CORRECT, settle(s) if isinstance(obs, Start) else s, obs)
        assert isinstance(nxt, State), f"{obs}: {nxt}"
        s = nxt
    return settle(s)


# --- the bounded exhaustive check ------------------------------------------------------


def test_every_invariant_holds_on_every_reachable_state_and_step() -> None:
    report = explore(CORRECT)
    assert report.broken == {}
    assert report.states > 1000  # 9 worlds: up to 3 attempts, with/without deadline, grace


def test_the_search_covers_the_races_of_the_new_transitions() -> None:
    labels = explore(CORRECT).seen_labels
    assert {"the deadline cancels the token", "cancel()", "task_handle.cancel('stop')",
            "attempt returned", "the grace period cancels the task",
            "the token ends the backoff", "a hard cancel ends the backoff",
            "the task ends cancelled before its first step"} <= labels


@pytest.mark.parametrize("racer", [Cancelled(), HardCancelled("stop"),
                                   AttemptEnded(RunOutcome(FATAL))])
def test_the_deadline_races_each_in_both_orders(racer: Observation) -> None:
    """From a running attempt, the deadline and `racer` may happen in either order;
    when run() ending comes first, the deadline is refused (one winner)."""
    running = walk(Options(1.0, None, 1), [Launched(), AttemptStarted(1)])
    first = observe(CORRECT, running, DeadlineCancel())
    assert isinstance(first, State)
    assert isinstance(observe(CORRECT, first, racer), State)
    second = observe(CORRECT, running, racer)
    assert isinstance(second, State)
    late = observe(CORRECT, second, DeadlineCancel())
    assert isinstance(late, State) != isinstance(racer, AttemptEnded)


@pytest.mark.parametrize(("variant", "invariant"), [
    ("late-deadline", "one_winner"),
    ("retry-after-cancel", "no_attempt_after_cancel"),
    ("settle-per-attempt", "done_only_after_last_attempt"),
    ("timer-kept", "nothing_scheduled_when_ended"),
    ("timeout-failed", "timeout_is_cancelled"),
])
def test_each_broken_variant_is_caught_by_its_invariant(variant: str, invariant: str) -> None:
    broken = explore(VARIANTS[variant]).broken
    assert invariant in broken, broken
    assert len(broken[invariant]) <= 7  # a short counterexample, breadth first


def test_every_invariant_has_a_variant_or_is_structural() -> None:
    names = {i.name for i in STATE_INVARIANTS} | {i.name for i in STEP_INVARIANTS}
    caught = set().union(*(explore(v).broken for v in VARIANTS.values()))
    # attempts_bounded and grace_only_after_deadline hold by the shape of the steps
    # (no variant moves them); each other invariant has a variant that breaks it.
    assert names - caught == {"attempts_bounded", "grace_only_after_deadline"}


# --- the contract's rules, as walks ------------------------------------------------------


def test_run_ending_before_the_deadline_is_no_timeout() -> None:
    s = walk(Options(1.0, None, 1), [Launched(), AttemptStarted(1), AttemptEnded(RunOutcome())])
    assert s.phase == Done(NORMAL, None) and not s.timed_out and not s.timers
    assert isinstance(observe(CORRECT, s, DeadlineCancel()), str)


def test_a_timeout_whose_run_raises_is_a_timeout_error() -> None:
    s = walk(Options(1.0, None, 1), [Launched(), AttemptStarted(1), DeadlineCancel(),
                                     AttemptEnded(RunOutcome(FATAL))])
    assert s.phase == Done(CANCELLED, TIMEOUT) and s.timed_out
    assert s.wait_result == Err("TimeoutError", TIMEOUT)


def test_a_timeout_whose_run_returns_has_no_message() -> None:
    s = walk(Options(1.0, None, 1), [Launched(), AttemptStarted(1), DeadlineCancel(),
                                     AttemptEnded(RunOutcome())])
    assert s.phase == Done(CANCELLED, None) and s.wait_result == Ok()


def test_the_grace_period_cancel_is_a_timeout_error() -> None:
    graced = walk(Options(1.0, 0.0, 1), [Launched(), AttemptStarted(1), DeadlineCancel()])
    assert graced.grace_cancel  # the grace period's internal step has run
    s = observe(CORRECT, graced, AttemptEnded(GRACE_CANCEL))
    assert isinstance(s, State)
    assert settle(s).phase == Done(CANCELLED, TIMEOUT)
    # without a grace period, run() cannot end cancelled
    ungraced = walk(Options(1.0, None, 1), [Launched(), AttemptStarted(1), DeadlineCancel()])
    assert isinstance(observe(CORRECT, ungraced, AttemptEnded(GRACE_CANCEL)), str)


def test_an_outside_hard_cancel_after_the_deadline_stays_spec() -> None:
    s = walk(Options(1.0, 0.0, 1), [Launched(), AttemptStarted(1), DeadlineCancel(),
                                     HardCancelled("stop"),
                                     AttemptEnded(RunOutcome(TaskError("CancelledError", "stop"),
                                                             hard_cancelled=True))])
    assert s.phase == Done(CANCELLED, "stop") and s.wait_result == Err("CancelledError")


def test_the_first_of_two_hard_cancels_to_reach_the_task_wins() -> None:
    """An outside hard cancel and the grace period's, at one instant: the first wins.
    Before, an outside one after the grace period's was taken for the winner, and the
    grace period's step after an outside one still counted as a cancel of its own."""
    opts = Options(1.0, 0.0, 1)
    deadline: list[Observation] = [Launched(), AttemptStarted(1), DeadlineCancel()]
    # The grace period's first: the outside one cancels a task already being cancelled.
    graced = settle(walk(opts, deadline))
    assert graced.grace_cancel
    late = observe(CORRECT, graced, HardCancelled(None))
    assert late == graced
    ended = observe(CORRECT, late, AttemptEnded(GRACE_CANCEL))
    assert isinstance(ended, State) and settle(ended).phase == Done(CANCELLED, TIMEOUT)
    # The outside one first: the grace period has nothing left to cancel.
    outside = observe(CORRECT, initial(opts, frozenset({1})), Launched())
    for obs in [*deadline[1:], HardCancelled("stop")]:
        assert isinstance(outside, State)
        outside = observe(CORRECT, outside, obs)
    assert isinstance(outside, State)
    after = [t for label, t in internal_transitions(CORRECT, outside)
             if label == "the grace period cancels the task"]
    assert after and not after[0].grace_cancel and not after[0].grace_armed
    stopped = observe(CORRECT, after[0], AttemptEnded(
        RunOutcome(TaskError("CancelledError", "stop"), hard_cancelled=True)))
    assert isinstance(stopped, State) and settle(stopped).phase == Done(CANCELLED, "stop")
    # Seen from outside, the grace period's step is not observed: both are allowed.
    for final in (Done(CANCELLED, TIMEOUT), Done(CANCELLED, "timeout")):
        oracle = TimeoutsOracle(initial(opts))
        for seen in [*deadline, HardCancelled(None), AttemptEnded(GRACE_CANCEL),
                     Read(1, True, final)]:
            assert oracle.observe(seen) is None, final


def test_a_retryable_error_retries_until_the_attempts_run_out() -> None:
    flaky = AttemptEnded(RunOutcome(FLAKY), retryable=True)
    s = walk(Options(None, None, 2), [Launched(), AttemptStarted(1), flaky])
    assert s.stage is Stage.BACKOFF and s.phase == Running() and s.backoff_armed
    s = walk(Options(None, None, 2), [Launched(), AttemptStarted(1), flaky,
                                      AttemptStarted(2), flaky])
    assert s.phase == Done(FAILED, "flaky") and s.attempts == 2
    assert s.wait_result == Err("ValueError", "flaky")


def test_an_error_the_policy_does_not_retry_ends_the_job() -> None:
    s = walk(Options(None, None, 3), [Launched(), AttemptStarted(1),
                                      AttemptEnded(RunOutcome(FATAL), retryable=False)])
    assert s.phase == Done(FAILED, "fatal") and s.attempts == 1


def test_cancel_during_the_backoff_ends_the_job_with_the_last_error() -> None:
    s = walk(Options(None, None, 3), [Launched(), AttemptStarted(1),
                                      AttemptEnded(RunOutcome(FLAKY), retryable=True),
                                      Cancelled()])
    assert s.phase == Done(CANCELLED, "flaky") and s.wait_result == Err("ValueError", "flaky")
    assert isinstance(observe(CORRECT, s, AttemptStarted(2)), str)


def test_a_deadline_during_the_backoff_is_a_timeout() -> None:
    s = walk(Options(1.0, None, 3), [Launched(), AttemptStarted(1),
                                     AttemptEnded(RunOutcome(FLAKY), retryable=True),
                                     DeadlineCancel()])
    assert s.phase == Done(CANCELLED, TIMEOUT) and s.timed_out and not s.timers


def test_a_hard_cancel_before_the_first_step_runs_no_attempt() -> None:
    s = walk(Options(1.0, None, 3), [Launched(), HardCancelled(None)])
    assert s.phase == Done(CANCELLED, "CancelledError") and s.attempts == 0
    assert s.wait_result == Err("CancelledError") and not s.timers


def test_default_backoff_formula() -> None:
    assert [backoff_delay(0.1, 2.0, 0.3, n) for n in (1, 2, 3)] == [0.1, 0.2, 0.3]


# --- the oracle ----------------------------------------------------------------------------


def test_oracle_accepts_a_retried_then_timed_out_run_and_its_continuation() -> None:
    oracle = TimeoutsOracle(initial(Options(1.0, None, 2), frozenset({1})))
    trace: list[Observation] = [
        Launched(), WaitCalled(9), AttemptStarted(1),
        AttemptEnded(RunOutcome(FLAKY), retryable=True), Read(1, False, Running()),
        AttemptStarted(2), DeadlineCancel(), AttemptEnded(RunOutcome(FATAL)),
        Start(1, CANCELLED, TIMEOUT), Read(2, True, Done(CANCELLED, TIMEOUT)),
        WaitReturned(9, Err("TimeoutError", TIMEOUT)),
    ]
    for obs in trace:
        assert oracle.observe(obs) is None, oracle.violation
    assert oracle.finish() is None


def test_oracle_rejects_a_deadline_after_run_returned() -> None:
    oracle = TimeoutsOracle(initial(Options(1.0, None, 1)))
    for obs in (Launched(), AttemptStarted(1), AttemptEnded(RunOutcome())):
        assert oracle.observe(obs) is None
    violation = oracle.observe(DeadlineCancel())
    assert violation is not None and "after the job's run() ended" in violation.explain()


def test_oracle_finish_wants_every_continuation_started() -> None:
    oracle = TimeoutsOracle(initial(Options(None, None, 1), frozenset({1})))
    for obs in (Launched(), AttemptStarted(1), AttemptEnded(RunOutcome())):
        assert oracle.observe(obs) is None
    violation = oracle.finish()
    assert violation is not None and "c1 was due but never started" in violation.explain()
