"""The model's state: immutable and hashable, so sets of states are cheap."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from workerjob.model.actions import Op, Result
from workerjob.model.vocabulary import RUNNING, CompletionType, Phase, RunOutcome, TaskError


class Stage(Enum):
    """Where an invoked operation is on its way to returning."""

    INVOKED = "invoked"  # has not taken effect yet
    TOKEN_READ = "token read"  # `complete` under token-read-early: token read, no effect
    DRAINING = "draining"  # `complete` in two steps: Done set, the registry not yet taken
    WAITING = "waiting"  # `wait()` checked and now waits for the job to finish
    EFFECTED = "effected"  # took effect; its result is fixed, the return may come

    __hash__ = object.__hash__  # as CompletionType: identity, and fast


@dataclass(frozen=True, slots=True)
class Pending:
    """An operation in flight: invoked and not yet returned."""

    op_id: int
    op: Op
    stage: Stage = Stage.INVOKED
    result: Result | None = None
    token_read: bool = False  # what a TOKEN_READ `complete` read
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        key = (self.op_id, self.op, self.stage, self.result, self.token_read)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        done = f", {self.result}" if self.result is not None else ""
        return f"#{self.op_id} {self.op} [{self.stage.value}{done}]"


@dataclass(frozen=True, slots=True)
class Due:
    """A continuation due to start exactly once with these arguments."""

    cont: int
    worker: str
    completion_type: CompletionType
    error_message: str | None


@dataclass(frozen=True, slots=True)
class JobStatus:
    """The `WorkerJob` around the continuations (absent when they are driven alone)."""

    worker: str  # the job's worker, handed to `complete` by the job's task
    launched: bool = False
    outcome: RunOutcome | None = None  # how run() ended; None while it has not
    hard_cancel: TaskError | None = None  # the CancelledError a hard cancel will raise
    completed: bool = False  # the job's task has done its completion step
    waited: bool = False  # a wait() has claimed the job
    token_read: bool | None = None  # what the job's completion read (token-read-early)
    aborted: bool = False  # abort-leaves-running: a hard cancel ended the task early
    done_set: bool = False  # two-step completion: Done set, the registry not yet taken


@dataclass(frozen=True, slots=True)
class State:
    phase: Phase = RUNNING
    token: bool = False  # the cancellation token is cancelled
    registry: tuple[tuple[str, int], ...] = ()  # (key, continuation), sorted by key
    due: frozenset[Due] = frozenset()
    started: frozenset[int] = frozenset()
    replaced: frozenset[int] = frozenset()  # continuations dropped by a later add
    pending: tuple[Pending, ...] = ()  # sorted by op_id
    job: JobStatus | None = None

    # The oracle hashes each state many times (sets of states, the closure cache);
    # the fields never change, so the hash is computed once, at construction.
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        key = (self.phase, self.token, self.registry, self.due, self.started,
               self.replaced, self.pending, self.job)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    # -- small queries used by the transitions and the invariants --

    def pending_op(self, op_id: int) -> Pending | None:
        for p in self.pending:
            if p.op_id == op_id:
                return p
        return None

    def with_pending(self, new: Pending) -> State:
        """Replace (or add) the pending record with `new.op_id`, keeping order."""
        others = [p for p in self.pending if p.op_id != new.op_id]
        others.append(new)
        others.sort(key=lambda p: p.op_id)
        return self._with_pending_tuple(tuple(others))

    def without_pending(self, op_id: int) -> State:
        return self._with_pending_tuple(tuple(p for p in self.pending if p.op_id != op_id))

    def _with_pending_tuple(self, pending: tuple[Pending, ...]) -> State:
        # The oracle's hottest path: positional construction, not dataclasses.replace.
        return State(self.phase, self.token, self.registry, self.due, self.started,
                     self.replaced, pending, self.job)

    def registered(self, cont: int) -> str | None:
        """The key `cont` is registered under, if any."""
        for key, c in self.registry:
            if c == cont:
                return key
        return None


def initial_continuations() -> State:
    """`Continuations()` driven on its own."""
    return State()


def initial_job(worker: str) -> State:
    """`WorkerJob(worker, task, token)` before `launch()`."""
    return State(job=JobStatus(worker=worker))
