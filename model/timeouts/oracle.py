"""The online oracle for timeouts and retries: the set of model states consistent with
everything observed so far, closed over internal steps; an observation that no state
allows is a violation, reported at once. The same shape as `workerjob.model.oracle`,
over this model's states."""

from __future__ import annotations

from dataclasses import dataclass

from workerjob.model.timeouts.actions import Observation
from workerjob.model.timeouts.spec import CORRECT, Variant, final_problems, internal_transitions
from workerjob.model.timeouts.spec import observe as step
from workerjob.model.timeouts.state import State

_MAX_SHOWN = 6


@dataclass(frozen=True)
class Violation:
    index: int | None  # the observation's position, None at the end of the run
    observation: Observation | None
    reasons: tuple[str, ...]

    def explain(self) -> str:
        head = ("at the end of the run, the timeouts spec is not satisfied:"
                if self.observation is None else
                f"observation {self.index}: `{self.observation}` is impossible (timeouts):")
        return "\n".join([head, *(f"  - {r}" for r in self.reasons)])

    def __str__(self) -> str:
        return self.explain()


def closure(v: Variant, states: frozenset[State]) -> frozenset[State]:
    seen = set(states)
    todo = list(states)
    while todo:
        for _, t in internal_transitions(v, todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return frozenset(seen)


class TimeoutsOracle:
    """Feed it observations in the order they happened. After a violation it stays in it."""

    def __init__(self, initial: State, variant: Variant = CORRECT) -> None:
        self.variant = variant
        self.states = frozenset({initial})
        self.violation: Violation | None = None
        self.count = 0

    def observe(self, obs: Observation) -> Violation | None:
        if self.violation is not None:
            return self.violation
        index, self.count = self.count, self.count + 1
        nexts: set[State] = set()
        reasons: set[str] = set()
        for s in closure(self.variant, self.states):
            r = step(self.variant, s, obs)
            if isinstance(r, State):
                nexts.add(r)
            else:
                reasons.add(r)
        if not nexts:
            self.violation = Violation(index, obs, tuple(sorted(reasons))[:_MAX_SHOWN])
            return self.violation
        self.states = frozenset(nexts)
        return None

    def finish(self) -> Violation | None:
        """The end of a run (quiescence): the job ended, every wait returned, every due
        continuation started."""
        if self.violation is not None:
            return self.violation
        problems = [p for s in closure(self.variant, self.states)
                    if (p := final_problems(self.variant, s)) is not None]
        if any(not p for p in problems):
            return None
        fewest = min(problems, key=len) if problems else ["no end state"]
        self.violation = Violation(None, None, tuple(fewest)[:_MAX_SHOWN])
        return self.violation
