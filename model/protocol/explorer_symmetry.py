"""Symmetry of identical adders: adders on the same key differ only in their names.

Swap two of them (their operation ids, continuations and workers: `add1`, `#1`, `c1`
for `add3`, `#3`, `c3`) everywhere in a product node, in the protocol state and in
every spec state of the spec half, and the result is a node with the same future up
to the same swap: the programs are the same, the spec treats ids and names as labels,
and every check is about all continuations alike. So the search needs one node per
orbit. `canonical` picks the representative: within each key, adders sorted by what
they are doing (program counter, register, locks, registered, spawned, started). Two
adders alike in all of that stay in place: the representative is then not unique, which
costs some savings, never soundness (any node of the orbit stands for all of them).

The explorer's reduction (partial-order, fusion, subsumption) argues state by state,
from the length of a shortest violation, which a renaming does not change; so it
combines with this one.
"""

from __future__ import annotations

from collections.abc import Callable

from workerjob.model.actions import AddOrRunNow
from workerjob.model.protocol.explorer_spec import SpecHalf, SpecStates
from workerjob.model.protocol.protocol_state import LockT, Machine, PState, Reg
from workerjob.model.state import Due, Pending, State

Perm = tuple[int, ...]
"""A renaming of process slots: slot k becomes slot perm[k] (adders among themselves,
on the same key; every other slot stays)."""


class Symmetry:
    """The adders' symmetry for one machine and one search (memo tables only)."""

    def __init__(self, m: Machine, half: SpecHalf) -> None:
        self.m = m
        self.half = half
        by_key: dict[str, list[int]] = {}
        for k, p in enumerate(m.procs):
            if p.role == "add":
                by_key.setdefault(p.key, []).append(k)
        self.groups = tuple(tuple(g) for g in by_key.values() if len(g) > 1)
        self.identity: Perm = tuple(range(len(m.procs)))
        self._renamed: dict[tuple[int, Perm], int] = {}
        self._sets: dict[tuple[SpecStates, Perm], SpecStates] = {}

    @property
    def useful(self) -> bool:
        return bool(self.groups)

    def canonical(self, s: PState, o: SpecStates) -> tuple[PState, SpecStates]:
        perm = self.permutation(s)
        if perm == self.identity:
            return s, o
        return rename_pstate(self.m, s, perm), self.rename_set(o, perm)

    def permutation(self, s: PState) -> Perm:
        if not self.groups:
            return self.identity
        signature = _signatures(s)
        perm = list(self.identity)
        for group in self.groups:
            ranked = sorted(group, key=signature)
            for new, old in zip(group, ranked, strict=True):
                perm[old] = new
        return tuple(perm)

    def rename_set(self, o: SpecStates, perm: Perm) -> SpecStates:
        out = self._sets.get((o, perm))
        if out is None:
            out = self._sets[o, perm] = frozenset(self._rename_one(n, perm) for n in o)
        return out

    def _rename_one(self, n: int, perm: Perm) -> int:
        out = self._renamed.get((n, perm))
        if out is None:
            conts = self._cont_map(perm)
            workers = {self.m.procs[k].worker: self.m.procs[perm[k]].worker
                       for k in range(len(perm)) if perm[k] != k}
            renamed = rename_state(self.half.states[n], conts.get, workers)
            out = self._renamed[n, perm] = self.half.number(renamed)
        return out

    def _cont_map(self, perm: Perm) -> dict[int, int]:
        procs = self.m.procs
        return {procs[k].op_id: procs[perm[k]].op_id for k in range(len(perm))
                if perm[k] != k}


def _signatures(s: PState) -> Callable[[int], tuple[object, ...]]:
    """What adder slot k is doing in `s`, as a sortable key."""
    registered = {c for _, c in s.registry}
    spawned = {c for c, _, _ in s.spawned}
    (w0, r0, q0), (w1, r1, q1) = s.locks
    at0 = {q >> 1: i for i, q in enumerate(q0)}
    at1 = {q >> 1: i for i, q in enumerate(q1)}

    def signature(k: int) -> tuple[object, ...]:
        cont = k + 1  # adder slot k is operation #k+1, continuation c<k+1>
        return (s.pcs[k], s.regs[k], w0 == k, r0 >> k & 1, at0.get(k, -1), w1 == k,
                r1 >> k & 1, at1.get(k, -1), cont in registered, s.started >> cont & 1,
                cont in spawned)

    return signature


def rename_pstate(m: Machine, s: PState, perm: Perm) -> PState:
    """`s` with process slot k renamed perm[k] (and its continuation with it)."""
    n = len(perm)
    pcs = [0] * n
    regs: list[Reg] = [0] * n
    cont = {m.procs[k].op_id: m.procs[perm[k]].op_id for k in range(n)
            if m.procs[k].role == "add"}
    for k in range(n):
        pcs[perm[k]] = s.pcs[k]
        reg = s.regs[k]
        regs[perm[k]] = (reg[0], *(cont.get(c, c) for c in reg[1:])) \
            if isinstance(reg, tuple) else reg
    registry = tuple(sorted((key, cont.get(c, c)) for key, c in s.registry))
    locks = (_rename_lock(s.locks[0], perm), _rename_lock(s.locks[1], perm))
    spawned = tuple(sorted((cont.get(c, c), perm[by], code) for c, by, code in s.spawned))
    started = 0
    for c in range(s.started.bit_length()):
        if s.started >> c & 1:
            started |= 1 << cont.get(c, c)
    return PState(tuple(pcs), tuple(regs), s.phase, s.token, registry, locks, spawned,
                  started, s.outcome)


def _rename_lock(lock: LockT, perm: Perm) -> LockT:
    writer, readers, queue = lock
    renamed = 0
    for k in range(readers.bit_length()):
        if readers >> k & 1:
            renamed |= 1 << perm[k]
    return ((perm[writer] if writer >= 0 else -1), renamed,
            tuple(2 * perm[q >> 1] + (q & 1) for q in queue))


def rename_state(s: State, cont: Callable[[int], int | None],
                 workers: dict[str, str]) -> State:
    """A spec state with continuations (and the operations that add them) and workers
    renamed; `cont` gives None for a name that stays."""

    def c(x: int) -> int:
        y = cont(x)
        return x if y is None else y

    registry = tuple(sorted((key, c(x)) for key, x in s.registry))
    due = frozenset(Due(c(d.cont), workers.get(d.worker, d.worker), d.completion_type,
                        d.error_message) for d in s.due)
    pending = tuple(sorted((_rename_pending(p, c, workers) for p in s.pending),
                           key=lambda p: p.op_id))
    return State(s.phase, s.token, registry, due, frozenset(map(c, s.started)),
                 frozenset(map(c, s.replaced)), pending, s.job)


def _rename_pending(p: Pending, c: Callable[[int], int], workers: dict[str, str]) -> Pending:
    op = p.op
    if isinstance(op, AddOrRunNow):
        op = AddOrRunNow(op.key, c(op.cont), workers.get(op.worker, op.worker))
        return Pending(c(p.op_id), op, p.stage, p.result, p.token_read)
    return p
