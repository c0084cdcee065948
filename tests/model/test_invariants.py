"""The named invariants: each holds on every state reachable within a bound, and each
one can fail (it is not vacuous)."""

from __future__ import annotations

from collections import deque

import pytest

from workerjob.model import ATOMIC, SPECS, Spec
from workerjob.model.actions import Complete, Ok, Wait
from workerjob.model.environment import Bound, World, transitions
from workerjob.model.invariants import (
    STATE_INVARIANTS,
    STEP_INVARIANTS,
    broken_invariants,
    broken_step_invariants,
)
from workerjob.model.state import Due, JobStatus, Pending, Stage, State
from workerjob.model.vocabulary import CompletionType, Done

from .traces import BOOM

NORMAL = CompletionType.NORMAL
DONE = Done(NORMAL, None)


def reachable(spec: Spec, bound: Bound) -> int:
    """Breadth-first over every world within `bound`; checks every state and step."""
    start = bound.initial()
    seen: set[World] = {start}
    todo = deque([start])
    while todo:
        world = todo.popleft()
        for action, nxt in transitions(spec, bound, world):
            broken = broken_step_invariants(world.state, nxt.state)
            assert not broken, f"{broken}: {world.state} --{action}--> {nxt.state}"
            if nxt not in seen:
                assert not broken_invariants(nxt.state), (broken_invariants(nxt.state), nxt)
                seen.add(nxt)
                todo.append(nxt)
    return len(seen)


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))
def test_invariants_hold_on_continuations_within_bound(spec: Spec) -> None:
    bound = Bound(errors=(None, BOOM), max_ops=3)
    assert reachable(spec, bound) > 10_000  # the bound is not trivially small


def test_invariants_hold_on_a_job_within_bound() -> None:
    bound = Bound(keys=("a",), errors=(None, BOOM), max_ops=3, job=True)
    assert reachable(ATOMIC, bound) > 10_000


# One state (or step) per invariant that breaks it, so none of them is vacuous.
BAD_STATES: dict[str, State] = {
    "registry_empty_when_done": State(phase=DONE, registry=(("a", 1),)),
    "nothing_due_while_running": State(due=frozenset({Due(1, "w", NORMAL, None)})),
    "due_carries_done": State(
        phase=DONE, due=frozenset({Due(1, "w", CompletionType.FAILED, "boom")})
    ),
    "due_at_most_once": State(
        phase=DONE, due=frozenset({Due(1, "w", NORMAL, None), Due(1, "v", NORMAL, None)})
    ),
    "started_were_due": State(started=frozenset({1})),
    "replaced_never_due": State(registry=(("a", 1),), replaced=frozenset({1})),
    "registered_not_due": State(registry=(("a", 1),), due=frozenset({Due(1, "w", NORMAL, None)})),
    "job_completion_latches": State(job=JobStatus("w", launched=True, completed=True)),
    "wait_succeeds_only_after_the_job": State(
        job=JobStatus("w", launched=True), pending=(Pending(1, Wait(), Stage.EFFECTED, Ok()),)
    ),
    "results_fixed_at_effect": State(pending=(Pending(1, Complete(None, "w"), Stage.EFFECTED),)),
}

BAD_STEPS: dict[str, tuple[State, State]] = {
    "latch": (State(phase=DONE), State(phase=Done(CompletionType.FAILED, "x"))),
    "token_stays_cancelled": (State(token=True), State()),
    "due_only_grows": (State(phase=DONE, due=frozenset({Due(1, "w", NORMAL, None)})),
                       State(phase=DONE)),
    "started_only_grows": (State(started=frozenset({1})), State()),
}


def test_every_invariant_has_a_counterexample() -> None:
    assert set(BAD_STATES) == {i.name for i in STATE_INVARIANTS}
    assert set(BAD_STEPS) == {i.name for i in STEP_INVARIANTS}


@pytest.mark.parametrize("name", list(BAD_STATES))
def test_state_invariant_can_fail(name: str) -> None:
    assert name in broken_invariants(BAD_STATES[name])


@pytest.mark.parametrize("name", list(BAD_STEPS))
def test_step_invariant_can_fail(name: str) -> None:
    assert name in broken_step_invariants(*BAD_STEPS[name])
