"""The original's departures, named one by one: each is a trace that SPEC (the atomic
spec) rejects, that SPEC plus that one departure accepts, and that `original` accepts
only because it holds that departure."""

from __future__ import annotations

import pytest

from workerjob.model import (
    ATOMIC,
    DEPARTURES,
    NAMED_SPECS,
    ORIGINAL,
    Observation,
    Ok,
    Oracle,
    Return,
    RunEnded,
    Running,
    RunOutcome,
    Spec,
    TaskError,
    Violation,
    initial_continuations,
    initial_job,
    spec_with,
)
from workerjob.model.departures import ORIGINAL as ORIGINAL_SET

from .traces import (
    BOOM,
    FAILED,
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

PANIC = TaskError("Abort", "abort")
CANCELLED_ERROR = TaskError("CancelledError", "")


def saw_running(i: int) -> Return:
    return Return(i, Ok(Running()))


def panicked(error: TaskError) -> RunEnded:
    return RunEnded(RunOutcome(error, panicked=True))


# name -> (job level?, trace, the observation atomic rejects it at; None: at the end)
CASES: dict[str, tuple[bool, list[Observation], int | None]] = {
    "token-read-early": (True, [
        # The trace of the original in SPEC's departures section: the job's own
        # completion read the token before cancel(), and took effect after a read.
        launch(1), ret(1), run_ended(), cancel(2), ret(2), read(3), saw_running(3),
        read(4), saw(4, NORMAL),
    ], 8),
    "complete-overwrites-done": (False, [
        complete(1), ret(1), complete(2, BOOM), ret(2), read(3), saw(3, FAILED, "boom"),
    ], 3),
    "wait-returns-ok": (True, [
        launch(1), ret(1), wait(2), run_ended(BOOM), ret(2),
    ], 4),
    "empty-message-stays-empty": (False, [
        complete(1, TaskError("ValueError", "")), ret(1), read(2), saw(2, FAILED, ""),
    ], 3),
    "panic-leaves-running": (True, [
        launch(1), ret(1), add(2, "a"), ret(2), wait(3), panicked(PANIC),
        raised(3, "Abort", "abort"), read(4), saw_running(4),
    ], 8),
    "abort-leaves-running": (True, [
        launch(1), ret(1), add(2, "a"), ret(2), hard_cancel(3), ret(3), wait(4),
        run_ended(CANCELLED_ERROR, hard=True), raised(4, "CancelledError"), read(5),
        saw_running(5),
    ], 10),
}


def check(trace: list[Observation], job: bool, spec: Spec) -> Violation | None:
    oracle = Oracle(initial_job("job-worker") if job else initial_continuations(), spec)
    return oracle.feed(trace) or oracle.finish()


@pytest.mark.parametrize("name", CASES)
def test_atomic_rejects_the_departure_where_it_shows(name: str) -> None:
    job, trace, index = CASES[name]
    violation = check(trace, job, ATOMIC)
    assert violation is not None
    assert violation.index == index, violation.explain()


@pytest.mark.parametrize("name", CASES)
def test_atomic_plus_the_departure_accepts_it(name: str) -> None:
    job, trace, _ = CASES[name]
    assert check(trace, job, spec_with(ATOMIC, [name])) is None


@pytest.mark.parametrize("name", CASES)
def test_original_accepts_it_because_of_that_departure(name: str) -> None:
    job, trace, _ = CASES[name]
    assert check(trace, job, ORIGINAL) is None
    without = Spec("original-minus", "", ORIGINAL_SET - {name})
    assert check(trace, job, without) is not None


def test_the_token_read_early_spec_covers_the_job_completion_raising_too() -> None:
    trace: list[Observation] = [
        launch(1), ret(1), run_ended(BOOM), cancel(2), ret(2), read(3), saw_running(3),
        read(4), saw(4, FAILED, "boom")]
    assert check(trace, True, NAMED_SPECS["token-read-early"]) is None
    violation = check(trace, True, ATOMIC)
    assert violation is not None and violation.index == 8


def test_an_abort_between_the_critical_sections_drops_what_was_registered() -> None:
    trace: list[Observation] = [
        launch(1), ret(1), add(2, "a"), ret(2), run_ended(), hard_cancel(3), ret(3),
        wait(4), raised(4, "CancelledError"), read(5), saw(5, NORMAL)]
    assert check(trace, True, ORIGINAL) is None  # c2 never starts, and that is allowed
    assert check([*trace, start(2, "job-worker", NORMAL)], True, ORIGINAL) is not None
    assert check(trace, True, ATOMIC) is not None


def test_hard_cancel_after_run_ended_changes_nothing() -> None:
    """SPEC: once run() has ended, a hard cancel changes nothing (not the outcome, not
    wait(), not the continuations), even while the task is still completing."""
    base: list[Observation] = [
        launch(1), ret(1), add(2, "a"), ret(2), run_ended(), hard_cancel(3), ret(3), wait(4)]
    assert check([*base, ret(4), read(5), saw(5, NORMAL), start(2, "job-worker", NORMAL)],
                 True, ATOMIC) is None
    assert check([*base, raised(4, "CancelledError")], True, ATOMIC) is not None
    assert check([*base, ret(4), read(5), saw_running(5)], True, ATOMIC) is not None


def test_every_departure_has_a_name_and_one_sentence() -> None:
    for name, departure in DEPARTURES.items():
        assert departure.name == name and name == name.lower()
        assert departure.sentence.endswith(".") and departure.sentence.count(". ") == 0
    assert frozenset(DEPARTURES) == ORIGINAL_SET


def test_an_unknown_departure_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown departure 'lenient'"):
        spec_with(ATOMIC, ["lenient"])


def test_allowing_a_departure_names_the_spec_after_it() -> None:
    spec = spec_with(ATOMIC, ["wait-returns-ok"])
    assert spec.name == "atomic+wait-returns-ok"
    assert spec.in_force() == "wait-returns-ok"
    assert ATOMIC.in_force() == "none"
    assert spec_with(ORIGINAL, ["wait-returns-ok"]) is ORIGINAL
