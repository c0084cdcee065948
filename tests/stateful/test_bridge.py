"""The explorer's shortest guard-dropped counterexample, replayed through the
controllable loop on the asyncio mutant with the same bug, loses the same
continuation; on the bundled implementation the same schedule loses nothing."""

from __future__ import annotations

from workerjob.conformance.loop.choosers import Candidate
from workerjob.conformance.stateful.bridge import TaskOrderChooser, asyncio_order, replay
from workerjob.conformance.stateful.subject import load_subject
from workerjob.model import Invoke, Start
from workerjob.model.protocol.explorer import guard_dropped_counterexample


def add_awaits_where_the_guard_drops(process: str, step: str) -> bool:
    # check_then_await awaits after reading the phase: where guard-dropped releases
    # the state guard, before it takes the map lock.
    return process.startswith("add") and step == "state.release"


def test_protocol_schedule_becomes_a_task_order() -> None:
    schedule = [("add1", "invoke"), ("add1", "state.release"), ("complete", "invoke"),
                ("complete", "return"), ("add1", "insert"), ("add1", "return")]
    order = asyncio_order(schedule, add_awaits_where_the_guard_drops)
    assert order == ["add1", "complete", "add1"]


def test_task_order_chooser_runs_the_named_task_then_fifo() -> None:
    chooser = TaskOrderChooser(["b"])
    ready = [Candidate("a", "a", 1), Candidate("b", "b", 2)]
    assert chooser.choose(ready) == 1
    assert chooser.choose(ready) == 0  # the order is used up: the stock choice


def test_guard_dropped_counterexample_replays_on_the_asyncio_mutant() -> None:
    schedule, trace = guard_dropped_counterexample()
    observed, violation, order = replay(load_subject("tests.mutants.check_then_await"),
                                        schedule, trace, add_awaits_where_the_guard_drops)
    assert order == ["add1", "complete", "add1"]
    assert [o for o in observed if isinstance(o, Invoke)] == [
        o for o in trace if isinstance(o, Invoke)
    ]
    assert violation is not None
    assert violation.reasons == ("c1 was due but never started",)


def test_the_same_schedule_loses_nothing_on_the_bundled_implementation() -> None:
    schedule, trace = guard_dropped_counterexample()
    observed, violation, _ = replay(load_subject("workerjob.impl"), schedule, trace,
                                    add_awaits_where_the_guard_drops)
    assert violation is None
    assert any(isinstance(o, Start) and o.cont == 1 for o in observed)
