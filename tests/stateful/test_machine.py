"""The harness itself: what it bounds and what it observes."""

from __future__ import annotations

from workerjob.conformance.stateful.machine import MAX_IN_FLIGHT, ContinuationsMachine, machine_for
from workerjob.conformance.stateful.subject import load_subject
from workerjob.model import Invoke, ReadState, Return


def test_operations_in_flight_are_bounded() -> None:
    # Regression: check_then_await awaits inside add_or_run_now, so with no bound the
    # rules piled up dozens of adds in flight and the oracle's state set exploded
    # (a campaign ran for minutes in gigabytes). The op rules now need room().
    machine = machine_for(load_subject("workerjob.impl"), "continuations")()
    assert isinstance(machine, ContinuationsMachine)
    try:
        for _ in range(MAX_IN_FLIGHT):
            assert machine.room()
            machine.read_state()
        assert not machine.room()
        machine.loop.run_until_idle()
        assert machine.room()
    finally:
        machine.loop.shutdown()


def test_a_cancel_is_followed_by_a_state_read_in_the_same_task() -> None:
    machine = machine_for(load_subject("workerjob.impl"), "continuations")()
    assert isinstance(machine, ContinuationsMachine)
    try:
        machine.cancel()
        machine.loop.step()  # one step: the cancel and the read, no other task between
        kinds = [type(o.op) for o in machine.rec.history if isinstance(o, Invoke)]
        assert kinds[-1] is ReadState
        assert isinstance(machine.rec.history[-1], Return)
    finally:
        machine.loop.shutdown()
