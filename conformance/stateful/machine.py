"""The stateful check: a Hypothesis `RuleBasedStateMachine` that drives a subject on
a fresh controllable loop per example and feeds every observation to the oracle.

Rules only start operations (each in its own task, which records the invocation when
it begins and the return when it ends); the `step` rule runs the loop by choices that
Hypothesis draws, so a failure shrinks both the operations and the schedule. After
each rule the invariant is that the oracle has seen nothing impossible; at the end
the loop runs to quiescence and the oracle's `finish()` must hold.

Two levels: `Continuations` driven directly, and a `WorkerJob` around them.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from workerjob.conformance.loop.choosers import HypothesisChooser
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.conformance.render.chart import sequence_chart
from workerjob.conformance.stateful.recorder import Recorder
from workerjob.conformance.stateful.subject import (
    Subject,
    Untranslatable,
    phase,
    raised,
    run_outcome,
    task_error,
)
from workerjob.model import (
    ATOMIC,
    AddOrRunNow,
    Cancel,
    Complete,
    HardCancel,
    IsActive,
    IsComplete,
    Launch,
    Ok,
    Op,
    ReadState,
    Result,
    RunOutcome,
    Spec,
    State,
    Wait,
    initial_continuations,
    initial_job,
)

# Two keys: enough for every distinction the contract makes (same key or not), and a
# later registration under the same key comes up twice as often as with three.
KEYS = ("a", "b")
ADDERS = ("adder-1", "adder-2")
COMPLETERS = ("completer-1", "completer-2")
JOB_WORKER = "job-worker"
# At most this many operations started and not yet returned. The oracle's work grows
# with the operations in flight (each may or may not have taken effect); a broken
# implementation that awaits inside its operations would otherwise pile up dozens.
MAX_IN_FLIGHT = 4


class Abort(BaseException):
    """A BaseException that is neither KeyboardInterrupt nor SystemExit (asyncio
    re-raises those two out of the loop itself)."""


class ContinuationFailed(Exception):
    """What a continuation of the `raise` kind raises."""


# Errors handed to complete() or raised by run(): a message, an empty message (the
# class name is the message then), and a BaseException that is not an Exception.
ERRORS: tuple[Callable[[], BaseException | None], ...] = (
    lambda: None,
    lambda: ValueError("boom"),
    lambda: ValueError(""),
    lambda: RuntimeError("kaput"),
    lambda: Abort("abort"),
)
errors = st.sampled_from(range(len(ERRORS)))
# How run() ends: normally more often than with any one error, since the bugs between
# run()'s return and the job's completion need that path (None: 3 in 5; an error: 2 in 5).
RUN_ENDINGS = st.one_of(st.just(0), errors)
BEHAVIOURS = ("returns", "raises", "blocks", "plain")  # plain: a sync fn through boxed()


BAD_CALLS = ("add key", "add callback", "add worker", "complete error", "complete worker",
             "complete token", "boxed", "job task")


def _boolean(value: Any) -> Result:
    if not isinstance(value, bool):
        raise Untranslatable(f"{value!r}, not a bool")
    return Ok(value)


def _call_by_hand(call: Callable[[], Any]) -> TypeError | str:
    """Call, and run what it returns up to its first suspension, by hand: the TypeError
    raised by then (before anything could change), or what happened instead."""
    try:
        value = call()
        if inspect.iscoroutine(value):
            try:
                value.send(None)
            finally:
                value.close()
            return "it suspended before raising"
    except TypeError as exc:
        return exc
    except StopIteration:
        return "it returned"
    except KeyboardInterrupt:  # Ctrl-C, or the watchdog's ExampleHung: not the subject's answer
        raise
    except BaseException as exc:  # the subject's own failure, reported as such
        return f"it raised {type(exc).__name__}"
    return "it returned"


@dataclass
class Stats:
    """What a campaign did, across examples (read by `workerjob verify`)."""

    runs: int = 0  # every run of a machine: examples, discarded attempts, shrinking
    examples: int = 0  # the valid examples, as Hypothesis counts them (campaign.py)
    steps: int = 0
    schedules: set[int] = field(default_factory=set)
    tick: Callable[[], None] = lambda: None  # called after each run (progress bars)

    def add(self, loop: ControlledLoop) -> None:
        self.runs += 1
        schedule = loop.schedule
        self.steps += len(schedule)
        self.schedules.add(hash(tuple((s.index, s.label) for s in schedule)))
        self.tick()


class _GatedTask:
    """The job's WorkerTask: run() waits until a rule says how it ends, and tells the
    recorder how it ended just before it leaves (cancelled included)."""

    def __init__(self, machine: JobMachine) -> None:
        self.machine = machine
        self.outcome: asyncio.Future[BaseException | None] = machine.loop.create_future()

    async def run(self) -> None:
        rec = self.machine.rec
        try:
            error = await self.outcome
        except asyncio.CancelledError as exc:  # a hard cancel of the job's task
            rec.run_ended(RunOutcome(task_error(exc), hard_cancelled=True))
            raise
        rec.run_ended(run_outcome(error))
        if self.machine.hard_cancel_after_run:
            # Aimed at the one step between run()'s return and the job's completion: the
            # op's task is created now, so it runs before the job's task takes its next
            # step (FIFO), unless the drawn schedule says otherwise.
            self.machine.start_hard_cancel(None)
        if error is not None:
            raise error


class SubjectMachine(RuleBasedStateMachine):
    """Rules shared by both levels. Subclasses set `subject` (and `level`)."""

    subject: ClassVar[Subject]
    spec: ClassVar[Spec] = ATOMIC
    max_draws: ClassVar[int] = 200  # schedule draws per example, then FIFO
    stats: ClassVar[Stats | None] = None

    @classmethod
    def supports(cls, subject: Subject) -> bool:
        """Whether `subject` exports what this level drives (else the level is skipped)."""
        return True

    def __init__(self) -> None:
        super().__init__()
        self.loop = ControlledLoop()
        self.loop.set_exception_handler(self._loop_exception)
        self.rec = Recorder(self.initial_state(), self.spec)
        self.workers = {n: self.subject.Worker(n) for n in (*ADDERS, *COMPLETERS, JOB_WORKER)}
        self.token: Any = self.subject.CancellationToken()
        self.gate: asyncio.Future[None] = self.loop.create_future()
        self.draws_left = self.max_draws
        self.raised: set[str] = set()  # messages of continuations that raised
        self.reported: set[str] = set()  # ... and those that reached the handler
        self.in_flight: set[asyncio.Task[None]] = set()  # operation tasks not finished
        self.cancel_called = False  # a cancel() of the token has been called
        self.cancel_returned = False  # ... and has returned
        self.token_waiters: list[asyncio.Task[None]] = []  # `await token.cancelled()`
        self.handed_over: dict[int, weakref.ref[Any]] = {}  # continuation id -> callback
        self.setup()

    # --- what the levels provide ----------------------------------------------------

    def initial_state(self) -> State:
        raise NotImplementedError

    def setup(self) -> None:
        raise NotImplementedError

    @property
    def continuations(self) -> Any:
        raise NotImplementedError

    # --- running operations -----------------------------------------------------------

    def start_op(
        self,
        op_id: int,
        op: Op,
        call: Callable[[], Any],
        translate: Callable[[Any], Result] = lambda _: Ok(),
        *,
        then_read_state: bool = False,
    ) -> None:
        """Start `op` in its own task: invocation recorded when the task begins, the
        return (or the exception) when it ends. Nothing here awaits but the call.

        `then_read_state`: the same task reads the state right after the return, with
        no step in between. A cancel followed at once by a state read that still sees
        Running pins complete's effect after the cancel: the one way a token read too
        early (before complete's effect) becomes observable."""

        async def run_op() -> None:
            await self.perform(op_id, op, call, translate)
            if then_read_state:
                await self.perform(self.rec.new_id(), *self.state_read())

        task = self.loop.create_task(run_op(), name=f"#{op_id} {op}")
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def perform(self, op_id: int, op: Op, call: Callable[[], Any],
                      translate: Callable[[Any], Result]) -> None:
        self.rec.invoke(op_id, op)
        try:
            value = call()
            if inspect.isawaitable(value):
                value = await value
        except KeyboardInterrupt:
            raise  # Ctrl-C or the watchdog (stateful/watchdog.py): never an op's outcome
        except BaseException as exc:  # the op's own outcome, CancelledError included
            if self.rec.closed:
                raise
            self.rec.returned(op_id, raised(exc))
            return
        try:
            result = translate(value)
        except Untranslatable as exc:
            self.rec.untranslatable(f"#{op_id} {op} returned {exc}")
            return
        self.rec.returned(op_id, result)

    def state_read(self) -> tuple[Op, Callable[[], Any], Callable[[Any], Result]]:
        """A read of the `state` property, as `start_op` and `perform` take it."""
        conts = self.continuations

        def translate(value: Any) -> Result:
            kind = getattr(value, "completion_type", None)
            if kind is not None and not isinstance(kind, self.subject.CompletionType):
                self.rec.breaks(f"state returned {value!r}, whose completion type is not a "
                                "member of the CompletionType enum")
            return Ok(phase(value))

        return ReadState(), lambda: conts.state, translate

    def cancelling(self, cancel: Callable[[], Any]) -> Any:
        self.cancel_called = True
        result = cancel()
        self.cancel_returned = True
        return result

    def room(self) -> bool:
        return len(self.in_flight) < MAX_IN_FLIGHT

    def continuation(self, cont: int, behaviour: str) -> Any:
        rec = self

        async def body(worker: Any, completion_type: Any, error_message: Any) -> None:
            rec.check_arguments(cont, worker, completion_type)
            rec.rec.started(cont, worker, completion_type, error_message)
            if behaviour == "raises":
                rec.raised.add(f"c{cont}")
                raise ContinuationFailed(f"c{cont}")
            if behaviour == "blocks":
                await asyncio.shield(rec.gate)  # shield: many continuations share it

        if behaviour != "plain":
            self.handed_over[cont] = weakref.ref(body)
            return body

        def plain(worker: Any, completion_type: Any, error_message: Any) -> None:
            rec.check_arguments(cont, worker, completion_type)
            rec.rec.started(cont, worker, completion_type, error_message)

        boxed = self.subject.Continuations.boxed(plain)
        self.handed_over[cont] = weakref.ref(boxed)
        return boxed

    def check_arguments(self, cont: int, worker: Any, completion_type: Any) -> None:
        """SPEC hands over "the" worker given to the operation (the object, not one equal
        to it) and a member of its `CompletionType` (not its string value)."""
        name = getattr(worker, "name", None)
        if isinstance(name, str) and name in self.workers and worker is not self.workers[name]:
            self.rec.breaks(f"c{cont} received a worker named {name!r} that is not the "
                            "object handed over (workers are compared by identity)")
        if not isinstance(completion_type, self.subject.CompletionType):
            self.rec.breaks(f"c{cont} received completion type {completion_type!r}, not a "
                            "member of the CompletionType enum")

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, ContinuationFailed):
            self.reported.add(str(exc))
        elif not self.rec.closed:
            self.rec.untranslatable(f"the loop's exception handler got {context!r}")

    # --- rules ------------------------------------------------------------------------

    @precondition(lambda self: self.room())
    @rule(key=st.sampled_from(KEYS), adder=st.sampled_from(ADDERS),
          behaviour=st.sampled_from(BEHAVIOURS))
    def add_or_run_now(self, key: str, adder: str, behaviour: str) -> None:
        op_id = self.rec.new_id()  # the continuation's id is its add's op id
        callback = self.continuation(op_id, behaviour)
        conts, worker = self.continuations, self.workers[adder]
        self.start_op(op_id, AddOrRunNow(key, op_id, adder),
                      lambda: conts.add_or_run_now(key, callback, worker))

    @precondition(lambda self: self.room())
    @rule(error=errors, completer=st.sampled_from(COMPLETERS))
    def complete(self, error: int, completer: str) -> None:
        exc, conts, worker = ERRORS[error](), self.continuations, self.workers[completer]
        op_id = self.rec.new_id()
        self.start_op(op_id, Complete(task_error(exc), completer),
                      lambda: conts.complete(exc, worker, self.token))

    @precondition(lambda self: self.room())
    @rule()
    def read_state(self) -> None:
        self.start_op(self.rec.new_id(), *self.state_read())

    @rule(data=st.data(), steps=st.integers(1, 6))
    def step(self, data: st.DataObject, steps: int) -> None:
        """Run the loop a few steps, each choice drawn: the interleaving."""
        chooser = HypothesisChooser(data, max_draws=self.draws_left)
        self.loop.chooser = chooser
        try:
            for _ in range(steps):
                if not self.loop.step():
                    break
        finally:
            self.loop.chooser = None
            self.draws_left -= chooser.draws

    @rule(which=st.sampled_from(BAD_CALLS))
    def bad_input(self, which: str) -> None:
        """A call with one argument of a wrong type, in the middle of the history: SPEC
        wants a TypeError naming the argument, raised before any state changes (what
        changes would show later: the callback handed over here must never start)."""
        argument, call = self.bad_call(which)
        outcome = _call_by_hand(call)
        if not isinstance(outcome, TypeError):
            self.rec.breaks(f"{which}: {outcome}, not a TypeError naming `{argument}`")
        elif re.search(rf"\b{re.escape(argument)}\b", str(outcome)) is None:
            self.rec.breaks(f"{which}: TypeError({str(outcome)!r}) does not name `{argument}`")

    def bad_call(self, which: str) -> tuple[str, Callable[[], Any]]:
        conts, worker, token = self.continuations, self.workers[ADDERS[0]], self.token
        callback = self.continuation(self.rec.new_id(), "returns")
        calls: dict[str, tuple[str, Callable[[], Any]]] = {
            "add key": ("key", lambda: conts.add_or_run_now(7, callback, worker)),
            "add callback": ("callback", lambda: conts.add_or_run_now("a", 7, worker)),
            "add worker": ("worker", lambda: conts.add_or_run_now("a", callback, "w")),
            "complete error": ("error", lambda: conts.complete("boom", worker, token)),
            "complete worker": ("worker", lambda: conts.complete(None, None, token)),
            "complete token": ("cancellation_token", lambda: conts.complete(None, worker, 7)),
            "boxed": ("f", lambda: self.subject.Continuations.boxed(7)),
            "job task": ("worker_task", lambda: self.subject.WorkerJob(worker, 7, token)),
        }
        return calls[which]

    @rule()
    def await_cancelled(self) -> None:
        """`await token.cancelled()` in a task of its own: it must return once the token
        is cancelled, and not before."""
        token = self.token

        async def waiter() -> None:
            await token.cancelled()
            if not self.cancel_called:
                self.rec.breaks("`await token.cancelled()` returned before any cancel()")

        if len(self.token_waiters) < 2:
            self.token_waiters.append(self.loop.create_task(waiter(), name="token waiter"))

    @rule()
    def open_gate(self) -> None:
        """Let the continuations that block go on."""
        if not self.gate.done():
            self.gate.set_result(None)

    @invariant()
    def conforms(self) -> None:
        report = self.rec.report()
        if report is not None:
            raise AssertionError(self.failure(report))

    # --- the end of an example ------------------------------------------------------

    def teardown(self) -> None:
        try:
            if self.rec.report() is None:
                self.quiesce()
        finally:
            self.rec.closed = True
            if self.stats is not None:
                self.stats.add(self.loop)
            self.loop.shutdown()

    def quiesce(self) -> None:
        """Run to quiescence (FIFO from here) and check the end of the run. The gate
        stays shut until then: a continuation that blocks has started all the same,
        and an operation that waits for one (it must not) never returns."""
        self.loop.run_until_idle()
        # A last state read, once everything has settled: the outcome is observed even
        # when no continuation and no rule looked at it (a job that never completes).
        self.read_state()
        self.loop.run_until_idle()
        # A finished task that nothing holds reports what it raised when it is freed
        # ("Task exception was never retrieved"), at a time that is the garbage
        # collector's. The kit holds no task of the subject's (the loop's task numbers
        # are weak, `in_flight` drops each task as it finishes), so after a collection
        # every such report has been made: judge only then. The young generations
        # first: a full collection walks Hypothesis' whole heap, and on a subject that
        # leaves such tasks it would run after every example.
        for generation in range(3):
            if not self.raised - self.reported:
                break
            gc.collect(generation)
        violation = self.rec.finish()
        report = None if violation is None else violation.explain()
        lost = sorted(self.raised - self.reported)
        if report is None and lost:
            report = f"continuations {lost} raised, but the loop's exception handler never heard"
        if report is None:
            report = self.rec.report()
        if report is None and self.cancel_returned:
            asleep = [t for t in self.token_waiters if not t.done()]
            if asleep:
                report = ("the implementation breaks SPEC: the token was cancelled, but "
                          f"{len(asleep)} `await token.cancelled()` never returned")
        if report is not None:
            raise AssertionError(self.failure(report))
        self.open_gate()  # let the blocked continuations finish before shutdown
        self.loop.run_until_idle()
        self.check_nothing_kept()

    def alive(self, conts: Iterable[int]) -> list[int]:
        return sorted(c for c in conts if (ref := self.handed_over.get(c)) and ref() is not None)

    def check_nothing_kept(self) -> None:
        """No leak: a continuation that has run (or was replaced) is no longer reachable
        from the implementation once the run is over (SPEC: nothing keeps a finished
        continuation alive). The harness keeps only weak references to them."""
        finished = self.rec.finished_continuations()
        if not finished:
            return
        kept = self.alive(finished)
        if kept:  # most are freed at once; a collection only for what cycles may hold
            gc.collect()
            kept = self.alive(kept)
        if kept:
            raise AssertionError(self.failure(
                "the implementation breaks SPEC: continuations "
                f"{', '.join(f'c{c}' for c in kept)} have finished (or were replaced) but are "
                "still reachable after a garbage collection (a leak)"))

    def failure(self, report: str) -> str:
        tail = "\n".join(f"  {i:3d}  {o}" for i, o in enumerate(self.rec.history))
        return (
            f"{self.subject.name} does not conform:\n{report}\n\n"
            f"observations:\n{tail}\n\nschedule (one column per task):\n"
            f"{sequence_chart(self.loop.schedule, limit=80)}"
        )


class ContinuationsMachine(SubjectMachine):
    """`Continuations` driven on its own, with a token of the test's."""

    def initial_state(self) -> State:
        return initial_continuations()

    def setup(self) -> None:
        self.conts: Any = self.subject.Continuations()

    @property
    def continuations(self) -> Any:
        return self.conts

    @precondition(lambda self: self.room())
    @rule()
    def cancel(self) -> None:
        token = self.token
        self.start_op(self.rec.new_id(), Cancel(), lambda: self.cancelling(token.cancel),
                      then_read_state=True)


class JobMachine(SubjectMachine):
    """A `WorkerJob` whose run() ends when a rule says so, around its continuations."""

    def initial_state(self) -> State:
        return initial_job(JOB_WORKER)

    def setup(self) -> None:
        self.task = _GatedTask(self)
        self.job: Any = self.subject.WorkerJob(self.workers[JOB_WORKER], self.task, self.token)
        self.launches = self.waits = self.hard_cancels = 0
        self.hard_cancel_after_run = False
        self.run_ends_last: tuple[int, bool] | None = None
        self.wait_last = False

    @property
    def continuations(self) -> Any:
        return self.job.worker_job_continuations

    @initialize(launch=st.booleans(),
                run_ends_last=st.one_of(st.none(), st.tuples(RUN_ENDINGS, st.booleans())),
                wait_last=st.booleans())
    def begin(self, launch: bool, run_ends_last: tuple[int, bool] | None,
              wait_last: bool) -> None:
        """Most of what only a job can get wrong needs a launched job whose run() ends
        (its outcome, a hard cancel at its end, wait), and examples are often short. So
        half the examples launch before anything else, and `run_ends_last` (unless
        None: a run that never ends) is how run() ends after the last rule, if no
        `finish_run` said so before: `finish_run(*run_ends_last)` as the end begins.
        `wait_last`: then a `wait()`, if the job was launched and no rule waited."""
        self.run_ends_last, self.wait_last = run_ends_last, wait_last
        if launch:
            self.launch()

    def quiesce(self) -> None:
        if self.run_ends_last is not None:
            self.loop.run_until_idle()  # what the rules started settles first
            # Checked after settling: a hard cancel that settled just now has cancelled
            # the outcome run() was waiting on (done, and not to be set).
            if not self.task.outcome.done():
                self.finish_run(*self.run_ends_last)
        if self.wait_last and self.launches and not self.waits:
            self.wait()
        super().quiesce()

    @precondition(lambda self: self.room() and self.launches < 2)
    @rule()
    def launch(self) -> None:
        self.launches += 1
        job = self.job
        self.start_op(self.rec.new_id(), Launch(), lambda: job.launch())

    @precondition(lambda self: not self.task.outcome.done())
    @rule(error=RUN_ENDINGS, then_hard_cancel=st.booleans())
    def finish_run(self, error: int, then_hard_cancel: bool) -> None:
        """run() returns (or raises) at its next step. `then_hard_cancel`: a hard cancel
        starts as run() leaves, aimed at the one step between run()'s end and the job's
        completion (a completion that yields there can be cut short). Not counted
        against `hard_cancel`'s limit: both are worth having in one example."""
        self.hard_cancel_after_run = then_hard_cancel
        self.task.outcome.set_result(ERRORS[error]())

    @precondition(lambda self: self.room() and self.launches > 0 and self.hard_cancels < 1)
    @rule(msg=st.sampled_from([None, "stop"]))
    def hard_cancel(self, msg: str | None) -> None:
        self.hard_cancels += 1
        self.start_hard_cancel(msg)

    def start_hard_cancel(self, msg: str | None) -> None:
        job = self.job
        self.start_op(self.rec.new_id(), HardCancel(msg), lambda: job.task_handle.cancel(msg))

    @precondition(lambda self: self.room() and self.waits < 2)
    @rule()
    def wait(self) -> None:
        self.waits += 1
        job = self.job
        self.start_op(self.rec.new_id(), Wait(), lambda: job.wait())

    @precondition(lambda self: self.room())
    @rule(which=st.sampled_from(["is_active", "is_complete"]))
    def read_status(self, which: str) -> None:
        """`job.is_active()` / `job.is_complete()`, judged at the instant they read."""
        job = self.job
        op = IsActive() if which == "is_active" else IsComplete()
        self.start_op(self.rec.new_id(), op, lambda: getattr(job, which)(), _boolean)

    @precondition(lambda self: self.room())
    @rule()
    def cancel(self) -> None:
        job = self.job
        self.start_op(self.rec.new_id(), Cancel(), lambda: self.cancelling(job.cancel),
                      then_read_state=True)


# The enhancements' levels live beside this module and import its Stats and JobMachine:
# imported here, after those, to register them (the order of LEVELS is the order of the
# campaign's rounds and of its report).
from .scheduler import SchedulerMachine  # noqa: E402
from .timeouts import TimeoutsMachine  # noqa: E402

LEVELS: dict[str, type[Any]] = {
    "continuations": ContinuationsMachine, "job": JobMachine, "scheduler": SchedulerMachine,
    "timeouts": TimeoutsMachine}

from . import progress as _progress  # noqa: E402, F401  (registers the progress level)


def levels_for(subject: Subject) -> tuple[str, ...]:
    """The levels `subject` can be checked at: an enhancement's level needs its names
    (ENHANCEMENTS.md), which an implementation of SPEC.md alone need not export."""
    return tuple(name for name, machine in LEVELS.items() if machine.supports(subject))


def machine_for(subject: Subject, level: str, *, spec: Spec = ATOMIC, stats: Stats | None = None,
                max_draws: int = 200) -> type[Any]:
    """A machine class bound to `subject` (a fresh subclass: the rules are shared)."""
    base = LEVELS[level]
    attrs = {"subject": subject, "spec": spec, "stats": stats, "max_draws": max_draws,
             "__module__": BOUND_MODULE}
    return type(f"{base.__name__}[{subject.name}]", (base,), attrs)


# The module a bound class says it comes from: none (no such module is imported).
# Hypothesis keys a state machine's examples in the database by the class's source,
# else by its name; a class made at run time has no source, and under this module's
# name `inspect.getsource` parsed this whole file, on every round of every level, to
# find it missing (about 20 ms a round: a tenth of a quick kill). Under a module that
# is not imported it is missing at once, and the key is the class's name as before.
BOUND_MODULE = f"{__name__}.bound"


# The enhancements' levels build on this module's pieces, so they are imported last.
from .timeouts import TimeoutsMachine  # noqa: E402

LEVELS["timeouts"] = TimeoutsMachine
