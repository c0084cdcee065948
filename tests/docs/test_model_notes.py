"""Claims of `proofs_notes/model.md` that no other test pins, each checked on the model
itself (hand traces through the oracle)."""

from __future__ import annotations

import pytest

from tests.model.traces import (
    CANCELLED,
    NORMAL,
    add,
    cancel,
    complete,
    hard_cancel,
    launch,
    raised,
    read,
    ret,
    run_ended,
    saw,
    start,
    wait,
)
from workerjob.conformance.stateful import machine
from workerjob.model import (
    Observation,
    Oracle,
    Violation,
    initial_continuations,
    initial_job,
)
from workerjob.model.actions import AddOrRunNow, Invoke

JOB_WORKER = "job-worker"


def verdict(trace: list[Observation], *, job: bool = True, reduce: bool = True) -> Violation | None:
    initial = initial_job(JOB_WORKER) if job else initial_continuations()
    oracle = Oracle(initial, reduce=reduce)
    return oracle.feed(trace) or oracle.finish()


def test_a_start_before_run_ended_is_impossible() -> None:
    """RunEnded must come before its consequences: observed from inside run()."""
    good: list[Observation] = [add(1, "a"), ret(1), launch(2), ret(2), run_ended(),
                               start(1, JOB_WORKER, NORMAL)]
    assert verdict(good) is None
    bad: list[Observation] = [add(1, "a"), ret(1), launch(2), ret(2),
                              start(1, JOB_WORKER, NORMAL), run_ended()]
    v = verdict(bad)
    assert v is not None and v.index == 4


def test_hard_cancel_before_launch_is_attribute_error() -> None:
    assert verdict([hard_cancel(1), raised(1, "AttributeError")]) is None
    v = verdict([hard_cancel(1), ret(1)])
    assert v is not None and "must return raises AttributeError" in v.explain()


def test_second_wait_is_refused_while_the_first_waits() -> None:
    # The first wait stays in flight (run() never ends); the second is refused at once.
    assert verdict([launch(1), ret(1), wait(2), wait(3), raised(3, "RuntimeError")]) is None
    v = verdict([launch(1), ret(1), wait(2), wait(3), run_ended(), ret(2), ret(3)])
    assert v is not None and "must return raises RuntimeError" in v.explain()


def test_results_compare_the_text_only_where_spec_fixes_it() -> None:
    # SPEC fixes "Task not launched": another text is a violation.
    assert verdict([wait(1), raised(1, "RuntimeError", "Task not launched")]) is None
    assert verdict([wait(1), raised(1, "RuntimeError", "not yet")]) is not None
    # SPEC names InvalidStateError only: any text.
    second: list[Observation] = [complete(1), ret(1), complete(2),
                                 raised(2, "InvalidStateError", "anything")]
    assert verdict(second, job=False) is None
    # After a hard cancel, wait() raises CancelledError with any message.
    hard: list[Observation] = [launch(1), ret(1), hard_cancel(2, "stop"), ret(2), wait(3),
                               raised(3, "CancelledError", "")]
    assert verdict(hard) is None
    # The type always counts.
    assert verdict([complete(1), ret(1), complete(2), raised(2, "RuntimeError")],
                   job=False) is not None


def test_a_reused_continuation_id_is_rejected() -> None:
    """Regression: the oracle checked op ids for reuse, not continuation ids, so a trace
    that added c7 twice was accepted into states outside the freshness lemma of
    invariants.md (due_at_most_once broken). Now the second add is refused."""
    trace: list[Observation] = [
        complete(1), ret(1),
        Invoke(2, AddOrRunNow("a", 7, "x")), ret(2),
        Invoke(3, AddOrRunNow("a", 7, "y")), ret(3),
    ]
    oracle = Oracle(initial_continuations())
    violation = oracle.feed(trace)
    assert violation is not None
    assert violation.index == 4
    assert "c7 is added twice" in violation.explain()


def test_the_harness_bounds_operations_in_flight() -> None:
    assert machine.MAX_IN_FLIGHT == 4  # the number proofs_notes/model.md gives


RACES_WITH_THE_JOBS_COMPLETION: dict[str, list[Observation]] = {
    "a cancel": [launch(1), ret(1), run_ended(), wait(2), cancel(3), ret(2), ret(3),
                 read(4), saw(4, CANCELLED)],
    "an add": [launch(1), ret(1), run_ended(), add(2, "a"), wait(3), ret(3), ret(2),
               start(2, JOB_WORKER, NORMAL)],
}


@pytest.mark.parametrize("name", RACES_WITH_THE_JOBS_COMPLETION)
def test_the_plain_oracle_accepts_a_race_with_the_jobs_completion(name: str) -> None:
    assert verdict(RACES_WITH_THE_JOBS_COMPLETION[name], reduce=False) is None


# Regression: closure_for took the job's own steps without the operations they depend
# on, so the reduced oracle rejected these runs (found writing proofs_notes/model.md).
@pytest.mark.parametrize("name", RACES_WITH_THE_JOBS_COMPLETION)
def test_reduced_oracle_and_a_race_with_the_jobs_completion(name: str) -> None:
    assert verdict(RACES_WITH_THE_JOBS_COMPLETION[name], reduce=True) is None
