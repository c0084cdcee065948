"""The other direction: is every trace a spec allows a trace of the protocol?

The explorer (`explorer.py`) checks that every observable trace of a protocol variant
is a trace of a spec (refinement). This module checks the converse, for the same
operations: each process's operation invoked once, with the task outcomes of the
configuration. When both hold, the variant and the spec have the same traces within
the bound: the spec is then the strongest the variant refines (any spec the variant
refines allows all of them), so no weakening smaller than it would do.

Breadth-first over pairs of knowledge: the closed set of spec states and the closed
set of protocol states consistent with the trace so far (protocol states are closed
under internal steps, spec states under internal actions). From each pair, every
observation some spec state allows is tried; one that no protocol state can produce
ends the search with a shortest such trace. Traces are compared as prefixes: the ends
of runs are the explorer's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from workerjob.model.actions import Observation
from workerjob.model.protocol.explorer_spec import SpecHalf, SpecStates
from workerjob.model.protocol.protocol import Config, Variant, observed_call, spec_initial
from workerjob.model.protocol.protocol_state import (
    Machine,
    PState,
    Step,
    ample,
    machine,
    successors,
)
from workerjob.model.spec import Spec, expected_observations

ProtocolStates = frozenset[PState]


@dataclass(frozen=True)
class Inclusion:
    """The verdict: `missing` is a shortest trace the spec allows and the protocol
    cannot produce, `None` when there is none."""

    variant: str
    spec: str
    config: Config
    pairs: int  # knowledge pairs visited
    missing: tuple[Observation, ...] | None

    @property
    def holds(self) -> bool:
        return self.missing is None


class _ProtocolHalf:
    """Memo tables for the protocol's side: closures under internal steps and the
    states after an observation. With `reduce`, the steps from a state are its ample
    set (`protocol_state.ample`, unfused): partial-order reduction keeps every
    observable trace, which is all this check looks at."""

    def __init__(self, m: Machine, reduce: bool) -> None:
        self.m = m
        self.reduce = reduce
        self._closures: dict[PState, ProtocolStates] = {}
        self._after: dict[tuple[PState, Observation], ProtocolStates] = {}

    def _steps(self, s: PState) -> list[Step]:
        return ample(self.m, s) if self.reduce else successors(self.m, s)

    def closure(self, s: PState) -> ProtocolStates:
        c = self._closures.get(s)
        if c is None:
            internal = [st.target for st in self._steps(s) if not st.observations]
            c = frozenset((s,)).union(*(self.closure(t) for t in internal))
            self._closures[s] = c
        return c

    def advance(self, states: ProtocolStates, obs: Observation) -> ProtocolStates:
        return frozenset().union(*(self._after_one(s, obs) for s in states))

    def _after_one(self, s: PState, obs: Observation) -> ProtocolStates:
        out = self._after.get((s, obs))
        if out is None:
            targets = [st.target for st in self._steps(s) if st.observations == (obs,)]
            out = frozenset().union(*(self.closure(t) for t in targets))
            self._after[s, obs] = out
        return out


def _offers(half: SpecHalf, m: Machine, states: SpecStates, outcome: int,
            invoked: int) -> Iterator[tuple[Observation, int]]:
    """Every observation some spec state allows next: returns and starts it expects,
    and the invocation of each process's operation not yet invoked."""
    seen: set[Observation] = set()
    for n in states:
        for obs in expected_observations(half.states[n]):
            if obs not in seen:
                seen.add(obs)
                yield obs, invoked
    error = m.config.outcomes[outcome]
    for i, p in enumerate(m.procs):
        if not invoked >> i & 1:
            yield observed_call(p, m.config, error), invoked | 1 << i


def spec_traces_included(variant: Variant, config: Config, spec: Spec, *,
                         reduce: bool = True,
                         progress: Callable[[int, int, int], None] | None = None,
                         every: int = 1 << 8) -> Inclusion:
    """Whether every trace of `spec` over `config`'s operations is a trace of
    `variant`. `progress(pairs, 0, depth)` is called every `every` pairs expanded (as
    `explore`'s progress: a caller's budget may raise from it)."""
    m = machine(variant, config)
    half = SpecHalf(spec, spec_initial(config))
    prot = _ProtocolHalf(m, reduce)
    Node = tuple[SpecStates, ProtocolStates, int, int]
    roots: list[Node] = [(half.initial(), prot.closure(s), s.outcome, 0)
                         for s in m.initial_states()]
    parent: dict[Node, tuple[Node, Observation] | None] = dict.fromkeys(roots)
    frontier = roots
    expanded = depth = 0
    while frontier:
        nxt: list[Node] = []
        for node in frontier:
            expanded += 1
            if progress is not None and expanded % every == 0:
                progress(len(parent), 0, depth)
            spec_states, prot_states, outcome, invoked = node
            for obs, inv in _offers(half, m, spec_states, outcome, invoked):
                spec_after = half.advance(spec_states, obs)
                if not spec_after:
                    continue
                prot_after = prot.advance(prot_states, obs)
                if not prot_after:
                    trace = [*_trace(parent, node), obs]
                    return Inclusion(variant.name, spec.name, config, len(parent),
                                     tuple(trace))
                child = (spec_after, prot_after, outcome, inv)
                if child not in parent:
                    parent[child] = (node, obs)
                    nxt.append(child)
        frontier = nxt
        depth += 1
    return Inclusion(variant.name, spec.name, config, len(parent), None)


def _trace(parent: dict[tuple[SpecStates, ProtocolStates, int, int],
                        tuple[tuple[SpecStates, ProtocolStates, int, int], Observation] | None],
           node: tuple[SpecStates, ProtocolStates, int, int]) -> list[Observation]:
    out: list[Observation] = []
    link = parent[node]
    while link is not None:
        node, obs = link
        out.append(obs)
        link = parent[node]
    return out[::-1]
