"""The enhancements' levels aimed at what matters, driven by hand on the mutant each
aim exists for and on the bundled implementation: the scheduler's probe of the room it
counts at the end of an example, and the timeouts level's ("backoff", 1) interrupt (a
cancel landing in a backoff)."""

from __future__ import annotations

import pytest

from workerjob.conformance.stateful.machine import machine_for
from workerjob.conformance.stateful.scheduler import NEEDS, SchedulerMachine
from workerjob.conformance.stateful.subject import load_subject
from workerjob.conformance.stateful.timeouts import Attempt, TimeoutsMachine

HOLDING = [i for i, needs in enumerate(NEEDS) if needs and i < 5]  # accepted, hold room


def scheduler(module: str, needs: int) -> SchedulerMachine:
    """One job that holds room, started and ended; the example ends there."""
    machine = machine_for(load_subject(module), "scheduler")()
    assert isinstance(machine, SchedulerMachine)
    machine.submit(0, needs)
    machine.loop.run_until_idle()  # started: it holds its room
    machine.runs[0].outcome.set_result(None)
    machine.loop.run_until_idle()  # ended: its room given back (twice, by the mutant)
    return machine


@pytest.mark.parametrize("needs", HOLDING)
def test_the_probe_catches_a_release_counted_twice(needs: int) -> None:
    machine = scheduler("tests.mutants.scheduler.freed_twice", needs)
    with pytest.raises(AssertionError, match=r"scheduler invariant `capacity`"):
        machine.teardown()


@pytest.mark.parametrize("needs", HOLDING)
def test_the_probes_on_the_bundled_scheduler_conform(needs: int) -> None:
    machine = scheduler("workerjob.impl", needs)
    machine.teardown()
    # 1 + cpu 2 + gpu 2 + order 5 + close 2; all started but the one cancelled while
    # queued by "order" (job 8) and the one queued when "close" began (job 11)
    assert len(machine.jobs) == 12
    assert machine.launched == set(range(12)) - {8, 11}


@pytest.mark.parametrize(("mutant", "needs", "invariant"), [
    ("freed_twice", HOLDING[0], "capacity"),
    ("never_freed", NEEDS.index({"gpu": 1}), "stranded"),
    ("lifo_among_equals", NEEDS.index({}), "fifo-among-equals"),
    ("cancelled_still_runs", NEEDS.index({}), "cancelled-never-runs"),
    ("closed_still_starts", NEEDS.index({}), "closed-starts-nothing"),
])
def test_each_probe_catches_what_it_is_for(mutant: str, needs: int, invariant: str) -> None:
    """An example that meets nothing (one job that holds no room, or one that holds
    some), ended by the probes: each mutant is caught by its own invariant."""
    machine = scheduler(f"tests.mutants.scheduler.{mutant}", needs)
    with pytest.raises(AssertionError, match=rf"scheduler invariant `{invariant}`"):
        machine.teardown()


@pytest.mark.parametrize("mutant", ["freed_twice", "never_freed", "lifo_among_equals",
                                    "cancelled_still_runs", "closed_still_starts"])
def test_without_the_probes_the_same_example_passes(mutant: str) -> None:
    """Each mutant shows only in what starts after an end: not in this example."""
    machine = scheduler(f"tests.mutants.scheduler.{mutant}", HOLDING[0])
    machine.probe = lambda name: None  # type: ignore[method-assign]
    machine.teardown()


def test_a_closing_scheduler_is_not_probed() -> None:
    machine = scheduler("workerjob.impl", HOLDING[0])
    machine.close()
    machine.teardown()
    assert len(machine.jobs) == 1


def timeouts(module: str, interrupt: tuple[str, int] | None,
             timeout: float | None = 1.0, race: str = "") -> TimeoutsMachine:
    machine = machine_for(load_subject(module), "timeouts")()
    assert isinstance(machine, TimeoutsMachine)
    # As drawn: no policy, an attempt that would run past the deadline and fail for good.
    machine.configure(timeout=timeout, grace=None, policy=None,
                      script=[Attempt("long", "fatal", False)], launch=True, patience=None,
                      race=race, interrupt=interrupt)
    return machine


def test_a_cancel_aimed_at_the_backoff_catches_a_backoff_that_ignores_it() -> None:
    machine = timeouts("tests.mutants.timeouts.backoff_ignores_cancel", ("backoff", 1))
    with pytest.raises(AssertionError, match=r"during the backoff after attempt 1"):
        machine.teardown()


def test_the_same_on_the_bundled_implementation_conforms() -> None:
    machine = timeouts("workerjob.impl", ("backoff", 1))
    machine.teardown()
    assert machine.policy is not None and machine.policy.max_attempts == 2
    assert len(machine.starts) == 1  # cancelled in the backoff: no second attempt


def test_a_plain_cancel_at_the_same_place_does_not_catch_it() -> None:
    """Without the aim, the drawn script and policy leave no backoff to land in."""
    machine = timeouts("tests.mutants.timeouts.backoff_ignores_cancel", ("cancel", 1))
    machine.teardown()



def test_a_retry_aimed_after_a_backoff_catches_a_backoff_off_by_one() -> None:
    machine = timeouts("tests.mutants.timeouts.backoff_off_by_one", ("retry", 1), None)
    with pytest.raises(AssertionError, match=r"attempt 2 \(attempt 1 ended at t=0.5, then a "
                                             r"backoff of 0.25s\) took effect at t=1.0"):
        machine.teardown()


def test_the_same_retry_on_the_bundled_implementation_conforms() -> None:
    machine = timeouts("workerjob.impl", ("retry", 1), None)
    machine.teardown()
    assert machine.starts == [0.0, 0.75]  # attempt 1 ran 0.5 s, then a backoff of 0.25 s


def test_without_the_retry_aim_the_same_draw_does_not_catch_it() -> None:
    machine = timeouts("tests.mutants.timeouts.backoff_off_by_one", None, None)
    machine.teardown()


def test_the_probes_run_under_the_watchdog() -> None:
    """Regression (`workerjob verify --examples 20 --seed 3`): the probes ran by calling
    `quiesce` again, which the watchdog's wrapper takes with no argument: a TypeError
    reported as the bundled scheduler's violation."""
    from workerjob.conformance.stateful.campaign import run_level

    result = run_level(load_subject("workerjob.impl"), "scheduler", examples=10,
                       seed_value=3, example_timeout=60.0)
    assert result.report is None, result.report


def test_a_race_just_before_the_deadline_catches_a_deadline_taken_early() -> None:
    machine = timeouts("tests.mutants.timeouts.deadline_early", None, race="before")
    with pytest.raises(AssertionError, match=r"the deadline took effect at t=0.99"):
        machine.teardown()


@pytest.mark.parametrize("race", ["", "before"])
def test_the_same_on_the_bundled_implementation_conforms_and_not_without_it(race: str
                                                                           ) -> None:
    timeouts("workerjob.impl", None, race=race).teardown()
    if not race:
        timeouts("tests.mutants.timeouts.deadline_early", None, race=race).teardown()
