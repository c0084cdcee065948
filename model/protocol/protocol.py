"""The original's protocol, step by step: `add_or_run_now` and `complete` as processes
over two fair read-write locks, with named variants as data.

The atomic spec (`spec.py`) says what must happen; this module says how the original
Rust code does it. Each operation is a process running a small program, one
instruction per step; `successors` lists every step enabled in a `PState`. The
explorer (`explorer.py`) searches every interleaving and checks the observable steps
against the spec's oracle.

The two locks are tokio's `RwLock`, which is fair: waiters are served in FIFO order,
and a waiting writer blocks every later reader, even while readers hold the lock. A
request that cannot be granted at once queues the process (the step is taken, the
process is blocked); a release hands the lock to the waiters at the front of the
queue, a writer alone or a run of readers, in the same step, as tokio assigns
permits on release.

Processes (SPEC's operations; each invokes its operation once, returns once):
- `add<i>`: `add_or_run_now(key, c<i>, add<i>)`, operation #i, continuation c<i>,
  worker `add<i>`; adders take the keys round-robin (`a`, `b`, ...);
- `complete`: `complete(error, job)` with the job's worker, `error` the task's
  outcome (`None` or a `TaskError`);
- `cancel`: `token.cancel()`;  `read`: reading `state` (under the state read lock);
- `c<i>`: a spawned continuation, whose one step is its start.
"""

from __future__ import annotations

from dataclasses import dataclass

from workerjob.model.actions import (
    AddOrRunNow,
    Cancel,
    Complete,
    Invoke,
    Observation,
    Op,
    ReadState,
    RunEnded,
)
from workerjob.model.state import JobStatus, State, initial_continuations
from workerjob.model.vocabulary import RunOutcome, TaskError

JOB_WORKER = "job"
BOOM = TaskError("ValueError", "boom")

# --- locks --------------------------------------------------------------------------
# tokio's RwLock, fair: see `protocol_state.lock_acquire` and `lock_release`.

STATE, MAP = 0, 1
LOCK_NAMES = ("state", "map")
READ, WRITE = False, True


# --- instructions -------------------------------------------------------------------
# One instruction is one step, except the control instructions (`IfDone`, `Goto`),
# which are followed as soon as they are reached, without a step of their own.


@dataclass(frozen=True, slots=True)
class Call:
    """Invoke the process's operation (observable)."""


@dataclass(frozen=True, slots=True)
class Acquire:
    lock: int
    write: bool


@dataclass(frozen=True, slots=True)
class Release:
    lock: int


@dataclass(frozen=True, slots=True)
class ReadPhase:
    """Read the phase into the process's register."""


@dataclass(frozen=True, slots=True)
class Insert:
    """`map.insert(key, callback)`: replaces an earlier continuation under the key."""


@dataclass(frozen=True, slots=True)
class SpawnSelf:
    """The adder saw Done: spawn its own continuation with its own worker."""


@dataclass(frozen=True, slots=True)
class Classify:
    """`complete` reads the token and classifies the outcome."""


@dataclass(frozen=True, slots=True)
class SetDone:
    """`*state = Done(type, message)` with the classification made earlier."""


@dataclass(frozen=True, slots=True)
class Take:
    """`std::mem::take(&mut *map)`: the registry is now complete's, the map empty."""


@dataclass(frozen=True, slots=True)
class SpawnTaken:
    """Spawn the next continuation taken from the map (one step each)."""


@dataclass(frozen=True, slots=True)
class SetToken:
    """`token.cancel()`."""


@dataclass(frozen=True, slots=True)
class Ret:
    """Return from the operation (observable)."""


@dataclass(frozen=True, slots=True)
class IfDone:
    """Control: jump to `target` when the phase read is Done."""

    target: int


@dataclass(frozen=True, slots=True)
class Goto:
    """Control: jump to `target`."""

    target: int


Instr = (
    Call | Acquire | Release | ReadPhase | Insert | SpawnSelf | Classify | SetDone | Take
    | SpawnTaken | SetToken | Ret | IfDone | Goto
)
@dataclass(frozen=True, slots=True)
class Branch:
    """In a program: what follows reading the phase, if Running and if Done."""

    running: tuple[Instr, ...]
    done: tuple[Instr, ...]


def program(*parts: Instr | Branch) -> tuple[Instr, ...]:
    """Lay a program out flat: a `Branch` becomes `IfDone`, the Running arm, a
    `Goto` past the Done arm, and the Done arm."""
    out: list[Instr] = []
    for part in parts:
        if isinstance(part, Branch):
            at = len(out)
            done_at = at + 1 + len(part.running) + 1
            end = done_at + len(part.done)
            out += [IfDone(done_at), *part.running, Goto(end), *part.done]
        else:
            out.append(part)
    return tuple(out)


# --- the variants -------------------------------------------------------------------

ADD_ORIGINAL = program(
    Call(), Acquire(STATE, READ), ReadPhase(),
    Branch(
        running=(Acquire(MAP, WRITE), Insert(), Release(MAP), Release(STATE)),
        done=(SpawnSelf(), Release(STATE)),
    ),
    Ret(),
)
ADD_GUARD_DROPPED = program(
    Call(), Acquire(STATE, READ), ReadPhase(), Release(STATE),
    Branch(running=(Acquire(MAP, WRITE), Insert(), Release(MAP)), done=(SpawnSelf(),)),
    Ret(),
)
COMPLETE_ORIGINAL = program(
    Call(), Classify(), Acquire(STATE, WRITE), SetDone(), Release(STATE),
    Acquire(MAP, WRITE), Take(), Release(MAP), SpawnTaken(), Ret(),
)
COMPLETE_CLASSIFY_AT_EFFECT = program(
    Call(), Acquire(STATE, WRITE), Classify(), SetDone(), Release(STATE),
    Acquire(MAP, WRITE), Take(), Release(MAP), SpawnTaken(), Ret(),
)
COMPLETE_DRAIN_FIRST = program(
    Call(), Classify(), Acquire(MAP, WRITE), Take(), Release(MAP),
    Acquire(STATE, WRITE), SetDone(), Release(STATE), SpawnTaken(), Ret(),
)
COMPLETE_LOCK_ORDER_INVERTED = program(
    Call(), Classify(), Acquire(MAP, WRITE), Acquire(STATE, WRITE), SetDone(), Take(),
    Release(STATE), Release(MAP), SpawnTaken(), Ret(),
)
CANCEL = program(Call(), SetToken(), Ret())
READ_STATE = program(Call(), Acquire(STATE, READ), ReadPhase(), Release(STATE), Ret())


@dataclass(frozen=True)
class Variant:
    """A version of the protocol: the programs of `add_or_run_now` and `complete`."""

    name: str
    sentence: str
    add: tuple[Instr, ...]
    complete: tuple[Instr, ...]


ORIGINAL = Variant(
    "original",
    "The Rust code: add holds the state read guard across the map insert; complete "
    "classifies (reads the token) before it takes the state write lock, then drains the "
    "map in a second critical section.",
    ADD_ORIGINAL,
    COMPLETE_ORIGINAL,
)
GUARD_DROPPED = Variant(
    "guard-dropped",
    "As original, but add releases the state read guard before it takes the map lock "
    "to insert.",
    ADD_GUARD_DROPPED,
    COMPLETE_ORIGINAL,
)
CLASSIFY_AT_EFFECT = Variant(
    "classify-at-effect",
    "As original, but complete classifies (reads the token) inside the state write lock, "
    "at the instant it sets Done.",
    ADD_ORIGINAL,
    COMPLETE_CLASSIFY_AT_EFFECT,
)
DRAIN_FIRST = Variant(
    "drain-first",
    "As original, but complete drains the map before it sets Done.",
    ADD_ORIGINAL,
    COMPLETE_DRAIN_FIRST,
)
LOCK_ORDER_INVERTED = Variant(
    "lock-order-inverted",
    "As original, but complete holds the map write lock while it takes the state write "
    "lock: the opposite order to add's.",
    ADD_ORIGINAL,
    COMPLETE_LOCK_ORDER_INVERTED,
)
VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (ORIGINAL, GUARD_DROPPED, CLASSIFY_AT_EFFECT, DRAIN_FIRST, LOCK_ORDER_INVERTED)
}


# --- configurations and processes ----------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The bound: how many adders over how many keys, whether a cancel and a state read
    happen, and the task outcomes to try (`None`: run() returned; a `TaskError`: it
    raised). Each outcome is a separate initial state of the same search."""

    adders: int = 3
    keys: int = 2
    cancel: bool = True
    read: bool = True
    outcomes: tuple[TaskError | None, ...] = (None, BOOM)
    # The job level: `complete` is the job's own completion, called by the launch
    # wrapper once run() ended. Its invocation is then seen as run() ending, and its
    # return is not seen at all (the wrapper's, not an operation's).
    job: bool = False

    def __post_init__(self) -> None:
        if self.adders < 0:
            raise ValueError("adders must be >= 0")
        if not 1 <= self.keys <= 26:
            raise ValueError("keys must be between 1 and 26")
        if not self.outcomes:
            raise ValueError("at least one outcome is needed")

    def describe(self) -> str:
        outcomes = ", ".join("returned" if e is None else f"raised {e}" for e in self.outcomes)
        extras = [*(["cancel"] if self.cancel else []), *(["a state read"] if self.read else [])]
        completer = "the job's own completion" if self.job else "complete"
        return (
            f"{self.adders} adder(s) over {self.keys} key(s), {completer}"
            + "".join(f", {x}" for x in extras)
            + f"; run() {outcomes}"
        )


def spec_initial(config: Config) -> State:
    """The spec state a run of the protocol starts from: Continuations alone, or (job
    level) a job already launched whose worker is the completer's."""
    if config.job:
        return State(job=JobStatus(worker=JOB_WORKER, launched=True))
    return initial_continuations()


def observed_call(p: Process, config: Config, error: TaskError | None) -> Observation:
    """What an observer sees when process `p` calls its operation."""
    if config.job and p.role == COMPLETE:
        return RunEnded(RunOutcome(error))
    return Invoke(p.op_id, operation(p, error))


ADD, COMPLETE, CANCEL_ROLE, READ_ROLE = "add", "complete", "cancel", "read"


@dataclass(frozen=True)
class Process:
    name: str
    role: str
    op_id: int
    program: tuple[Instr, ...]
    key: str = ""
    worker: str = ""


def key_name(i: int) -> str:
    return chr(ord("a") + i)


def processes(variant: Variant, config: Config) -> tuple[Process, ...]:
    """Adders are operations #1..#n (continuation c<i> is adder i's); then complete,
    cancel and the state read, in that order."""
    procs = [
        Process(f"add{i}", ADD, i, variant.add, key_name((i - 1) % config.keys), f"add{i}")
        for i in range(1, config.adders + 1)
    ]
    n = config.adders
    procs.append(Process(COMPLETE, COMPLETE, n + 1, variant.complete, worker=JOB_WORKER))
    if config.cancel:
        procs.append(Process(CANCEL_ROLE, CANCEL_ROLE, n + 2, CANCEL))
    if config.read:
        procs.append(Process(READ_ROLE, READ_ROLE, n + 3, READ_STATE))
    return tuple(procs)


def operation(p: Process, error: TaskError | None) -> Op:
    """The operation process `p` invokes (complete's carries the task's outcome)."""
    match p.role:
        case "add":
            return AddOrRunNow(p.key, p.op_id, p.worker)
        case "complete":
            return Complete(error, p.worker)
        case "cancel":
            return Cancel()
    return ReadState()
