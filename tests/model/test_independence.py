"""The oracle's partial-order reduction is only as good as `independent`: check it
against the effects themselves, and check the reduced oracle against the plain one."""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerjob.model import ATOMIC, Observation, Oracle, Spec
from workerjob.model.actions import (
    AddOrRunNow,
    Err,
    Invoke,
    Ok,
    Return,
    RunEnded,
    Start,
)
from workerjob.model.environment import Bound, World, transitions
from workerjob.model.spec import NAMED_SPECS, ORIGINAL, apply_effect, independent
from workerjob.model.state import Stage, State
from workerjob.model.vocabulary import CompletionType, TaskError

from .traces import BOOM
from .walk import random_walk

PANIC = TaskError("Abort", "abort")


def reachable_states(bound: Bound, limit: int, spec: Spec = ATOMIC) -> list[State]:
    start = bound.initial()
    seen: dict[World, None] = {start: None}
    todo = deque([start])
    while todo and len(seen) < limit:
        for _, nxt in transitions(spec, bound, todo.popleft()):
            if nxt not in seen:
                seen[nxt] = None
                todo.append(nxt)
    return [w.state for w in seen]


def effect(spec: Spec, s: State, op_id: int) -> State:
    p = s.pending_op(op_id)
    assert p is not None
    return apply_effect(spec, s, p, s.token)


@pytest.mark.parametrize("spec", [ATOMIC, ORIGINAL], ids=["atomic", "original"])
@pytest.mark.parametrize("job", [False, True])
def test_declared_independent_effects_commute(spec: Spec, job: bool) -> None:
    bound = Bound(errors=(None, BOOM), max_ops=3, job=job)
    checked = 0
    for s in reachable_states(bound, 20_000, spec):
        waiting = [p for p in s.pending if p.stage is Stage.INVOKED]
        for a, b in itertools.permutations(waiting, 2):
            if not independent(a.op, b.op):
                continue
            ab = effect(spec, effect(spec, s, a.op_id), b.op_id)
            ba = effect(spec, effect(spec, s, b.op_id), a.op_id)
            assert ab == ba, f"{a.op} and {b.op} do not commute in {s}"
            checked += 1
    assert checked > 1000


def test_dependence_is_declared_where_order_matters() -> None:
    assert not independent(AddOrRunNow("a", 1, "w"), AddOrRunNow("a", 2, "w"))
    assert independent(AddOrRunNow("a", 1, "w"), AddOrRunNow("b", 2, "w"))


def perturb(obs: Observation, salt: int) -> Observation:
    """A nearby wrong observation: another result, worker, type or message."""
    match obs:
        case Return(op_id, Ok(None)):
            return Return(op_id, Err("RuntimeError"))
        case Return(op_id, _):
            return Return(op_id, Ok(None))
        case Start(c, w, t, m):
            types = list(CompletionType)
            return [Start(c, w + "'", t, m), Start(c, w, types[(types.index(t) + 1) % 3], m),
                    Start(c, w, t, (m or "") + "!")][salt % 3]
        case RunEnded():
            return obs
        case Invoke():
            return obs
    raise AssertionError(obs)


@pytest.mark.parametrize("spec", list(NAMED_SPECS.values()), ids=list(NAMED_SPECS))
@pytest.mark.parametrize("job", [False, True])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_reduced_oracle_agrees_with_the_plain_one(spec: Spec, job: bool,
                                                  data: st.DataObject) -> None:
    """On model traces with one observation perturbed, the reduced and the plain oracle
    accept and reject at the same observation, and agree at the end."""
    walk = random_walk(data, spec, Bound(max_ops=5, job=job, panics=(PANIC,)))
    trace = list(walk.observations)
    if trace:
        i = data.draw(st.integers(0, len(trace) - 1), label="perturbed")
        trace[i] = perturb(trace[i], data.draw(st.integers(0, 2), label="salt"))
    verdicts = []
    for reduce in (True, False):
        oracle = Oracle(walk.worlds[0].state, spec, reduce=reduce)
        v = oracle.feed(trace) or oracle.finish()
        verdicts.append(None if v is None else v.index)
    assert verdicts[0] == verdicts[1]
