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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from workerjob.model import (
    ATOMIC,
    AddOrRunNow,
    Cancel,
    Complete,
    HardCancel,
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

from .chart import sequence_chart
from .choosers import HypothesisChooser
from .loop import ControlledLoop
from .recorder import Recorder
from .subject import Subject, Untranslatable, phase, raised, task_error

KEYS = ("a", "b", "c")
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
BEHAVIOURS = ("returns", "raises", "blocks", "plain")  # plain: a sync fn through boxed()


@dataclass
class Stats:
    """What a campaign did, across examples (read by `workerjob verify`)."""

    examples: int = 0
    steps: int = 0
    schedules: set[int] = field(default_factory=set)
    tick: Callable[[], None] = lambda: None  # called after each example (progress bars)

    def add(self, loop: ControlledLoop) -> None:
        self.examples += 1
        schedule = loop.schedule
        self.steps += len(schedule)
        self.schedules.add(hash(tuple((s.index, s.label) for s in schedule)))
        self.tick()


class _GatedTask:
    """The job's WorkerTask: run() waits until a rule says how it ends, and tells the
    recorder how it ended just before it leaves (cancelled included)."""

    def __init__(self, machine: SubjectMachine) -> None:
        self.machine = machine
        self.outcome: asyncio.Future[BaseException | None] = machine.loop.create_future()

    async def run(self) -> None:
        rec = self.machine.rec
        try:
            error = await self.outcome
        except asyncio.CancelledError as exc:  # a hard cancel of the job's task
            rec.run_ended(RunOutcome(task_error(exc), hard_cancelled=True))
            raise
        rec.run_ended(RunOutcome(task_error(error)))
        if error is not None:
            raise error


class SubjectMachine(RuleBasedStateMachine):
    """Rules shared by both levels. Subclasses set `subject` (and `level`)."""

    subject: ClassVar[Subject]
    spec: ClassVar[Spec] = ATOMIC
    max_draws: ClassVar[int] = 200  # schedule draws per example, then FIFO
    stats: ClassVar[Stats | None] = None

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
        return ReadState(), lambda: conts.state, lambda value: Ok(phase(value))

    def room(self) -> bool:
        return len(self.in_flight) < MAX_IN_FLIGHT

    def continuation(self, cont: int, behaviour: str) -> Any:
        rec = self

        async def body(worker: Any, completion_type: Any, error_message: Any) -> None:
            rec.rec.started(cont, worker, completion_type, error_message)
            if behaviour == "raises":
                rec.raised.add(f"c{cont}")
                raise ContinuationFailed(f"c{cont}")
            if behaviour == "blocks":
                await asyncio.shield(rec.gate)  # shield: many continuations share it

        if behaviour != "plain":
            return body

        def plain(worker: Any, completion_type: Any, error_message: Any) -> None:
            rec.rec.started(cont, worker, completion_type, error_message)

        return self.subject.Continuations.boxed(plain)

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
        if self.raised - self.reported:
            gc.collect()  # a continuation task that is only garbage reports on collection
        violation = self.rec.finish()
        report = None if violation is None else violation.explain()
        lost = sorted(self.raised - self.reported)
        if report is None and lost:
            report = f"continuations {lost} raised, but the loop's exception handler never heard"
        if report is not None:
            raise AssertionError(self.failure(report))
        self.open_gate()  # let the blocked continuations finish before shutdown
        self.loop.run_until_idle()

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
        self.start_op(self.rec.new_id(), Cancel(), lambda: token.cancel(), then_read_state=True)


class JobMachine(SubjectMachine):
    """A `WorkerJob` whose run() ends when a rule says so, around its continuations."""

    def initial_state(self) -> State:
        return initial_job(JOB_WORKER)

    def setup(self) -> None:
        self.task = _GatedTask(self)
        self.job: Any = self.subject.WorkerJob(self.workers[JOB_WORKER], self.task, self.token)
        self.launches = self.waits = self.hard_cancels = 0

    @property
    def continuations(self) -> Any:
        return self.job.worker_job_continuations

    @precondition(lambda self: self.room() and self.launches < 2)
    @rule()
    def launch(self) -> None:
        self.launches += 1
        job = self.job
        self.start_op(self.rec.new_id(), Launch(), lambda: job.launch())

    @precondition(lambda self: not self.task.outcome.done())
    @rule(error=errors)
    def finish_run(self, error: int) -> None:
        """run() returns (or raises) at its next step."""
        self.task.outcome.set_result(ERRORS[error]())

    @precondition(lambda self: self.room() and self.launches > 0 and self.hard_cancels < 1)
    @rule(msg=st.sampled_from([None, "stop"]))
    def hard_cancel(self, msg: str | None) -> None:
        self.hard_cancels += 1
        job = self.job
        self.start_op(self.rec.new_id(), HardCancel(msg), lambda: job.task_handle.cancel(msg))

    @precondition(lambda self: self.room() and self.waits < 2)
    @rule()
    def wait(self) -> None:
        self.waits += 1
        job = self.job
        self.start_op(self.rec.new_id(), Wait(), lambda: job.wait())

    @precondition(lambda self: self.room())
    @rule()
    def cancel(self) -> None:
        job = self.job
        self.start_op(self.rec.new_id(), Cancel(), lambda: job.cancel(), then_read_state=True)


LEVELS: dict[str, type[SubjectMachine]] = {"continuations": ContinuationsMachine,
                                          "job": JobMachine}


def machine_for(subject: Subject, level: str, *, spec: Spec = ATOMIC,
                stats: Stats | None = None, max_draws: int = 200) -> type[SubjectMachine]:
    """A machine class bound to `subject` (a fresh subclass: the rules are shared)."""
    base = LEVELS[level]
    attrs = {"subject": subject, "spec": spec, "stats": stats, "max_draws": max_draws}
    return type(f"{base.__name__}[{subject.name}]", (base,), attrs)
