"""The spec half of the explorer's product: what the oracle knows after a run's
observations, as the closed set of spec states consistent with them.

The oracle (`oracle.py`) keeps its set lazily closed, which is cheapest for one run.
The explorer meets the same knowledge along many paths, so it keeps the sets fully
closed (every state reachable by internal actions is in): equal knowledge is then one
set, and one node's knowledge can be compared with another's by inclusion (a smaller
set allows fewer futures). The transitions are the oracle's own (`spec.observe`,
`spec.internal_transitions`, `oracle.final_problems`); this module only remembers results:
- per spec state and observation, the closed set after it;
- per set and observation, the set after it;
so that a step of the search costs a dictionary lookup once its knowledge was met.
"""

from __future__ import annotations

from workerjob.model.actions import Observation
from workerjob.model.oracle import final_problems
from workerjob.model.spec import Spec, internal_transitions, observe
from workerjob.model.state import State, initial_continuations

SpecStates = frozenset[int]
"""A closed set of spec states, each named by its number in `SpecHalf.states`."""


class SpecHalf:
    """Memo tables for one search against one spec. Spec states are numbered as they
    are met, so that the sets the search hashes, unites and compares are sets of small
    ints. Pure: nothing but dictionaries."""

    def __init__(self, spec: Spec, initial: State | None = None) -> None:
        self.spec = spec
        self._initial = initial_continuations() if initial is None else initial
        self.states: list[State] = []
        self._number: dict[State, int] = {}
        self._ids: dict[Observation, int] = {}
        self._closures: dict[int, SpecStates] = {}
        self._after: dict[tuple[int, int], SpecStates] = {}
        self._advance: dict[tuple[SpecStates, int], SpecStates] = {}
        self._finish: dict[SpecStates, tuple[str, ...]] = {}

    def number(self, s: State) -> int:
        n = self._number.get(s)
        if n is None:
            n = self._number[s] = len(self.states)
            self.states.append(s)
        return n

    def initial(self) -> SpecStates:
        return self._closure(self.number(self._initial))

    def _closure(self, n: int) -> SpecStates:
        """State `n` and every state reachable from it by internal actions (the
        oracle's `closure`, built from the successors' closures: internal actions
        never loop, each moves an operation forward)."""
        c = self._closures.get(n)
        if c is None:
            nexts = (self._closure(self.number(t))
                     for _, t in internal_transitions(self.spec, self.states[n]))
            c = self._closures[n] = frozenset((n,)).union(*nexts)
        return c

    def advance(self, states: SpecStates, obs: Observation) -> SpecStates:
        """The closed set of spec states consistent with one more observation (empty:
        no spec state allows it)."""
        k = self._ids.get(obs)
        if k is None:
            k = self._ids[obs] = len(self._ids)
        out = self._advance.get((states, k))
        if out is None:
            out = frozenset().union(*(self._after_one(n, obs, k) for n in states))
            self._advance[states, k] = out
        return out

    def _after_one(self, n: int, obs: Observation, k: int) -> SpecStates:
        out = self._after.get((n, k))
        if out is None:
            t = observe(self.states[n], obs)
            out = self._closure(self.number(t)) if isinstance(t, State) else frozenset()
            self._after[n, k] = out
        return out

    def finish_problems(self, states: SpecStates) -> tuple[str, ...]:
        """Why a run cannot end with this knowledge (the oracle's finish): the fewest
        problems of any end state; empty when some state can end here."""
        out = self._finish.get(states)
        if out is None:
            problems = [p for n in states
                        if (p := final_problems(self.spec, self.states[n])) is not None]
            fewest: list[str] = min(problems, key=len, default=["no end state"])
            out = self._finish[states] = () if any(not p for p in problems) else tuple(fewest)
        return out
