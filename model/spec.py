"""The atomic spec of SPEC.md as transitions over `State`.

Each operation takes effect in one internal step (`Effect`) between its invocation and
its return. `observe` is the observable half of the transition relation (deterministic:
an observation leads to at most one next state); `internal_transitions` is the internal
half. A weaker named spec, `token-read-early`, lets `complete` read the token at any
instant between its invocation and its effect instead of at the effect itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from workerjob.model.actions import (
    AddOrRunNow,
    Cancel,
    Complete,
    Effect,
    Err,
    HardCancel,
    Internal,
    Invoke,
    IsActive,
    IsComplete,
    JobCompletes,
    Launch,
    Observation,
    Ok,
    Op,
    ReadState,
    ReadToken,
    Result,
    Return,
    RunEnded,
    Start,
    TaskCancelled,
    Wait,
    WaitReturns,
    result_matches,
)
from workerjob.model.classify import classify
from workerjob.model.state import Due, JobStatus, Pending, Stage, State
from workerjob.model.vocabulary import Done, Running, RunOutcome, TaskError


@dataclass(frozen=True, slots=True)
class Spec:
    """A named spec the oracle can check against."""

    name: str
    sentence: str
    token_read_early: bool = False


ATOMIC = Spec(
    "atomic",
    "Every operation takes effect at one instant; complete reads the token at that instant.",
)
TOKEN_READ_EARLY = Spec(
    "token-read-early",
    "As atomic, except that complete may read the token at any instant between its "
    "invocation and its effect (what the original Rust code does).",
    token_read_early=True,
)
SPECS = {s.name: s for s in (ATOMIC, TOKEN_READ_EARLY)}


# --- effects: each operation's one atomic instant -------------------------------------


def latch(s: State, done: Done, worker: str) -> State:
    """Running -> Done: every registered continuation becomes due with `worker` and
    `done`, and the registry is emptied. Only ever called on a Running state."""
    due = s.due | {
        Due(cont, worker, done.completion_type, done.error_message) for _, cont in s.registry
    }
    return replace(s, phase=done, due=due, registry=())


def effect_add(s: State, op: AddOrRunNow) -> tuple[State, Result]:
    match s.phase:
        case Running():
            old = dict(s.registry)
            replaced = s.replaced | ({old[op.key]} if op.key in old else set())
            old[op.key] = op.cont
            return replace(s, registry=tuple(sorted(old.items())), replaced=replaced), Ok()
        case Done(t, m):
            return replace(s, due=s.due | {Due(op.cont, op.worker, t, m)}), Ok()


def effect_complete(s: State, op: Complete, token: bool) -> tuple[State, Result]:
    if isinstance(s.phase, Done):
        return s, Err("InvalidStateError")  # Done is absorbing: nothing changes
    return latch(s, classify(token, op.error), op.worker), Ok()


def effect_launch(s: State, job: JobStatus) -> tuple[State, Result]:
    if job.launched:
        return s, Err("RuntimeError")
    return replace(s, job=replace(job, launched=True)), Ok()


def effect_hard_cancel(s: State, job: JobStatus, op: HardCancel) -> tuple[State, Result]:
    if not job.launched:
        return s, Err("AttributeError")  # task_handle is None before launch()
    if job.outcome is not None or job.hard_cancel is not None:
        return s, Ok()  # the task already ended, or a cancel is already on its way
    cancelled = TaskError("CancelledError", op.msg or "")
    return replace(s, job=replace(job, hard_cancel=cancelled)), Ok()


def effect_wait(s: State, job: JobStatus, p: Pending) -> State:
    """The check half of `wait()`; the result comes once the job has finished."""
    if not job.launched:
        return s.with_pending(replace(p, stage=Stage.EFFECTED, result=_NOT_LAUNCHED))
    if job.waited:
        return s.with_pending(replace(p, stage=Stage.EFFECTED, result=Err("RuntimeError")))
    s = replace(s, job=replace(job, waited=True))
    return s.with_pending(replace(p, stage=Stage.WAITING))


_NOT_LAUNCHED = Err("RuntimeError", "Task not launched")


def wait_result(job: JobStatus) -> Result:
    """What `wait()` returns once the job has finished: run()'s own outcome."""
    assert job.outcome is not None
    if job.outcome.error is None:
        return Ok()
    if job.outcome.hard_cancelled:
        return Err("CancelledError")  # any message: asyncio may drop it on the way
    return Err(job.outcome.error.type_name, job.outcome.error.text)


def apply_effect(s: State, p: Pending, token: bool) -> State:
    """Operation `p` takes effect; `token` is what it reads as the token."""
    op = p.op
    if isinstance(op, Wait):
        assert s.job is not None  # job operations are refused at invocation otherwise
        return effect_wait(s, s.job, p)
    result: Result
    match op:
        case AddOrRunNow():
            s, result = effect_add(s, op)
        case Complete():
            s, result = effect_complete(s, op, token)
        case Cancel():
            s, result = replace(s, token=True), Ok()
        case ReadState():
            result = Ok(s.phase)
        case Launch():
            assert s.job is not None
            s, result = effect_launch(s, s.job)
        case HardCancel():
            assert s.job is not None
            s, result = effect_hard_cancel(s, s.job, op)
        case IsActive():
            assert s.job is not None
            result = Ok(s.job.launched and not is_finished(s.job))
        case IsComplete():
            assert s.job is not None
            result = Ok(is_finished(s.job))
    return s.with_pending(replace(p, stage=Stage.EFFECTED, result=result))


def is_finished(job: JobStatus) -> bool:
    """SPEC's "finished" for is_active()/is_complete(): the job's task has done its
    completion step (the instant wait() may return), which is also when its task ends.
    (A task cancelled before its first step ends a moment earlier, before its completion:
    there it is not finished yet, as wait() does not return yet; see proofs_notes.)"""
    return job.completed


def job_completes(s: State, job: JobStatus) -> State:
    """The job's task completes its continuations with run()'s outcome; a hard cancel
    counts as a cancelled token. Skipped when someone else completed them first."""
    assert job.outcome is not None
    s = replace(s, job=replace(job, completed=True))
    if isinstance(s.phase, Done):
        return s
    token = s.token or job.outcome.hard_cancelled
    return latch(s, classify(token, job.outcome.error), job.worker)


# --- the internal half ------------------------------------------------------------------


def internal_transitions(spec: Spec, s: State) -> Iterator[tuple[Internal, State]]:
    for p in s.pending:
        if p.stage is Stage.INVOKED:
            if spec.token_read_early and isinstance(p.op, Complete):
                yield ReadToken(p.op_id), s.with_pending(
                    replace(p, stage=Stage.TOKEN_READ, token_read=s.token)
                )
            else:
                yield Effect(p.op_id), apply_effect(s, p, s.token)
        elif p.stage is Stage.TOKEN_READ:
            yield Effect(p.op_id), apply_effect(s, p, p.token_read)
        elif p.stage is Stage.WAITING and s.job is not None and s.job.completed:
            done = replace(p, stage=Stage.EFFECTED, result=wait_result(s.job))
            yield WaitReturns(p.op_id), s.with_pending(done)
    job = s.job
    if job is None:
        return
    if job.outcome is None and job.hard_cancel is not None:
        outcome = replace(job, outcome=_hard_outcome(job.hard_cancel))
        yield TaskCancelled(), replace(s, job=outcome)
    if job.outcome is not None and not job.completed:
        yield JobCompletes(), job_completes(s, job)


def _hard_outcome(error: TaskError) -> RunOutcome:
    return RunOutcome(error, hard_cancelled=True)


# --- the observable half ------------------------------------------------------------------


def observe(s: State, obs: Observation) -> State | str:
    """The state after `obs`, or a sentence saying why `s` does not allow it."""
    match obs:
        case Invoke(op_id, op):
            return _invoke(s, op_id, op)
        case Return(op_id, result):
            return _return(s, op_id, result)
        case Start():
            return _start(s, obs)
        case RunEnded(outcome):
            return _run_ended(s, outcome)


def _invoke(s: State, op_id: int, op: object) -> State | str:
    if s.pending_op(op_id) is not None:
        return f"operation #{op_id} is already in flight"
    if isinstance(op, Launch | HardCancel | Wait | IsActive | IsComplete) and s.job is None:
        return f"{op} is a WorkerJob operation, and no job is modelled here"
    assert isinstance(op, AddOrRunNow | Complete | Cancel | ReadState | Launch | HardCancel | Wait
                      | IsActive | IsComplete)
    if isinstance(op, AddOrRunNow) and op.cont in _known_conts(s):
        return f"continuation c{op.cont} is added twice (each add brings a new one)"
    return s.with_pending(Pending(op_id, op))


def _known_conts(s: State) -> set[int]:
    """Every continuation an add has brought so far, in flight or taken effect."""
    known = {c for _, c in s.registry} | {d.cont for d in s.due} | s.replaced
    known |= {p.op.cont for p in s.pending if isinstance(p.op, AddOrRunNow)}
    return known


def _return(s: State, op_id: int, result: Result) -> State | str:
    p = s.pending_op(op_id)
    if p is None:
        return f"operation #{op_id} is not in flight"
    if p.stage is not Stage.EFFECTED or p.result is None:
        return f"#{op_id} {p.op} returned before it took effect"
    if not result_matches(p.result, result):
        return f"#{op_id} {p.op} must return {p.result}"
    return s.without_pending(op_id)


def _start(s: State, obs: Start) -> State | str:
    c = obs.cont
    if c in s.started:
        return f"c{c} already started once"
    for d in s.due:
        if d.cont == c:
            wanted = Start(c, d.worker, d.completion_type, d.error_message)
            if wanted != obs:
                return f"c{c} is due as {wanted}"
            return replace(s, started=s.started | {c})
    if c in s.replaced:
        return f"c{c} was replaced under its key and must never run"
    key = s.registered(c)
    if key is not None:
        return f"c{c} is registered under {key!r} and the phase is still {s.phase}"
    return f"c{c} is not due"


def _run_ended(s: State, outcome: RunOutcome) -> State | str:
    job = s.job
    if job is None:
        return "no job is modelled here"
    if not job.launched:
        return "run() ended but the job was never launched"
    if job.outcome is not None:
        return f"run() already ended ({job.outcome})"
    if outcome.hard_cancelled and job.hard_cancel is None:
        return "run() was cancelled but no hard cancel took effect"
    return replace(s, job=replace(job, outcome=outcome))


def expected_observations(s: State) -> Iterator[Observation]:
    """The observations `s` allows next, other than invocations and run() ending."""
    for p in s.pending:
        if p.stage is Stage.EFFECTED and p.result is not None:
            yield Return(p.op_id, p.result)
    for d in sorted(s.due, key=lambda d: d.cont):
        if d.cont not in s.started:
            yield Start(d.cont, d.worker, d.completion_type, d.error_message)



# --- independence, for the oracle's partial-order reduction ---------------------------


def independent(a: Op, b: Op) -> bool:
    """Whether the effects of `a` and `b` commute: in either order they give the same
    state and the same results, and neither enables or disables the other. Everything
    not listed here counts as dependent, which is always safe. Checked by
    `tests/model/test_independence.py` against `apply_effect` itself."""
    match a, b:
        case AddOrRunNow(key=k1), AddOrRunNow(key=k2):
            return k1 != k2  # the same key: the later add replaces the earlier one
        case (Cancel() | ReadState(), Cancel() | ReadState()):
            return True  # cancel is idempotent; a state read changes nothing
        case (AddOrRunNow(), Cancel() | ReadState()) | (Cancel() | ReadState(), AddOrRunNow()):
            return True  # add reads the phase, not the token; it never changes the phase
        case (Launch() | HardCancel() | Wait(), AddOrRunNow() | Cancel() | ReadState()):
            return True  # job operations touch only the job's own status
        case (AddOrRunNow() | Cancel() | ReadState(), Launch() | HardCancel() | Wait()):
            return True
    return False


def action_op(action: Internal) -> int | None:
    """The operation an internal action belongs to; `None` for the job's own steps."""
    match action:
        case Effect(op_id) | ReadToken(op_id) | WaitReturns(op_id):
            return op_id
    return None


def dependent_ops(s: State, op_id: int) -> frozenset[int]:
    """The operations in flight in `s` connected to `op_id` by dependence, directly or
    through others: the only ones whose effects can change what `op_id` returns.

    The job's own steps (its task completing the continuations) depend on every kind
    of operation (they read the token, latch the phase, drain the registry), and the
    oracle always explores them; so while they may still happen, every operation in
    flight is in the component."""
    ops = {p.op_id: p.op for p in s.pending}
    if _job_steps_possible(s):
        return frozenset(ops)
    component = {op_id}
    todo = [op_id]
    while todo:
        x = ops[todo.pop()]
        for other, op in ops.items():
            if other not in component and not independent(x, op):
                component.add(other)
                todo.append(other)
    return frozenset(component)


def _job_steps_possible(s: State) -> bool:
    """Whether the job's internal steps are enabled in `s`, or may become so by an
    internal action (a hard cancel taking effect)."""
    job = s.job
    if job is None or job.completed:
        return False
    return (job.outcome is not None or job.hard_cancel is not None
            or any(isinstance(p.op, HardCancel) for p in s.pending))
