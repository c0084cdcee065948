"""The protocol's states and steps: the interpreter of the programs in `protocol.py`.

A `PState` is a plain tuple of small values (ints, bools, strings, tuples of them), so
hashing one, which the search does for every state it meets, stays in C:
- the phase, and every register holding a phase, is a code: 0 for Running, k > 0 for
  `Machine.phases[k]` (the Done values the run can reach); -1 is an empty register;
- complete's register after `Take` is `(done code, continuation, ...)`: the Done and
  the continuations it still has to spawn;
- a lock is `(writer, readers, queue)`: the writing process or -1, a bit mask of the
  reading processes, and the FIFO queue of waiters as `2 * process + write`.

`successors(m, s)` lists the enabled steps. Each step is one instruction of one
process; with `fuse=True` it is a short run of them (see `successors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from workerjob.model.actions import Observation, Ok, Return, Start
from workerjob.model.classify import classify
from workerjob.model.protocol.protocol import (
    COMPLETE,
    LOCK_NAMES,
    MAP,
    READ,
    READ_ROLE,
    STATE,
    WRITE,
    Acquire,
    Call,
    Classify,
    Config,
    Goto,
    IfDone,
    Insert,
    Instr,
    Process,
    ReadPhase,
    Release,
    Ret,
    SetDone,
    SetToken,
    SpawnSelf,
    SpawnTaken,
    Take,
    Variant,
    observed_call,
    processes,
)
from workerjob.model.vocabulary import RUNNING, Done, Phase

# --- locks ----------------------------------------------------------------------------

LockT = tuple[int, int, tuple[int, ...]]
FREE: LockT = (-1, 0, ())


def lock_acquire(lock: LockT, p: int, write: bool) -> tuple[LockT, bool]:
    """`p` asks for the lock: granted at once (True) when nobody waits (fairness: a
    waiting writer blocks later readers) and nothing held conflicts; else queued."""
    writer, readers, queue = lock
    if not queue and writer < 0 and (not write or not readers):
        return ((p, readers, queue) if write else (writer, readers | 1 << p, queue)), True
    return (writer, readers, (*queue, 2 * p + write)), False


def lock_release(lock: LockT, p: int) -> tuple[LockT, tuple[int, ...]]:
    """`p` lets go; the waiters at the front of the queue get the lock in order, as
    tokio hands permits over on release: one writer once nobody holds it, or every
    reader up to the first writer."""
    writer, readers, queue = lock
    writer = -1 if writer == p else writer
    readers &= ~(1 << p)
    granted: list[int] = []
    while queue and writer < 0:
        q, write = queue[0] >> 1, queue[0] & 1
        if write:
            if readers:
                break
            writer = q
        else:
            readers |= 1 << q
        granted.append(q)
        queue = queue[1:]
    return (writer, readers, queue), tuple(granted)


def holders(lock: LockT) -> list[int]:
    writer, readers, _ = lock
    return ([writer] if writer >= 0 else []) + [p for p in range(readers.bit_length())
                                                  if readers >> p & 1]


# --- the state ------------------------------------------------------------------------

Reg = int | tuple[int, ...]
EMPTY = -1


class PState(NamedTuple):
    """Every process's program counter and register; the shared phase, token and map
    (sorted by key); the two locks; the continuations spawned and not yet started, as
    (continuation, spawning process, done code); the started ones as a bit mask; and
    the task's outcome, an index into `Config.outcomes` (fixed for the run)."""

    pcs: tuple[int, ...]
    regs: tuple[Reg, ...]
    phase: int
    token: bool
    registry: tuple[tuple[str, int], ...]
    locks: tuple[LockT, LockT]
    spawned: tuple[tuple[int, int, int], ...]
    started: int
    outcome: int


def _settle(prog: tuple[Instr, ...], pc: int, reg: Reg) -> int:
    """Follow control instructions (and skip spawning when nothing is left to spawn)
    from `pc` to the next instruction that is a step."""
    while pc < len(prog):
        instr = prog[pc]
        if isinstance(instr, IfDone):
            pc = instr.target if isinstance(reg, int) and reg > 0 else pc + 1
        elif isinstance(instr, Goto):
            pc = instr.target
        elif isinstance(instr, SpawnTaken) and isinstance(reg, tuple) and len(reg) == 1:
            pc += 1
        else:
            break
    return pc


@dataclass(frozen=True)
class Machine:
    """A variant's processes under a configuration, the Done values the run can reach,
    and what the reduction needs to know about each program position."""

    variant: Variant
    config: Config
    procs: tuple[Process, ...]
    phases: tuple[Phase, ...]  # index 0: Running; then every reachable Done
    # per process, per pc: what the rest of the program may touch, as bits: `1 << lock`
    # for each lock it may ask for, `WRITES_TOKEN`, `READS_TOKEN`
    ahead: tuple[tuple[int, ...], ...]
    # every program reads the phase under the state lock and writes it under the state
    # write lock, and touches the map only under the map write lock: what makes those
    # steps commute with everything the other processes can do meanwhile
    disciplined: bool

    def initial_states(self) -> list[PState]:
        pcs = tuple(_settle(p.program, 0, EMPTY) for p in self.procs)
        regs: tuple[Reg, ...] = (EMPTY,) * len(self.procs)
        return [
            PState(pcs, regs, 0, False, (), (FREE, FREE), (), 0, k)
            for k in range(len(self.config.outcomes))
        ]

    def lane_names(self) -> tuple[str, ...]:
        """Process names, then the continuations' (c<i> for adder i)."""
        return (*(p.name for p in self.procs),
                *(f"c{p.op_id}" for p in self.procs if p.role == "add"))

    def code(self, done: Done) -> int:
        return self.phases.index(done)


def machine(variant: Variant, config: Config) -> Machine:
    procs = processes(variant, config)
    dones = {classify(token, e) for e in config.outcomes for token in (False, True)}
    phases: tuple[Phase, ...] = (RUNNING, *sorted(dones, key=str))
    ahead = tuple(
        tuple(_touches(p.program[pc:]) for pc in range(len(p.program) + 1)) for p in procs)
    disciplined = all(_disciplined(p.program) for p in procs)
    return Machine(variant, config, procs, phases, ahead, disciplined)


WRITES_TOKEN, READS_TOKEN = 1 << 2, 1 << 3
_USES = (1 << STATE, 1 << MAP, WRITES_TOKEN, READS_TOKEN)


def _touches(rest: tuple[Instr, ...]) -> int:
    bits = 0
    for instr in rest:
        if isinstance(instr, Acquire):
            bits |= 1 << instr.lock
        elif isinstance(instr, SetToken):
            bits |= WRITES_TOKEN
        elif isinstance(instr, Classify):
            bits |= READS_TOKEN
    return bits


Users = tuple[int, ...]


def users(m: Machine, s: PState) -> Users:
    """For each bit of `Machine.ahead`, the processes (a bit mask) that may still do
    that: ask for the state lock, for the map lock, write the token, read it."""
    out = [0, 0, 0, 0]
    for j, pc in enumerate(s.pcs):
        bits = m.ahead[j][pc]
        if bits:
            for b, use in enumerate(_USES):
                if bits & use:
                    out[b] |= 1 << j
    return tuple(out)


def _held(prog: tuple[Instr, ...]) -> dict[int, frozenset[tuple[int, bool]]]:
    """The locks (lock, write) held before each reachable instruction, following both
    arms of every branch. A position reached with different holdings holds none."""
    held: dict[int, frozenset[tuple[int, bool]]] = {}
    todo: list[tuple[int, frozenset[tuple[int, bool]]]] = [(0, frozenset())]
    while todo:
        pc, h = todo.pop()
        if pc >= len(prog):
            continue
        if pc in held:
            if held[pc] != h:
                held[pc] = frozenset()
            continue
        held[pc] = h
        match prog[pc]:
            case IfDone(target):
                todo += [(target, h), (pc + 1, h)]
            case Goto(target):
                todo.append((target, h))
            case Acquire(lock, write):
                todo.append((pc + 1, h | {(lock, write)}))
            case Release(lock):
                todo.append((pc + 1, frozenset(x for x in h if x[0] != lock)))
            case _:
                todo.append((pc + 1, h))
    return held


_NEEDS: dict[type, frozenset[tuple[int, bool]]] = {
    ReadPhase: frozenset({(STATE, READ), (STATE, WRITE)}),
    SetDone: frozenset({(STATE, WRITE)}),
    Insert: frozenset({(MAP, WRITE)}),
    Take: frozenset({(MAP, WRITE)}),
}


def _disciplined(prog: tuple[Instr, ...]) -> bool:
    for pc, h in _held(prog).items():
        needs = _NEEDS.get(type(prog[pc]))
        if needs is not None and not h & needs:
            return False
    return True


# --- steps ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One instruction as people read it: the process (lane) that ran it, the step's
    stable name, a detail, and what an observer saw (if anything)."""

    lane: str
    name: str
    detail: str
    observation: Observation | None


@dataclass(frozen=True, slots=True)
class Step:
    """An enabled step: who takes it, what an observer sees, the state after it, and,
    when asked for (`verbose`), each instruction it ran. `safe`: internal and commuting
    with everything the other processes can do before it (see `explorer.py`)."""

    lane: str
    observations: tuple[Observation, ...]
    target: PState
    safe: bool
    records: tuple[Record, ...] = ()


_NOBODY: frozenset[int] = frozenset()


def waiting(s: PState) -> frozenset[int]:
    """The processes queued on a lock."""
    (_, _, q0), (_, _, q1) = s.locks
    if not q0 and not q1:
        return _NOBODY
    return frozenset(q >> 1 for q in (*q0, *q1))


def successors(m: Machine, s: PState, *, fuse: bool = False,
               verbose: bool = False) -> list[Step]:
    """Every step enabled in `s`: each unblocked, unfinished process's next instruction,
    and the start of each spawned continuation.

    `fuse=True` runs the observable instructions as close to their neighbours as the
    process allows, as one step: an invocation together with the process's next
    instruction, a return together with the one before it, and a spawn together with
    the continuation's start (and complete's spawns together). The explorer's reduction
    argues why these runs are enough (`explorer.py`)."""
    out = []
    blocked = waiting(s)
    use = users(m, s)
    for i, p in enumerate(m.procs):
        if s.pcs[i] < len(p.program) and i not in blocked:
            out.append(_fused(m, s, i, verbose, use) if fuse
                       else _single(m, s, i, verbose, use))
    for k, (cont, by, code) in enumerate(s.spawned):
        obs = _start(m, cont, by, code)
        after = s._replace(spawned=s.spawned[:k] + s.spawned[k + 1:],
                           started=s.started | 1 << cont)
        rec = (Record(f"c{cont}", "start", "start", obs),) if verbose else ()
        out.append(Step(f"c{cont}", (obs,), after, False, rec))
    return out


def ample(m: Machine, s: PState, *, fuse: bool = False) -> list[Step]:
    """A singleton of the first safe step where there is one, else every step."""
    blocked = waiting(s)
    use = users(m, s)
    for i, p in enumerate(m.procs):
        if s.pcs[i] < len(p.program) and i not in blocked and _safe(m, s, i, fuse, use):
            step = _fused(m, s, i, False, use) if fuse else _single(m, s, i, False, use)
            if not step.observations:
                return [step]
    return successors(m, s, fuse=fuse)


def _single(m: Machine, s: PState, i: int, verbose: bool, use: Users) -> Step:
    after, obs, recs = _exec(m, s, i, verbose, start_at_once=False)
    return Step(m.procs[i].name, obs, after, _safe(m, s, i, False, use), recs)


_FOLLOWERS = (SpawnSelf, SpawnTaken, Ret)


def _fused(m: Machine, s: PState, i: int, verbose: bool, use: Users) -> Step:
    """Process `i`'s next instruction with the observable ones pinned to it: after an
    invocation, the next instruction; after that, any spawns and the return."""
    p = m.procs[i]
    observations: list[Observation] = []
    records: list[Record] = []
    first = isinstance(p.program[s.pcs[i]], Call)
    safe = _safe(m, s, i, True, use)
    while True:
        queues = isinstance(p.program[s.pcs[i]], Acquire)
        s, obs, recs = _exec(m, s, i, verbose, start_at_once=True)
        observations += obs
        records += recs
        pc = s.pcs[i]
        if pc >= len(p.program) or (queues and i in waiting(s)):
            break
        if first:  # the invocation goes with the next instruction, whatever it is
            first = False
            continue
        if not isinstance(p.program[pc], _FOLLOWERS):
            break
    return Step(p.name, tuple(observations), s, safe and not observations, tuple(records))


def _start(m: Machine, cont: int, by: int, code: int) -> Start:
    done = m.phases[code]
    assert isinstance(done, Done)
    return Start(cont, m.procs[by].worker, done.completion_type, done.error_message)


def _safe(m: Machine, s: PState, i: int, fuse: bool, use: Users) -> bool:
    """The next instruction of `i` is internal and commutes with every step the other
    processes can take before it (the ample-set conditions C1 and C2). `use`: who may
    still touch what (`users`)."""
    instr = m.procs[i].program[s.pcs[i]]
    others = ~(1 << i)
    match instr:
        case ReadPhase() | Insert() | SetDone() | Take():
            return m.disciplined
        case SpawnSelf() | SpawnTaken():
            return not fuse  # fused, a spawn carries its start: observable
        case Classify():
            return s.token or not use[2] & others
        case SetToken():
            return not use[3] & others
        case Acquire(lock) | Release(lock):
            # nobody else holds it, waits for it, or will ever ask for it again
            writer, readers, queue = s.locks[lock]
            return (not queue and writer in (-1, i) and not readers & others
                    and not use[lock] & others)
    return False  # Call, Ret: observable


def _short(phase: Phase) -> str:
    match phase:
        case Done(t, None):
            return f"Done({t.name})"
        case Done(t, msg):
            return f"Done({t.name}, {msg!r})"
    return "Running"


def _exec(
    m: Machine, s: PState, i: int, verbose: bool, *, start_at_once: bool
) -> tuple[PState, tuple[Observation, ...], tuple[Record, ...]]:
    """Run one instruction of process `i`: the state after it, what an observer saw,
    and (`verbose`) its records. `start_at_once`: a spawned continuation starts in the
    same step, its `Start` the step's observation (and its own record, in its lane)."""
    p = m.procs[i]
    pc = s.pcs[i]
    instr = p.program[pc]
    reg = s.regs[i]
    phase, token, registry, locks = s.phase, s.token, s.registry, s.locks
    spawned, started = s.spawned, s.started
    obs: Observation | None = None
    advance = True
    detail = ""
    match instr:
        case Call():
            name = "invoke"
            obs = observed_call(p, m.config, m.config.outcomes[s.outcome])
            detail = "invoke"
        case Acquire(lock, write):
            name = f"{LOCK_NAMES[lock]}.{'write' if write else 'read'}"
            new, granted = lock_acquire(locks[lock], i, write)
            locks = (new, locks[1]) if lock == STATE else (locks[0], new)
            if verbose:
                detail = name + ("()" if granted else "() waits")
        case Release(lock):
            name = f"{LOCK_NAMES[lock]}.release"
            new, granted_to = lock_release(locks[lock], i)
            locks = (new, locks[1]) if lock == STATE else (locks[0], new)
            if verbose:
                to = ", ".join(m.procs[q].name for q in granted_to)
                detail = name + "()" + (f" -> {to}" if to else "")
        case ReadPhase():
            reg = phase
            name = "read-phase"
            if verbose:
                detail = f"phase: {_short(m.phases[phase])}"
        case Insert():
            entries = dict(registry)
            replaced = entries.get(p.key)
            entries[p.key] = p.op_id
            registry = tuple(sorted(entries.items()))
            name = "insert"
            if verbose:
                detail = f"insert {p.key}=c{p.op_id}" + (
                    f" (replaces c{replaced})" if replaced is not None else "")
        case SpawnSelf():
            assert isinstance(reg, int) and reg > 0
            spawned, started, obs = _spawn(m, spawned, started, p.op_id, i, reg,
                                           start_at_once)
            name, detail = "spawn", f"spawn c{p.op_id}"
        case Classify():
            done = classify(token, m.config.outcomes[s.outcome])
            reg = m.code(done)
            name = "classify"
            if verbose:
                detail = f"token {'set' if token else 'clear'}: {done.completion_type.name}"
        case SetDone():
            code = reg[0] if isinstance(reg, tuple) else reg
            assert code > 0 and phase == 0, "complete sets Done once, from Running"
            phase = code
            name = "set-done"
            if verbose:
                detail = f"state = {_short(m.phases[code])}"
        case Take():
            assert isinstance(reg, int) and reg > 0
            reg = (reg, *(c for _, c in registry))
            name = "take"
            if verbose:
                detail = "take {" + ", ".join(f"{k}: c{c}" for k, c in registry) + "}"
            registry = ()
        case SpawnTaken():
            assert isinstance(reg, tuple) and len(reg) > 1
            code, cont, rest = reg[0], reg[1], reg[2:]
            spawned, started, obs = _spawn(m, spawned, started, cont, i, code, start_at_once)
            reg = (code, *rest)
            name, detail = "spawn", f"spawn c{cont}"
            advance = not rest
        case SetToken():
            token = True
            name, detail = "cancel-token", "token.cancel()"
        case Ret():
            name, detail = "return", "return"
            read = p.role == READ_ROLE and isinstance(reg, int) and reg >= 0
            obs = Return(p.op_id, Ok(m.phases[reg]) if read and isinstance(reg, int) else Ok())
            if m.config.job and p.role == COMPLETE:
                obs = None  # the launch wrapper's return, not an operation's
        case _:
            raise AssertionError(f"control instruction {instr} reached as a step")
    new_pc = _settle(p.program, pc + 1, reg) if advance else pc
    regs = s.regs if reg == s.regs[i] else (*s.regs[:i], reg, *s.regs[i + 1:])
    after = PState((*s.pcs[:i], new_pc, *s.pcs[i + 1:]), regs, phase, token, registry, locks,
                   spawned, started, s.outcome)
    if not verbose:
        return after, () if obs is None else (obs,), ()
    recs: tuple[Record, ...]
    if isinstance(obs, Start):
        recs = (Record(p.name, name, detail, None),
                Record(f"c{obs.cont}", "start", "start", obs))
    else:
        recs = (Record(p.name, name, detail, obs),)
    return after, () if obs is None else (obs,), recs


def _spawn(
    m: Machine,
    spawned: tuple[tuple[int, int, int], ...],
    started: int,
    cont: int,
    by: int,
    code: int,
    at_once: bool,
) -> tuple[tuple[tuple[int, int, int], ...], int, Observation | None]:
    if at_once:
        return spawned, started | 1 << cont, _start(m, cont, by, code)
    return tuple(sorted((*spawned, (cont, by, code)))), started, None
