"""The online oracle: trace inclusion against a spec, one observation at a time.

It keeps the set of model states consistent with everything observed so far, closed
over internal actions. An observation that no state in the set allows is a violation,
reported at once with what was observed, what the model allowed instead, and which
operations were in flight. asyncio orders everything it observes, so the set stays
small (a handful of states per operation in flight).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from workerjob.model.actions import Invoke, Observation, Return, Start, Wait
from workerjob.model.spec import (
    ATOMIC,
    Spec,
    action_op,
    dependent_ops,
    expected_observations,
    internal_transitions,
    observe,
)
from workerjob.model.state import Stage, State

_MAX_SHOWN = 6


@dataclass(frozen=True)
class Violation:
    """Why a run does not conform. `index` is the position of the observation in the
    run (0-based), or `None` when the run's end (`finish`) is what fails."""

    spec: str
    index: int | None
    observation: Observation | None
    reasons: tuple[str, ...]
    allowed: tuple[str, ...]
    in_flight: tuple[str, ...]

    def explain(self) -> str:
        if self.observation is None:
            head = f"at the end of the run, the {self.spec} spec is not satisfied:"
        else:
            head = f"observation {self.index}: `{self.observation}` is impossible ({self.spec}):"
        lines = [head, *(f"  - {r}" for r in self.reasons)]
        if self.allowed:
            lines.append("  the model allowed instead: " + "; ".join(self.allowed))
        lines.append(
            "  in flight: " + ("; ".join(self.in_flight) if self.in_flight else "nothing")
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


@lru_cache(maxsize=1 << 16)
def closure(spec: Spec, s: State) -> frozenset[State]:
    """Every state reachable from `s` by internal actions alone (`s` included)."""
    return _explore(spec, s, None)


@lru_cache(maxsize=1 << 16)
def closure_for(spec: Spec, s: State, op_id: int) -> frozenset[State]:
    """The states reachable from `s` by the internal actions of the operations that
    `op_id` depends on (and the job's own steps), up to the moment `op_id` has its
    result: enough to decide `op_id`'s return. Effects of independent operations, and
    everything after `op_id`'s own effect, are left for later: they commute with the
    return."""
    return _explore(spec, s, dependent_ops(s, op_id), until=op_id)


def _has_result(s: State, op_id: int) -> bool:
    p = s.pending_op(op_id)
    return p is not None and p.stage is Stage.EFFECTED


@lru_cache(maxsize=1 << 16)
def returnable(spec: Spec, s: State, op_id: int) -> tuple[State, ...]:
    """The states of `closure_for(spec, s, op_id)` in which `op_id` has its result."""
    return tuple(t for t in closure_for(spec, s, op_id) if _has_result(t, op_id))


def _explore(spec: Spec, s: State, ops: frozenset[int] | None,
             until: int | None = None) -> frozenset[State]:
    seen = {s}
    todo = [s]
    while todo:
        t = todo.pop()
        if until is not None and _has_result(t, until):
            continue
        for action, nxt in internal_transitions(spec, t):
            if ops is not None and action_op(action) not in ops | {None}:
                continue
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def close(spec: Spec, states: Iterable[State]) -> frozenset[State]:
    out: set[State] = set()
    for s in states:
        if s not in out:
            out |= closure(spec, s)
    return frozenset(out)


def candidates(spec: Spec, s: State, obs: Observation) -> Iterable[State]:
    """The states, reachable from `s` by internal actions, that are worth offering
    `obs` to. The set is kept lazily closed: an internal action happens only when an
    observation needs it, since an action postponed can still happen later.
    - an invocation commutes with every internal action: `s` alone;
    - a return needs its own effect and what depends on it (`closure_for`);
    - a start or run() ending: every internal action (they are rare)."""
    match obs:
        case Invoke():
            return (s,)
        case Return(op_id) if s.pending_op(op_id) is not None:
            return returnable(spec, s, op_id) or closure_for(spec, s, op_id)
        case Return():
            return (s,)
    return closure(spec, s)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))[:_MAX_SHOWN]


def _in_flight(states: Iterable[State]) -> tuple[str, ...]:
    ops = {p.op_id: f"#{p.op_id} {p.op}" for s in states for p in s.pending}
    return tuple(ops[k] for k in sorted(ops))


def final_problems(spec: Spec, s: State) -> list[str] | None:
    """Why a run cannot end in `s`: an operation never returned or a due continuation
    never started (empty when it can end here). `None` when internal actions are still
    enabled in `s`: a run ends only where nothing more happens by itself. A `wait()` on
    a job whose task never ended may stay in flight."""
    if any(True for _ in internal_transitions(spec, s)):
        return None
    problems = []
    for p in s.pending:
        blocked_wait = isinstance(p.op, Wait) and p.stage is Stage.WAITING
        if not blocked_wait:
            problems.append(f"#{p.op_id} {p.op} never returned")
    for d in sorted(s.due, key=lambda d: d.cont):
        if d.cont not in s.started:
            problems.append(f"c{d.cont} was due but never started")
    return problems


def _relevance(obs: Observation) -> Callable[[Observation], bool]:
    """Alternatives about the same operation or continuation come first."""
    match obs:
        case Return(op_id):
            return lambda o: not (isinstance(o, Return) and o.op_id == op_id)
        case Start(cont):
            return lambda o: not (isinstance(o, Start) and o.cont == cont)
    return lambda o: True


class Oracle:
    """Feed it observations in the order they happened; it says when one is
    impossible. After a violation it stays in that violation."""

    def __init__(self, initial: State, spec: Spec = ATOMIC, *, reduce: bool = True) -> None:
        self.spec = spec
        self.reduce = reduce  # False: close over every internal action after each step
        self.states: frozenset[State] = frozenset({initial})
        self.violation: Violation | None = None
        self.count = 0
        self._op_ids: set[int] = set()

    def observe(self, obs: Observation) -> Violation | None:
        if self.violation is not None:
            return self.violation
        index, self.count = self.count, self.count + 1
        if isinstance(obs, Invoke) and obs.op_id in self._op_ids:
            return self._fail(index, obs, [f"operation id #{obs.op_id} is used twice"])
        if isinstance(obs, Invoke):
            self._op_ids.add(obs.op_id)
        nexts: set[State] = set()
        reasons: set[str] = set()
        for s in self.states:
            for t in (candidates(self.spec, s, obs) if self.reduce else closure(self.spec, s)):
                r = observe(t, obs)
                if isinstance(r, State):
                    nexts.add(r)
                else:
                    reasons.add(r)
        if not nexts:
            return self._fail(index, obs, sorted(reasons))
        self.states = frozenset(nexts)
        return None

    def feed(self, observations: Iterable[Observation]) -> Violation | None:
        for obs in observations:
            if self.observe(obs) is not None:
                break
        return self.violation

    def finish(self) -> Violation | None:
        """The end of a run (quiescence): nothing can still happen that must."""
        if self.violation is not None:
            return self.violation
        ends = close(self.spec, self.states)
        problems = [p for s in ends if (p := final_problems(self.spec, s)) is not None]
        if any(not p for p in problems):
            return None
        fewest = min(problems, key=len)
        self.violation = Violation(
            self.spec.name, None, None, _dedupe(fewest), (), _in_flight(ends)
        )
        return self.violation

    def _fail(self, index: int, obs: Observation, reasons: list[str]) -> Violation:
        alternatives = {o for s in close(self.spec, self.states) for o in expected_observations(s)}
        later = _relevance(obs)
        allowed = _dedupe(str(o) for o in sorted(alternatives, key=lambda o: (later(o), str(o))))
        self.violation = Violation(
            self.spec.name, index, obs, _dedupe(reasons), allowed, _in_flight(self.states)
        )
        return self.violation
