"""The harness itself: what it bounds and what it observes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from workerjob.conformance.stateful.machine import (
    MAX_IN_FLIGHT,
    ContinuationsMachine,
    SubjectMachine,
    machine_for,
)
from workerjob.conformance.stateful.subject import load_subject
from workerjob.model import Cancel, Invoke, Op, ReadState, Result, Return


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


# --- the checks above can fail: each on a one-line mutation of the harness ---------------


def test_the_bound_check_fails_on_a_harness_without_a_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SubjectMachine, "room", lambda self: True)  # the mutation
    with pytest.raises(AssertionError):
        test_operations_in_flight_are_bounded()


def test_the_same_task_check_fails_when_the_read_comes_a_step_later(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The read after a cancel is what makes a token read too early observable
    (`stale_token`); with a step between them another task can run there."""
    perform = SubjectMachine.perform

    async def perform_then_step(self: SubjectMachine, op_id: int, op: Op,
                                call: Callable[[], Any],
                                translate: Callable[[Any], Result]) -> None:
        await perform(self, op_id, op, call, translate)
        if isinstance(op, Cancel):
            await asyncio.sleep(0)  # the mutation: a step before the read

    monkeypatch.setattr(SubjectMachine, "perform", perform_then_step)
    with pytest.raises(AssertionError):
        test_a_cancel_is_followed_by_a_state_read_in_the_same_task()
