"""The atomic spec of SPEC.md as transitions over `State`.

Each operation takes effect in one internal step (`Effect`) between its invocation and
its return. `observe` is the observable half of the transition relation (deterministic:
an observation leads to at most one next state); `internal_transitions` is the internal
half. A spec is SPEC plus a set of named departures (`departures.py`): `token-read-early`
lets `complete` (and the job's own completion) read the token at any instant between
its invocation and its effect instead of at the effect itself; `original` allows every
departure the original Rust code has. Each departure is read where it changes a
transition, by name (`spec.allows(...)`), and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from workerjob.model import departures as dep
from workerjob.model.actions import (
    AddOrRunNow,
    Cancel,
    Complete,
    Drain,
    Effect,
    Err,
    HardCancel,
    Internal,
    Invoke,
    IsActive,
    IsComplete,
    JobAborted,
    JobCompletes,
    JobReadsToken,
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
from workerjob.model.classify import classify, completion_type
from workerjob.model.state import Due, JobStatus, Pending, Stage, State
from workerjob.model.vocabulary import Done, Running, RunOutcome, TaskError


@dataclass(frozen=True, slots=True)
class Spec:
    """A named spec the oracle can check against: SPEC plus the departures it allows
    (names from `departures.DEPARTURES`)."""

    name: str
    sentence: str
    departures: frozenset[str] = frozenset()

    def allows(self, departure: dep.Departure) -> bool:
        return departure.name in self.departures

    @property
    def token_read_early(self) -> bool:
        return dep.TOKEN_READ_EARLY.name in self.departures

    def in_force(self) -> str:
        """The departures in force, in words (for reports)."""
        if not self.departures:
            return "none"
        return ", ".join(sorted(self.departures))


ATOMIC = Spec(
    "atomic",
    "Every operation takes effect at one instant; complete reads the token at that instant.",
)
TOKEN_READ_EARLY = Spec(
    "token-read-early",
    "As atomic, except that complete (the job's own completion included) may read the "
    "token at any instant between its invocation and its effect (as the original does).",
    frozenset({dep.TOKEN_READ_EARLY.name}),
)
ORIGINAL = Spec(
    "original",
    "As atomic, with every departure the original Rust code has (SPEC's list).",
    dep.ORIGINAL,
)
SPECS = {s.name: s for s in (ATOMIC, TOKEN_READ_EARLY)}
"""The specs of the original's protocol explorer and of the model's own property tests:
SPEC's invariants (Done absorbing, every outcome completes) hold in both."""
NAMED_SPECS = {s.name: s for s in (ATOMIC, TOKEN_READ_EARLY, ORIGINAL)}
"""What `--spec` takes."""


def spec_with(base: Spec, allow: Iterable[str]) -> Spec:
    """`base` plus the departures named in `allow` (`--allow`); a `ValueError` naming
    the first unknown name."""
    extra = set()
    for name in allow:
        if name not in dep.DEPARTURES:
            known = ", ".join(sorted(dep.DEPARTURES))
            raise ValueError(f"unknown departure {name!r} (known: {known})")
        extra.add(name)
    extra -= base.departures
    if not extra:
        return base
    name = "+".join([base.name, *sorted(extra)])
    sentence = f"{base.sentence} Also allowed: {', '.join(sorted(extra))}."
    return Spec(name, sentence, base.departures | extra)


# --- effects: each operation's one atomic instant -------------------------------------


def latch(s: State, done: Done, worker: str) -> State:
    """Running -> Done: every registered continuation becomes due with `worker` and
    `done`, and the registry is emptied. Only ever called on a Running state."""
    return drain(replace(s, phase=done), done, worker)


def drain(s: State, done: Done, worker: str) -> State:
    """The registry is taken: what it held becomes due with `worker` and `done`."""
    due = s.due | {
        Due(cont, worker, done.completion_type, done.error_message) for _, cont in s.registry
    }
    return replace(s, due=due, registry=())


def two_step(spec: Spec) -> bool:
    """Whether a completion sets Done and takes the registry in two steps, as the
    original does (two critical sections), with others in between. Observable only
    when a second completion may set Done again (`complete-overwrites-done`) or be cut
    short between them (`abort-leaves-running`, the job's own): otherwise one step."""
    return spec.allows(dep.COMPLETE_OVERWRITES_DONE)


def effect_add(s: State, op: AddOrRunNow) -> tuple[State, Result]:
    match s.phase:
        case Running():
            old = dict(s.registry)
            replaced = s.replaced | ({old[op.key]} if op.key in old else set())
            old[op.key] = op.cont
            return replace(s, registry=tuple(sorted(old.items())), replaced=replaced), Ok()
        case Done(t, m):
            return replace(s, due=s.due | {Due(op.cont, op.worker, t, m)}), Ok()


def outcome_of(spec: Spec, token: bool, error: TaskError | None) -> Done:
    """`classify`, with the message rule the spec has (`empty-message-stays-empty`:
    the text as it is, even empty)."""
    if error is not None and spec.allows(dep.EMPTY_MESSAGE_STAYS_EMPTY):
        return Done(completion_type(token, error), error.text)
    return classify(token, error)


def overwrite(s: State, done: Done) -> State:
    """`complete-overwrites-done`: Done -> Done with another content. The registry is
    empty while Done, so nothing becomes due."""
    return replace(s, phase=done)


def effect_complete(spec: Spec, s: State, op: Complete, token: bool) -> tuple[State, Result]:
    if isinstance(s.phase, Done):
        if spec.allows(dep.COMPLETE_OVERWRITES_DONE):
            return overwrite(s, outcome_of(spec, token, op.error)), Ok()
        return s, Err("InvalidStateError")  # Done is absorbing: nothing changes
    if two_step(spec):
        return replace(s, phase=outcome_of(spec, token, op.error)), Ok()  # Drain follows
    return latch(s, outcome_of(spec, token, op.error), op.worker), Ok()


def effect_launch(s: State, job: JobStatus) -> tuple[State, Result]:
    if job.launched:
        return s, Err("RuntimeError")
    return replace(s, job=replace(job, launched=True)), Ok()


def effect_hard_cancel(spec: Spec, s: State, job: JobStatus,
                       op: HardCancel) -> tuple[State, Result]:
    if not job.launched:
        return s, Err("AttributeError")  # task_handle is None before launch()
    cancelled = TaskError("CancelledError", op.msg or "")
    if (spec.allows(dep.ABORT_LEAVES_RUNNING) and job.outcome is not None
            and not job.completed and job.hard_cancel is None
            and not job.outcome.hard_cancelled):
        # The original's abort: it reaches a task still completing (JobAborted).
        return replace(s, job=replace(job, hard_cancel=cancelled)), Ok()
    if job.outcome is not None or job.hard_cancel is not None:
        # run() already ended: its outcome is the job's, and a hard cancel that arrives
        # now (even while the task still completes the continuations) changes nothing.
        # Or a cancel is already on its way.
        return s, Ok()
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


def wait_result(spec: Spec, job: JobStatus) -> Result:
    """What `wait()` returns once the job has finished: run()'s own outcome."""
    assert job.outcome is not None
    if job.outcome.hard_cancelled or job.aborted:
        return Err("CancelledError")  # any message: asyncio may drop it on the way
    if job.outcome.error is None:
        return Ok()
    if spec.allows(dep.WAIT_RETURNS_OK) and not job.outcome.panicked:
        return Ok()
    return Err(job.outcome.error.type_name, job.outcome.error.text)


def apply_effect(spec: Spec, s: State, p: Pending, token: bool) -> State:
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
            s, result = effect_complete(spec, s, op, token)
            if two_step(spec) and isinstance(result, Ok):
                return s.with_pending(replace(p, stage=Stage.DRAINING, token_read=token))
        case Cancel():
            s, result = replace(s, token=True), Ok()
        case ReadState():
            result = Ok(s.phase)
        case Launch():
            assert s.job is not None
            s, result = effect_launch(s, s.job)
        case HardCancel():
            assert s.job is not None
            s, result = effect_hard_cancel(spec, s, s.job, op)
        case IsActive():
            assert s.job is not None
            launched = s.job.launched or spec.allows(dep.UNLAUNCHED_REPORTS_ACTIVE)
            result = Ok(launched and not is_finished(s.job))
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


def job_completes(spec: Spec, s: State, job: JobStatus) -> State:
    """The job's task completes its continuations with run()'s outcome; a hard cancel
    counts as a cancelled token. Skipped when someone else completed them first.
    The departures: a panic or an abort ends the task before complete
    (`panic-leaves-running`, `abort-leaves-running`); a Done is overwritten
    (`complete-overwrites-done`); the token was read earlier (`token-read-early`).
    In two steps (`job_two_step`), this sets Done and `job_drains` follows."""
    outcome = job.outcome
    assert outcome is not None
    if ((outcome.panicked and spec.allows(dep.PANIC_LEAVES_RUNNING))
            or (outcome.hard_cancelled and spec.allows(dep.ABORT_LEAVES_RUNNING))):
        return replace(s, job=replace(job, completed=True, aborted=outcome.hard_cancelled))
    token = _job_token(s, job)
    done = outcome_of(spec, token, outcome.error)
    if isinstance(s.phase, Done) and not spec.allows(dep.COMPLETE_OVERWRITES_DONE):
        return replace(s, job=replace(job, completed=True))
    if job_two_step(spec):
        s = replace(s, phase=done)
        return replace(s, job=replace(job, done_set=True, token_read=token))
    s = replace(s, job=replace(job, completed=True))
    return latch(s, done, job.worker)


def job_two_step(spec: Spec) -> bool:
    """The job's completion in two steps: as `two_step`, and also where an abort can
    land between them."""
    return two_step(spec) or spec.allows(dep.ABORT_LEAVES_RUNNING)


def job_drains(spec: Spec, s: State, job: JobStatus) -> State:
    """The second step of the job's completion: it takes the registry."""
    assert job.outcome is not None and job.token_read is not None
    done = outcome_of(spec, job.token_read, job.outcome.error)
    return drain(replace(s, job=replace(job, completed=True)), done, job.worker)


def complete_drains(spec: Spec, s: State, p: Pending) -> State:
    """The second step of a `complete` (`two_step`): it takes the registry."""
    assert isinstance(p.op, Complete)
    done = outcome_of(spec, p.token_read, p.op.error)
    s = drain(s, done, p.op.worker)
    return s.with_pending(replace(p, stage=Stage.EFFECTED, result=Ok()))


def _job_token(s: State, job: JobStatus) -> bool:
    """The token as the job's completion reads it: now, or what it read earlier."""
    assert job.outcome is not None
    read = s.token if job.token_read is None else job.token_read
    return read or job.outcome.hard_cancelled


# --- the internal half ------------------------------------------------------------------


def internal_transitions(spec: Spec, s: State) -> Iterator[tuple[Internal, State]]:
    for p in s.pending:
        if p.stage is Stage.INVOKED:
            if spec.token_read_early and isinstance(p.op, Complete):
                yield ReadToken(p.op_id), s.with_pending(
                    replace(p, stage=Stage.TOKEN_READ, token_read=s.token)
                )
            else:
                yield Effect(p.op_id), apply_effect(spec, s, p, s.token)
        elif p.stage is Stage.TOKEN_READ:
            yield Effect(p.op_id), apply_effect(spec, s, p, p.token_read)
        elif p.stage is Stage.DRAINING:
            yield Drain(p.op_id), complete_drains(spec, s, p)
        elif p.stage is Stage.WAITING and s.job is not None and s.job.completed:
            done = replace(p, stage=Stage.EFFECTED, result=wait_result(spec, s.job))
            yield WaitReturns(p.op_id), s.with_pending(done)
    job = s.job
    if job is None:
        return
    if job.outcome is None and job.hard_cancel is not None:
        outcome = replace(job, outcome=_hard_outcome(job.hard_cancel))
        yield TaskCancelled(), replace(s, job=outcome)
    if job.outcome is not None and not job.completed:
        yield from _job_steps(spec, s, job)


def _job_steps(spec: Spec, s: State, job: JobStatus) -> Iterator[tuple[Internal, State]]:
    """The job's task, run() having ended, on its way through its completion."""
    assert job.outcome is not None
    if (spec.allows(dep.ABORT_LEAVES_RUNNING) and job.hard_cancel is not None
            and not job.outcome.hard_cancelled):
        # An abort that reached the task after run() ended, while it completes: the
        # task ends where it is (before it set Done, or before it took the registry).
        yield JobAborted(), replace(s, job=replace(job, completed=True, aborted=True))
    if job.done_set:
        yield Drain(None), job_drains(spec, s, job)
        return
    if spec.token_read_early and job.token_read is None and _job_reads_token(spec, s, job):
        yield JobReadsToken(), replace(s, job=replace(job, token_read=s.token))
        return  # it completes only after it has read the token
    yield JobCompletes(), job_completes(spec, s, job)


def _job_reads_token(spec: Spec, s: State, job: JobStatus) -> bool:
    """Whether the job's completion will classify at all (else its token read is
    unobservable, and skipping it keeps the closure small)."""
    assert job.outcome is not None
    if job.outcome.hard_cancelled or (
            job.outcome.panicked and spec.allows(dep.PANIC_LEAVES_RUNNING)):
        return False
    return isinstance(s.phase, Running) or spec.allows(dep.COMPLETE_OVERWRITES_DONE)


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
        case Effect(op_id) | ReadToken(op_id) | WaitReturns(op_id) | Drain(op_id):
            return op_id
    return None  # the job's own steps


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
