"""Random walks over the model's own transitions, for property tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from workerjob.model import SPECS, Action, Observation, Spec
from workerjob.model.actions import Invoke, Return, RunEnded, Start
from workerjob.model.environment import Bound, World, transitions
from workerjob.model.invariants import broken_invariants, broken_step_invariants


@dataclass
class Walk:
    worlds: list[World]
    actions: list[Action] = field(default_factory=list)
    invariants: bool = True  # SPEC's invariants hold (not under most departures)

    @property
    def observations(self) -> list[Observation]:
        return [a for a in self.actions if isinstance(a, Invoke | Return | Start | RunEnded)]

    def take(self, action: Action, world: World) -> None:
        if self.invariants:
            broken = broken_invariants(world.state) + broken_step_invariants(
                self.worlds[-1].state, world.state
            )
            assert not broken, f"{broken} after {action} in {self.actions}"
        self.actions.append(action)
        self.worlds.append(world)


def random_walk(data: st.DataObject, spec: Spec, bound: Bound, max_steps: int = 40) -> Walk:
    """A drawn walk, then a drain: the run goes on without new invocations (and with
    run() left as it is) until nothing more can happen by itself."""
    # The invariants are SPEC's: they hold under the specs of `SPECS`, and a departure
    # such as complete-overwrites-done breaks one (Done absorbing) by design.
    walk = Walk([bound.initial()], invariants=spec in SPECS.values())
    for _ in range(data.draw(st.integers(0, max_steps), label="steps")):
        options = list(transitions(spec, bound, walk.worlds[-1]))
        if not options:
            break
        walk.take(*options[data.draw(st.integers(0, len(options) - 1), label="choice")])
    while True:
        options = [
            (a, w)
            for a, w in transitions(spec, bound, walk.worlds[-1])
            if not isinstance(a, Invoke | RunEnded)
        ]
        if not options:
            return walk
        walk.take(*options[0])
