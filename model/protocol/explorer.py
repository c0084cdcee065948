"""Exhaustive search of a protocol variant, checking that it refines a spec.

Breadth-first over the product of a protocol state (`protocol_state.PState`) and the
spec half: the closed set of spec states consistent with the observations so far
(`explorer_spec.SpecHalf`, which moves it with the oracle's own transitions). An
observable step (invocation, return, start) moves the spec half; an internal step
leaves it. A step that empties it is a refinement violation. Every maximal path
(nothing enabled) is checked at its end:
- `deadlock`: every process finished, none left queued on a lock;
- `nothing_stranded`: the map is empty (a continuation left there never runs);
- the oracle's finish: every operation returned, every due continuation started;
and every state: `lock_exclusion` (a writer holds a lock alone). Level by level, so
the first violation found is one of the shortest in the graph searched.

The reduction (`Reduction`, each part can be switched off; `NONE` searches every
interleaving of single steps) leaves out parts of the graph that cannot hide a
violation:
- `por`, partial-order reduction with singleton ample sets. A step is *safe*
  (`protocol_state._safe`) when it is internal and commutes with everything the other
  processes can do before it: reading the phase, inserting, setting Done and taking
  the map under the lock discipline; a spawn; a lock step on a lock nobody else will
  touch; classifying when no cancel is still to come (and cancelling when no
  classification is). Where some process's next step is safe, only it is explored.
  The graph is acyclic (every step moves a program counter), so the cycle proviso
  holds; safe steps are invisible, so every observable trace and every end state is
  kept.
- `fuse`, observations pinned to their neighbours (`successors(fuse=True)`). In the
  spec an invocation only enables, and a return or a start only requires: moving an
  invocation later, or a return or a start earlier, can only turn an accepted trace
  into a rejected one, never the converse. In the protocol those steps touch nothing
  shared, so they move freely within their own process. Every run therefore has a
  twin, with the same end state, whose invocations come just before the process's
  next instruction and whose returns and starts come just after its previous one;
  the twin fails whenever the run does. Only twins are searched.
- `subsume`, the antichain: a node whose spec half includes the spec half of a
  visited node with the same protocol state is left out. Fewer spec states allow
  fewer futures: whatever violation the bigger set meets, the smaller one meets no
  later.
- `symmetry`, of the adders on one key (`explorer_symmetry`): a node is replaced by
  its representative under renaming those adders.
Each part argues state by state from the length of a shortest violation, which the
others preserve, so they combine. Only `subsume` and `symmetry` keep shortest
counterexamples shortest: `shortest_counterexample` searches with those alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workerjob.model.actions import Observation
from workerjob.model.oracle import Oracle
from workerjob.model.protocol.explorer_spec import SpecHalf, SpecStates
from workerjob.model.protocol.explorer_symmetry import Symmetry, rename_pstate
from workerjob.model.protocol.protocol import (
    GUARD_DROPPED,
    LOCK_NAMES,
    Config,
    Variant,
    spec_initial,
)
from workerjob.model.protocol.protocol_state import (
    Machine,
    PState,
    Record,
    Step,
    ample,
    holders,
    machine,
    successors,
)
from workerjob.model.spec import ATOMIC, Spec
from workerjob.model.state import State, initial_continuations
from workerjob.model.vocabulary import TaskError

Node = tuple[PState, SpecStates]

REFINEMENT, DEADLOCK, LOST, INVARIANT, FINISH = (
    "refinement", "deadlock", "lost continuation", "invariant", "finish",
)


@dataclass(frozen=True)
class Reduction:
    """What the search may leave out (see the module's docstring): `por`, orders of
    safe internal steps; `fuse`, runs whose observations are not pinned to their
    neighbours; `subsume`, nodes whose spec half includes a visited one's; `symmetry`,
    all but one of the nodes that differ by renaming adders on the same key."""

    por: bool = True
    fuse: bool = True
    subsume: bool = True
    symmetry: bool = True

    def __str__(self) -> str:
        on = [n for n, x in (("por", self.por), ("fuse", self.fuse),
                             ("subsume", self.subsume), ("symmetry", self.symmetry)) if x]
        return "+".join(on) or "none"


FULL = Reduction()
NONE = Reduction(por=False, fuse=False, subsume=False, symmetry=False)
SHORTEST = Reduction(por=False, fuse=False, subsume=True, symmetry=True)
"""Every interleaving of single steps, up to subsumption and symmetry: breadth-first
then finds a shortest counterexample over every interleaving."""


@dataclass(frozen=True)
class Counterexample:
    """A run of the protocol that breaks something: its steps (one per instruction,
    each with its process and what an observer saw), what kind of violation it shows,
    and why (the oracle's own explanation, or the protocol check's sentence)."""

    variant: str
    spec: str
    kind: str
    outcome: TaskError | None
    steps: tuple[Record, ...]
    reasons: tuple[str, ...]
    lanes: tuple[str, ...]

    @property
    def trace(self) -> list[Observation]:
        """The observable projection: what an observer of the run saw, in order."""
        return [r.observation for r in self.steps if r.observation is not None]

    @property
    def schedule(self) -> list[tuple[str, str]]:
        """The run as (process name, step name) pairs, in order."""
        return [(r.lane, r.name) for r in self.steps]


@dataclass(frozen=True)
class Report:
    """What a search did and found. When it found a violation it stopped there, so its
    counts cover the levels searched up to that one."""

    variant: Variant
    config: Config
    spec: Spec
    reduction: Reduction
    states: int  # product nodes (protocol state, spec states) visited
    transitions: int  # steps explored
    subsumed: int  # nodes left out because a visited one with fewer spec states covers them
    protocol_states: int  # distinct protocol states among them
    terminals: int  # end nodes of maximal paths checked
    depth: int  # levels searched (the longest path when exhaustive)
    counterexample: Counterexample | None

    @property
    def holds(self) -> bool:
        return self.counterexample is None


Progress = Callable[[int, int, int], None]
"""Called now and then with (states, transitions, depth) during a search."""


def state_problems(s: PState) -> tuple[str, ...]:
    """`lock_exclusion`: a lock held for writing has no other holder."""
    return tuple(
        f"lock_exclusion: the {LOCK_NAMES[k]} lock is written and read at once"
        for k, (writer, readers, _) in enumerate(s.locks)
        if writer >= 0 and readers
    )


def end_problems(m: Machine, s: PState) -> tuple[tuple[str, str], ...]:
    """(kind, sentence) for each protocol check that the end of a maximal path fails:
    `deadlock` (a process is left queued on a lock) and `nothing_stranded` (a
    continuation is left in the map, where nothing will ever take it)."""
    out: list[tuple[str, str]] = []
    for k, (_, _, queue) in enumerate(s.locks):
        held = ", ".join(m.procs[h].name for h in holders(s.locks[k])) or "nobody"
        for q in queue:
            p = m.procs[q >> 1]
            mode = "write" if q & 1 else "read"
            out.append((DEADLOCK, f"deadlock: {p.name} waits forever for "
                                  f"{LOCK_NAMES[k]}.{mode}, held by {held}"))
    for key, cont in s.registry:
        out.append((LOST, f"nothing_stranded: c{cont} is left in the map under {key!r} "
                          "and never runs"))
    return tuple(out)


Found = tuple[int, Node, Step | None, str, tuple[str, ...]]


def explore(
    variant: Variant,
    config: Config | None = None,
    spec: Spec = ATOMIC,
    *,
    reduce: bool | Reduction = True,
    max_depth: int | None = None,
    progress: Progress | None = None,
    every: int = 1 << 13,
) -> Report:
    """Search every interleaving of `variant` under `config` (up to `max_depth`
    steps), checking the invariants, the absence of deadlock and refinement of `spec`.
    Stops after the first level that holds a violation, with the shortest of them."""
    config = config or Config()
    red = reduce if isinstance(reduce, Reduction) else (FULL if reduce else NONE)
    m = machine(variant, config)
    half = SpecHalf(spec, spec_initial(config))
    sym = Symmetry(m, half) if red.symmetry else None
    init = half.initial()
    roots: list[Node] = [(s, init) for s in m.initial_states()]
    parent: dict[Node, tuple[Node, Step] | None] = dict.fromkeys(roots)
    # per protocol state, the spec halves of its visited nodes
    known: dict[PState, list[SpecStates]] = {r[0]: [init] for r in roots}
    frontier = roots
    transitions = terminals = depth = expanded = subsumed = 0
    while frontier:
        found: list[Found] = []
        nxt: list[Node] = []
        for node in frontier:
            expanded += 1
            if progress is not None and expanded % every == 0:
                progress(len(parent), transitions, depth)
            s, o = node
            steps = ample(m, s, fuse=red.fuse) if red.por else successors(m, s, fuse=red.fuse)
            if not steps:
                terminals += 1
                if problems := end_problems(m, s):
                    found.append((depth, node, None, problems[0][0],
                                  tuple(p for _, p in problems)))
                elif fin := half.finish_problems(o):
                    found.append((depth, node, None, FINISH, fin))
                continue
            if max_depth is not None and depth >= max_depth:
                continue
            for st in steps:
                transitions += 1
                o2 = o
                for obs in st.observations:
                    o2 = half.advance(o2, obs)
                    if not o2:
                        break
                if not o2:
                    found.append((depth + 1, node, st, REFINEMENT, ()))
                    continue
                child = (st.target, o2) if sym is None else sym.canonical(st.target, o2)
                if child in parent:
                    continue
                seen = known.setdefault(child[0], [])
                if red.subsume and any(k <= child[1] for k in seen):
                    subsumed += 1
                    continue
                seen.append(child[1])
                parent[child] = (node, st)
                nxt.append(child)
                if bad := state_problems(child[0]):
                    found.append((depth + 1, child, None, INVARIANT, bad))
        if found:
            _, node, last, kind, reasons = min(found, key=lambda f: f[0])
            cx = _counterexample(m, spec, red, sym, parent, node, last, kind, reasons)
            return Report(variant, config, spec, red, len(parent), transitions, subsumed,
                          len(known), terminals, depth, cx)
        frontier = nxt
        depth += 1
    if progress is not None:
        progress(len(parent), transitions, depth)
    return Report(variant, config, spec, red, len(parent), transitions, subsumed, len(known),
                  terminals, max(depth - 1, 0), None)


def _path(parent: dict[Node, tuple[Node, Step] | None], node: Node) -> list[tuple[PState, Step]]:
    """The steps from a root to `node`, each with the state it was taken in."""
    steps: list[tuple[PState, Step]] = []
    link = parent[node]
    while link is not None:
        node, st = link
        steps.append((node[0], st))
        link = parent[node]
    return steps[::-1]


def _replay(m: Machine, red: Reduction, sym: Symmetry | None, root: PState,
            path: list[tuple[PState, Step]]) -> tuple[tuple[Record, ...], PState]:
    """The path as a run of the protocol, described step by step, and the run's end
    state. With symmetry, each step was taken in a representative: `rename` (slot k
    of the representative is slot rename[k] of the run) carries it over to the run."""
    records: list[Record] = []
    rename = tuple(range(len(m.procs)))
    run = root
    for _, st in path:
        target = st.target if sym is None else rename_pstate(m, st.target, rename)
        step = next(v for v in successors(m, run, fuse=red.fuse, verbose=True)
                    if v.target == target)
        records += step.records
        run = target
        if sym is not None:  # the next step is taken in the representative of st.target
            back = sym.permutation(st.target)
            inverse = [0] * len(back)
            for k, new in enumerate(back):
                inverse[new] = k
            rename = tuple(rename[inverse[k]] for k in range(len(back)))
    return tuple(records), run


def _counterexample(
    m: Machine,
    spec: Spec,
    red: Reduction,
    sym: Symmetry | None,
    parent: dict[Node, tuple[Node, Step] | None],
    node: Node,
    last: Step | None,
    kind: str,
    reasons: tuple[str, ...],
) -> Counterexample:
    path = _path(parent, node) + ([(node[0], last)] if last is not None else [])
    root = path[0][0] if path else node[0]
    records, end = _replay(m, red, sym, root, path)
    trace = [r.observation for r in records if r.observation is not None]
    if kind in (REFINEMENT, FINISH):
        reasons = (explain(spec, trace, finish=kind == FINISH, initial=spec_initial(m.config)),)
    elif kind in (LOST, DEADLOCK):
        # said again of the run's own end state (the representative's names differ)
        reasons = tuple(p for _, p in end_problems(m, end)) or reasons
        if kind == LOST and (why := explain_or_none(spec, trace, spec_initial(m.config))):
            reasons = (*reasons, why)
    used = {r.lane for r in records}
    lanes = tuple(lane for lane in m.lane_names() if lane in used)
    outcome = m.config.outcomes[root.outcome]
    return Counterexample(m.variant.name, spec.name, kind, outcome, records, reasons, lanes)


def explain_or_none(spec: Spec, trace: Iterable[Observation],
                    initial: State | None = None) -> str | None:
    """The oracle's own explanation of why `trace`, run to its end, is not a trace of
    `spec`; `None` when it is one."""
    oracle = Oracle(initial_continuations() if initial is None else initial, spec)
    violation = oracle.feed(trace) or oracle.finish()
    return None if violation is None else violation.explain()


def explain(spec: Spec, trace: Iterable[Observation], *, finish: bool,
            initial: State | None = None) -> str:
    oracle = Oracle(initial_continuations() if initial is None else initial, spec)
    violation = oracle.feed(trace)
    if violation is None and finish:
        violation = oracle.finish()
    return "the oracle accepts this trace" if violation is None else violation.explain()


def shortest_counterexample(
    variant: Variant, config: Config | None = None, spec: Spec = ATOMIC,
    max_depth: int | None = None,
) -> Counterexample | None:
    """A shortest path to a violation over every interleaving of single steps."""
    return explore(variant, config, spec, reduce=SHORTEST, max_depth=max_depth).counterexample


MINIMAL_LOSS = Config(adders=1, keys=1, cancel=False, read=False, outcomes=(None,))
"""The smallest world in which `guard-dropped` loses a continuation: one adder and
complete, run() returning."""


def guard_dropped_counterexample() -> tuple[list[tuple[str, str]], list[Observation]]:
    """The shortest run in which `guard-dropped` loses a continuation, as (process
    name, step name) pairs, and the trace an observer sees (which the atomic spec
    rejects at its end: the continuation never starts)."""
    cx = shortest_counterexample(GUARD_DROPPED, MINIMAL_LOSS, ATOMIC)
    assert cx is not None, "guard-dropped was expected to lose a continuation"
    return cx.schedule, cx.trace
