"""The oracle's partial-order reduction, checked exhaustively: on every trace of the
model up to a bound (Continuations with 4 operations, a WorkerJob with 3), the reduced
oracle says what the plain one says, at every observation and at the end. And the
reduction's one assumption about the job's own steps (they depend on every operation)
is checked against the steps themselves.

`test_declared_independent_effects_commute` (test_independence.py) checks `independent`
between two invoked operations; this file checks what it leaves out.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator

import pytest

from workerjob.model import ATOMIC, TOKEN_READ_EARLY, Oracle, Spec
from workerjob.model import spec as spec_module
from workerjob.model.actions import Internal, Invoke, JobCompletes, Observation, TaskCancelled
from workerjob.model.environment import Bound, invocations, run_endings
from workerjob.model.oracle import close
from workerjob.model.spec import apply_effect, expected_observations, internal_transitions
from workerjob.model.state import Stage, State

from .test_independence import reachable_states
from .traces import BOOM

# One worker and one error kind: more only renames what the traces show. Two keys where
# the operations are many enough for both to matter.
CONTINUATIONS = Bound(keys=("a", "b"), workers=("w1",), errors=(None, BOOM), max_ops=3)
CONTINUATIONS_4 = Bound(keys=("a", "b"), workers=("w1",), errors=(None,), max_ops=4)
JOB = Bound(keys=("a",), workers=("w1",), errors=(None,), max_ops=3, job=True)


def _observe(oracle: Oracle, obs: Observation) -> Oracle:
    after = copy.copy(oracle)
    after._op_ids = set(oracle._op_ids)
    after.observe(obs)
    return after


def _next_observations(spec: Spec, bound: Bound, states: frozenset[State],
                       invoked: int) -> set[Observation]:
    """Every observation some model state consistent with the trace so far allows."""
    out: set[Observation] = set()
    for s in close(spec, states):
        out.update(expected_observations(s))
        out.update(run_endings(bound, s))
        if invoked < bound.max_ops:
            out.update(Invoke(invoked + 1, op) for op in invocations(bound, invoked + 1))
    return out


def disagreements(bound: Bound, spec: Spec = ATOMIC) -> Iterator[str]:
    """Every trace of the model within `bound`, fed to the plain and the reduced oracle
    side by side: where their verdicts differ, online or at the end, the trace.

    A depth-first search over traces, where a node is what both oracles know (the
    plain oracle's state set is every model state consistent with the trace, so the
    next observations are those its states allow); traces that leave both oracles in
    the same sets are merged."""
    plain = Oracle(bound.initial().state, spec, reduce=False)
    reduced = Oracle(bound.initial().state, spec, reduce=True)
    seen: set[tuple[frozenset[State], frozenset[State], int]] = set()
    todo: list[tuple[Oracle, Oracle, int, tuple[Observation, ...]]] = [(plain, reduced, 0, ())]
    while todo:
        p, r, invoked, trace = todo.pop()
        if (p.states, r.states, invoked) in seen:
            continue
        seen.add((p.states, r.states, invoked))
        verdicts = [(o.violation is None, copy.copy(o).finish() is None) for o in (p, r)]
        if verdicts[0] != verdicts[1]:
            yield "\n".join(str(o) for o in trace) + f"\n(plain, reduced): {verdicts}"
            continue
        if p.violation is not None:
            continue
        # Sorted: the order of a set of observations changes with the hash seed, and
        # the first disagreement found (the one a failure shows) with it.
        for obs in sorted(_next_observations(spec, bound, p.states, invoked), key=str):
            todo.append((_observe(p, obs), _observe(r, obs),
                         invoked + isinstance(obs, Invoke), (*trace, obs)))


@pytest.mark.parametrize("bound", [
    CONTINUATIONS, JOB,
    pytest.param(CONTINUATIONS_4, marks=pytest.mark.slow),  # about 2 minutes
], ids=["continuations-3", "job-3", "continuations-4"])
def test_reduced_oracle_agrees_with_the_plain_one_on_every_trace(bound: Bound) -> None:
    found = next(disagreements(bound), None)
    assert found is None, f"the reduced oracle disagrees with the plain one on:\n{found}"


def test_reduced_oracle_agrees_with_the_plain_one_under_token_read_early() -> None:
    """The weaker spec adds a step (complete reads the token early) that the reduction
    must treat as it treats effects."""
    found = next(disagreements(CONTINUATIONS, TOKEN_READ_EARLY), None)
    assert found is None, f"the reduced oracle disagrees with the plain one on:\n{found}"


def test_the_exhaustive_check_finds_the_gap_reopened(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reduction that leaves the job's own steps out of the dependence (the gap once
    closed in `dependent_ops`) is caught at the job's bound."""
    monkeypatch.setattr(spec_module, "_job_steps_possible", lambda s: False)
    _clear_caches()
    try:
        found = next(disagreements(JOB), None)
    finally:
        monkeypatch.undo()
        _clear_caches()
    # Which trace is found first depends on the order of the search; each is a race
    # between an operation and one of the job's own steps (run() ending, or a hard
    # cancel that completes the job).
    assert found is not None
    assert "run() returned" in found or "task_handle.cancel" in found, found


def _clear_caches() -> None:
    from workerjob.model import oracle

    for cached in (oracle.closure, oracle.closure_for, oracle.returnable):
        cached.cache_clear()


# --- independence against the job's own steps --------------------------------------


def _job_steps(s: State) -> list[tuple[Internal, State]]:
    return [(a, t) for a, t in internal_transitions(ATOMIC, s)
            if isinstance(a, JobCompletes | TaskCancelled)]


def _effect(s: State, op_id: int) -> State | None:
    p = s.pending_op(op_id)
    if p is None or p.stage is not Stage.INVOKED:
        return None
    return apply_effect(ATOMIC, s, p, s.token)


def non_commuting(bound: Bound, limit: int) -> Iterator[tuple[State, Internal, int]]:
    """(state, job step, operation) where the operation's effect and the job's step,
    both enabled, give another state in one order than in the other."""
    for s in reachable_states(bound, limit):
        for (step, after_step), p in itertools.product(_job_steps(s), s.pending):
            if p.stage is not Stage.INVOKED:
                continue
            op_first = _effect(s, p.op_id)
            assert op_first is not None
            then_step = dict(_job_steps(op_first)).get(step)
            step_then_op = _effect(after_step, p.op_id)
            if then_step != step_then_op:
                yield s, step, p.op_id


def test_every_operation_that_does_not_commute_with_a_job_step_is_dependent() -> None:
    """Wherever an operation's effect does not commute with the job's own step, the
    reduction counts every operation in flight as dependent (`dependent_ops`)."""
    found = 0
    for s, step, op_id in non_commuting(JOB, 20_000):
        found += 1
        assert spec_module.dependent_ops(s, op_id) == frozenset(p.op_id for p in s.pending), (
            f"#{op_id} does not commute with `{step}` in {s}")
    assert found > 100  # the check is not vacuous: such races exist


def test_the_job_step_check_fails_with_the_gap_reopened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_module, "_job_steps_possible", lambda s: False)
    with pytest.raises(AssertionError, match="does not commute with"):
        test_every_operation_that_does_not_commute_with_a_job_step_is_dependent()
