"""The online oracle: trace inclusion against a spec, one observation at a time.

It keeps the set of model states consistent with everything observed so far, closed
over internal actions. An observation that no state in the set allows is a violation,
reported at once with what was observed, what the model allowed instead, and which
operations were in flight. asyncio orders everything it observes, so the set stays
small (a handful of states per operation in flight).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from workerjob.model.actions import Invoke, Observation, Wait
from workerjob.model.spec import ATOMIC, Spec, expected_observations, internal_transitions, observe
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
    seen = {s}
    todo = [s]
    while todo:
        for _, nxt in internal_transitions(spec, todo.pop()):
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


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))[:_MAX_SHOWN]


def _in_flight(states: Iterable[State]) -> tuple[str, ...]:
    ops = {p.op_id: f"#{p.op_id} {p.op}" for s in states for p in s.pending}
    return tuple(ops[k] for k in sorted(ops))


def final_problems(spec: Spec, s: State) -> list[str]:
    """Why `s` cannot be where a run ends (empty when it can): something internal
    is still to happen, an operation never returned, or a due continuation never
    started. A `wait()` on a job whose task never ended may stay in flight."""
    problems = [f"{a} never happened" for a, _ in internal_transitions(spec, s)]
    for p in s.pending:
        blocked_wait = isinstance(p.op, Wait) and p.stage is Stage.WAITING
        if not blocked_wait:
            problems.append(f"#{p.op_id} {p.op} never returned")
    for d in sorted(s.due, key=lambda d: d.cont):
        if d.cont not in s.started:
            problems.append(f"c{d.cont} was due but never started")
    return problems


class Oracle:
    """Feed it observations in the order they happened; it says when one is
    impossible. After a violation it stays in that violation."""

    def __init__(self, initial: State, spec: Spec = ATOMIC) -> None:
        self.spec = spec
        self.states = closure(spec, initial)
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
        nexts: list[State] = []
        reasons: list[str] = []
        for s in self.states:
            r = observe(s, obs)
            if isinstance(r, State):
                nexts.append(r)
            else:
                reasons.append(r)
        if not nexts:
            return self._fail(index, obs, sorted(set(reasons)))
        self.states = close(self.spec, nexts)
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
        problems = [final_problems(self.spec, s) for s in self.states]
        if any(not p for p in problems):
            return None
        fewest = min(problems, key=len)
        self.violation = Violation(
            self.spec.name, None, None, _dedupe(fewest), (), _in_flight(self.states)
        )
        return self.violation

    def _fail(self, index: int, obs: Observation, reasons: list[str]) -> Violation:
        allowed = _dedupe(str(o) for s in self.states for o in expected_observations(s))
        self.violation = Violation(
            self.spec.name, index, obs, _dedupe(reasons), allowed, _in_flight(self.states)
        )
        return self.violation
