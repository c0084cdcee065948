"""Hand-written traces the oracle must accept, and ones it must reject."""

from __future__ import annotations

import pytest

from workerjob.model import (
    ATOMIC,
    TOKEN_READ_EARLY,
    Observation,
    Oracle,
    Running,
    Spec,
    State,
    Violation,
    initial_continuations,
    initial_job,
)
from workerjob.model.actions import Ok, Return

from .traces import (
    BOOM,
    CANCELLED,
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

RUNNING = Ok(Running())


def check(
    trace: list[Observation], *, job: bool = False, spec: Spec = ATOMIC, finish: bool = True
) -> Violation | None:
    initial: State = initial_job("job-worker") if job else initial_continuations()
    oracle = Oracle(initial, spec)
    violation = oracle.feed(trace)
    if violation is None and finish:
        violation = oracle.finish()
    return violation


# --- accepted ---------------------------------------------------------------------------

ACCEPTED: dict[str, list[Observation]] = {
    "registered while Running, started by complete with the completer's worker": [
        add(1, "a"), ret(1), complete(2), ret(2), start(1, "completer", NORMAL),
    ],
    "added after Done runs at once with the adder's worker": [
        complete(1, BOOM), ret(1), add(2, "a"), ret(2), start(2, "adder", FAILED, "boom"),
    ],
    "the start may come before add returns": [
        complete(1), ret(1), add(2, "a"), start(2, "adder", NORMAL), ret(2),
    ],
    "add overlapping complete may take effect before it": [
        add(1, "a"), complete(2), ret(2), ret(1), start(1, "completer", NORMAL),
    ],
    "add overlapping complete may take effect after it": [
        add(1, "a"), complete(2), ret(2), ret(1), start(1, "adder", NORMAL),
    ],
    "a later add replaces an earlier one under the same key": [
        add(1, "a"), ret(1), add(2, "a"), ret(2), add(3, "b"), ret(3),
        complete(4), ret(4), start(3, "completer", NORMAL), start(2, "completer", NORMAL),
    ],
    "cancel before complete: cancelled, and the error's message is kept": [
        cancel(1), ret(1), complete(2, BOOM), ret(2), read(3),
        saw(3, CANCELLED, "boom"),
    ],
    "cancel overlapping complete may land after it": [
        cancel(1), complete(2), ret(2), ret(1), read(3), saw(3, NORMAL),
    ],
    "cancel overlapping complete may land before it": [
        cancel(1), complete(2), ret(2), ret(1), read(3), saw(3, CANCELLED),
    ],
    "cancel after complete changes nothing": [
        complete(1), ret(1), cancel(2), ret(2), read(3), saw(3, NORMAL),
    ],
    "a second complete raises InvalidStateError and changes nothing": [
        complete(1), ret(1), complete(2, BOOM), raised(2, "InvalidStateError"),
        read(3), saw(3, NORMAL),
    ],
    "state reads Running before complete": [read(1), ret(1, RUNNING)],
}

JOB_ACCEPTED: dict[str, list[Observation]] = {
    "a failed run fails the job, and wait re-raises": [
        add(1, "a"), ret(1), launch(2), ret(2), wait(3), run_ended(BOOM),
        raised(3, "ValueError", "boom"), start(1, "job-worker", FAILED, "boom"),
    ],
    "a cooperative cancel: the token is read when the job completes": [
        launch(1), ret(1), cancel(2), ret(2), run_ended(), wait(3), ret(3),
        read(4), saw(4, CANCELLED),
    ],
    "a hard cancel ends the job cancelled with the message": [
        launch(1), ret(1), hard_cancel(2, "stop"), ret(2), wait(3),
        run_ended(BOOM.__class__("CancelledError", "stop"), hard=True),
        raised(3, "CancelledError"), read(4), saw(4, CANCELLED, "stop"),
    ],
    "a hard cancel before run() started still completes the job": [
        launch(1), ret(1), hard_cancel(2), ret(2), wait(3), raised(3, "CancelledError"),
        read(4), saw(4, CANCELLED, "CancelledError"),
    ],
    "someone else completes first: the job's own completion is skipped": [
        launch(1), ret(1), complete(2, BOOM), ret(2), run_ended(), wait(3), ret(3),
        read(4), saw(4, FAILED, "boom"),
    ],
    "misuse: wait before launch, launch twice, wait twice": [
        wait(1), raised(1, "RuntimeError", "Task not launched"), launch(2), ret(2),
        launch(3), raised(3, "RuntimeError"), run_ended(), wait(4), ret(4),
        wait(5), raised(5, "RuntimeError"),
    ],
    "a wait on a task that never ends may stay in flight": [launch(1), ret(1), wait(2)],
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted(name: str) -> None:
    assert check(ACCEPTED[name]) is None


@pytest.mark.parametrize("name", JOB_ACCEPTED)
def test_job_accepted(name: str) -> None:
    assert check(JOB_ACCEPTED[name], job=True) is None


# --- rejected ---------------------------------------------------------------------------

REJECTED: dict[str, tuple[list[Observation], str]] = {
    "a continuation registered while Running starts before any complete": (
        [add(1, "a"), ret(1), start(1, "adder", NORMAL)],
        "registered under 'a'",
    ),
    "a replaced continuation starts": (
        [add(1, "a"), ret(1), add(2, "a"), ret(2), complete(3), ret(3),
         start(1, "completer", NORMAL)],
        "replaced",
    ),
    "NORMAL when cancel returned before complete was invoked": (
        [cancel(1), ret(1), complete(2), ret(2), read(3), saw(3, NORMAL)],
        "must return ok Done(CANCELLED",
    ),
    "two different Done values": (
        [complete(1, BOOM), ret(1), read(2), saw(2, FAILED, "boom"), read(3),
         saw(3, NORMAL)],
        "must return ok Done(FAILED",
    ),
    "a continuation started twice": (
        [add(1, "a"), ret(1), complete(2), ret(2), start(1, "completer", NORMAL),
         start(1, "completer", NORMAL)],
        "already started",
    ),
    "a continuation that never starts": (
        [add(1, "a"), ret(1), complete(2), ret(2)],
        "c1 was due but never started",
    ),
    "a registered continuation started with the adder's worker": (
        [add(1, "a"), ret(1), complete(2), ret(2), start(1, "adder", NORMAL)],
        "is due as start c1(completer",
    ),
    "the message dropped under CANCELLED": (
        [cancel(1), ret(1), complete(2, BOOM), ret(2), read(3), saw(3, CANCELLED)],
        "must return ok Done(CANCELLED, 'boom')",
    ),
    "a second complete that succeeds": (
        [complete(1), ret(1), complete(2, BOOM), ret(2)],
        "raises InvalidStateError",
    ),
    "an operation that never returns": (
        [add(1, "a")],
        "#1 add_or_run_now('a', c1, adder) never returned",
    ),
    "a return before the invocation": ([ret(1)], "not in flight"),
    "an operation id used twice": ([add(1, "a"), ret(1), add(1, "b")], "used twice"),
}

JOB_REJECTED: dict[str, tuple[list[Observation], str]] = {
    "wait returns ok although run() failed": (
        [launch(1), ret(1), wait(2), run_ended(BOOM), ret(2)],
        "must return raises ValueError('boom')",
    ),
    "continuations lost when run() raises": (
        [add(1, "a"), ret(1), launch(2), ret(2), run_ended(BOOM)],
        "c1 was due but never started",
    ),
    "wait returns before run() ended": (
        [launch(1), ret(1), wait(2), ret(2)],
        "returned before it took effect",
    ),
    "a hard cancel that ends NORMAL": (
        [launch(1), ret(1), hard_cancel(2), ret(2), wait(3), raised(3, "CancelledError"),
         read(4), saw(4, NORMAL)],
        "Done(CANCELLED, 'CancelledError')",
    ),
}


@pytest.mark.parametrize("name", REJECTED)
def test_rejected(name: str) -> None:
    trace, why = REJECTED[name]
    violation = check(trace)
    assert violation is not None
    assert why in violation.explain()


@pytest.mark.parametrize("name", JOB_REJECTED)
def test_job_rejected(name: str) -> None:
    trace, why = JOB_REJECTED[name]
    violation = check(trace, job=True)
    assert violation is not None
    assert why in violation.explain()


# --- the original's classification window ---------------------------------------------

ORIGINAL_ANOMALY: list[Observation] = [
    # complete reads the token (not cancelled), then cancel lands and returns, a state
    # read still sees Running, and the job ends Done(NORMAL).
    complete(1), cancel(2), ret(2), read(3), Return(3, RUNNING), ret(1),
    read(4), saw(4, NORMAL),
]


def test_token_read_early_anomaly_is_a_violation_of_the_atomic_spec() -> None:
    violation = check(ORIGINAL_ANOMALY, spec=ATOMIC)
    assert violation is not None
    assert violation.index == len(ORIGINAL_ANOMALY) - 1


def test_token_read_early_spec_accepts_the_anomaly() -> None:
    assert check(ORIGINAL_ANOMALY, spec=TOKEN_READ_EARLY) is None


# --- the explanation -------------------------------------------------------------------


def test_violation_names_observation_alternatives_and_operations_in_flight() -> None:
    trace: list[Observation] = [add(1, "a"), complete(2), cancel(3), read(4), saw(4, FAILED)]
    violation = check(trace)
    assert violation is not None
    text = violation.explain()
    assert "observation 4: `return #4 ok Done(FAILED, None)` is impossible" in text
    assert "the model allowed instead" in text
    assert "return #4 ok Running()" in text
    for op in ("#1 add_or_run_now('a', c1, adder)", "#2 complete(None, completer)",
               "#3 cancel()"):
        assert op in text


def test_oracle_stays_in_its_first_violation() -> None:
    oracle = Oracle(initial_continuations())
    first = oracle.observe(ret(7))
    assert first is not None
    assert oracle.observe(add(1, "a")) is first
    assert oracle.finish() is first
