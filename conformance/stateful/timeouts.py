"""The `timeouts` level: a `WorkerJob` with a deadline, a grace period and a retry
policy, driven on the controllable loop and checked online against
`workerjob.model.timeouts`, with every instant checked against the loop's clock.

Each example draws the job's options (a timeout or none, a grace period or none, a
retry policy with the default formula or a callable of the kit's, or none) and a
script of attempts (how long each runs, whether it stops when the token is cancelled,
how it ends), and registers two continuations before launch. Rules launch the job,
cancel its token, hard-cancel its task, wait for it, read `attempts`, `timed_out` and
the state, let virtual time pass (to an instant drawn around the deadline, half a clock
resolution before it included, where asyncio runs a timer early) and step the loop by
choices Hypothesis draws, as the `job` level does.

Seen by the model: the job's own `cancel()` of its token (the kit hands the job a token
that records every `cancel()`: one no rule made is the deadline's), each attempt's
start and end (reported from inside `run()`), the continuations' starts, the reads and
`wait()`'s results. Checked against the clock, to the exact instant: the deadline
(launch + timeout), the grace period's cancel (deadline + grace) and each retry (the
end of the attempt before + the policy's delay). Checked when the job's task is done
(its done-callbacks have run): nothing of the job is left scheduled on the loop.

A subject without these options (no `RetryPolicy`, or a `WorkerJob` without
`timeout=`) is not checked here: `supports()` says so and the campaign skips the level.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from workerjob.conformance.loop.choosers import HypothesisChooser
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.conformance.render.chart import sequence_chart
from workerjob.conformance.stateful.subject import (
    Subject,
    Untranslatable,
    completion_type,
    phase,
    raised,
    task_error,
)
from workerjob.model import ATOMIC, Ok, Result, RunOutcome, Spec
from workerjob.model.timeouts import (
    AttemptEnded,
    AttemptStarted,
    Cancelled,
    DeadlineCancel,
    HardCancelled,
    Launched,
    Observation,
    Options,
    Read,
    Start,
    TimeoutsOracle,
    WaitCalled,
    WaitReturned,
    backoff_delay,
    initial,
)

if TYPE_CHECKING:  # machine.py registers this level, so it is not imported at run time
    from workerjob.conformance.stateful.machine import Stats

JOB_WORKER = "job-worker"
CONTS = frozenset({1, 2})


class ContinuationFailed(Exception):
    """What the continuation that raises raises."""


class FlakyError(ValueError):
    """What a flaky attempt raises: the kit's policies retry on ValueError."""


ENDINGS: dict[str, Callable[[], BaseException | None]] = {
    "returns": lambda: None,
    "flaky": lambda: FlakyError("flaky"),
    "flaky, no message": lambda: FlakyError(""),
    "fatal": lambda: RuntimeError("fatal"),
}


@dataclass(frozen=True)
class Attempt:
    """One attempt of the script: `duration` names how long run() takes."""

    duration: str
    ending: str
    cooperative: bool  # stops as soon as the token is cancelled


# Weighted towards the deadline's instant, where the race between the deadline and
# run() ending is decided (see the marker in `launch`).
DURATIONS = ("short", "at the deadline", "none", "just before the deadline", "long",
             "at the deadline")


@dataclass(frozen=True)
class Policy:
    """A retry policy as the kit draws it; `linear`: a `backoff` callable of the kit's."""

    max_attempts: int
    initial: float
    factor: float
    max_delay: float
    linear: bool

    def delay(self, n: int) -> float:
        """The delay after `n` attempts, by the contract's formula (the model's)."""
        if self.linear:
            return linear_backoff(n)
        return backoff_delay(self.initial, self.factor, self.max_delay, n)


def linear_backoff(n: int) -> float:
    return 0.125 * (n + 1)


# A factor of 1 (a constant backoff) is drawn less often: it cannot tell delay(n) from
# delay(n + 1), which the clock check needs to see a backoff off by one attempt.
policies = st.builds(Policy, st.sampled_from([2, 3, 1]), st.sampled_from([0.25, 0.5]),
                     st.sampled_from([2.0, 3.0, 2.0, 1.0]), st.sampled_from([0.75, 10.0]),
                     st.booleans())
# Weighted: an attempt that fails with a retryable error is what makes a retry (and every
# rule about retries) happen; one that returns or fails for good ends the job.
attempts = st.builds(Attempt, st.sampled_from(DURATIONS),
                     st.sampled_from(["returns", "flaky", "fatal", "flaky", "flaky, no message"]),
                     st.booleans())


def supports(subject: Subject) -> bool:
    """Whether `subject` has the options of ENHANCEMENTS.md's Timeouts and Retries."""
    module = subject.module
    if not hasattr(module, "RetryPolicy"):
        return False
    try:
        params = inspect.signature(module.WorkerJob).parameters
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True  # a wrapper's **kwargs: the options are passed on
    return all(name in params for name in ("timeout", "grace", "retry"))


class _Token:
    """The subject's own token, with every `cancel()` recorded: by a rule (`Cancelled`)
    or by the job itself (`DeadlineCancel`)."""

    def __init__(self, machine: TimeoutsMachine, real: Any) -> None:
        self.machine = machine
        self.real = real

    def cancel(self) -> None:
        self.machine.token_cancelled()
        self.real.cancel()

    def is_cancelled(self) -> bool:
        return bool(self.real.is_cancelled())

    async def cancelled(self) -> None:
        await self.real.cancelled()


class _ScriptedTask:
    """The job's WorkerTask: attempt n follows the script's n-th entry (the last one
    for every later attempt), and reports its start and end to the machine."""

    def __init__(self, machine: TimeoutsMachine) -> None:
        self.machine = machine

    async def run(self) -> None:
        m = self.machine
        attempt = m.attempt_started()
        try:
            if attempt.duration == "at the deadline" and m.at_deadline is not None \
                    and not m.at_deadline.done():
                # Woken by the kit's marker timer, due at the deadline's instant and
                # scheduled before the deadline's own: run() ending and the deadline are
                # then both ready at that instant, and the schedule decides the race.
                await m.at_deadline
            else:
                await m.sleep(m.duration(attempt.duration), attempt.cooperative)
        except asyncio.CancelledError as exc:
            m.attempt_ended(RunOutcome(task_error(exc), hard_cancelled=True), exc)
            raise
        error = ENDINGS[attempt.ending]()
        m.attempt_ended(RunOutcome(task_error(error)), error)
        if error is not None:
            raise error


class TimeoutsMachine(RuleBasedStateMachine):
    subject: ClassVar[Subject]
    spec: ClassVar[Spec] = ATOMIC  # unused: the timeouts model has one spec
    max_draws: ClassVar[int] = 200
    stats: ClassVar[Stats | None] = None
    supports = staticmethod(supports)

    def __init__(self) -> None:
        super().__init__()
        self.loop = ControlledLoop()
        self.loop.set_exception_handler(self._loop_exception)
        self.supported = supports(self.subject)
        self.oracle: TimeoutsOracle | None = None
        self.history: list[tuple[float, Observation]] = []
        self.problem: str | None = None  # a clock or timer check failed, or untranslatable
        self.closed = False
        self.draws_left = self.max_draws
        self.in_flight: set[asyncio.Task[None]] = set()
        self.own_timers: set[asyncio.TimerHandle] = set()
        self.raised: set[str] = set()
        self.reported: set[str] = set()
        self.by_rule = False  # a rule is cancelling the token
        self.launch_time: float | None = None
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.interrupts: list[float] = []  # instants of cancels (any) and hard cancels
        self.hard_cancels = self.waits = self.ids = 0
        self.job: Any = None
        self.at_deadline: asyncio.Future[None] | None = None  # set at the deadline's instant

    # --- the example's job ------------------------------------------------------------

    @initialize(timeout=st.sampled_from([None, 1.0, 2.5]),
                grace=st.sampled_from([None, 0.5, 0.0, 0.5]),
                policy=st.one_of(policies, policies, st.none()),
                script=st.lists(attempts, min_size=1, max_size=3),
                launch=st.booleans(),
                patience=st.sampled_from([None, 0, None, 10, 40]),
                race=st.sampled_from(["", "", "at", "before"]),
                interrupt=st.sampled_from([None, None, ("cancel", 1), ("cancel", 2),
                                           ("hard_cancel", 1), ("backoff", 1),
                                           ("retry", 1)]))
    def configure(self, timeout: float | None, grace: float | None, policy: Policy | None,
                  script: list[Attempt], launch: bool, patience: int | None, race: str,
                  interrupt: tuple[str, int] | None) -> None:
        """The job, its options and its attempts; `launch`: launched at once (else by
        the `launch` rule, so that a cancel may come first); `patience`: loop steps
        before a rule may cancel (None: never), so that retries and deadlines get to
        happen in many examples rather than being cut short in most; `race`: the first
        attempt ends at the deadline's instant ("at"), or half a clock resolution before
        it ("before": asyncio then runs the deadline's timer early, and a deadline that
        does not look at the clock again was met by chance in one example of about
        forty otherwise); `interrupt`: a cancel (or hard cancel)
        started when attempt n ends, so that it lands in the backoff after it;
        ("backoff", 1) aims it there: attempt 1 is made short (before any deadline) and
        retryable, and the policy (one of two attempts if none was drawn) allows another,
        with a factor that tells one backoff from the next, so a backoff follows and the
        cancel lands in it (a backoff that does not watch the token is seen only there,
        and met by chance in one example of about sixty otherwise); ("retry", 1) is the
        same without the cancel, so attempt 2 starts after that backoff (a backoff off by
        one attempt survived 200 examples on one seed of six otherwise)."""
        self.patience = patience
        if interrupt is not None and interrupt[0] in ("backoff", "retry"):
            script = [Attempt("short", "flaky", script[0].cooperative), *script[1:]]
            policy = (Policy(2, 0.25, 2.0, 10.0, False) if policy is None
                      else replace(policy, max_attempts=max(2, policy.max_attempts),
                                   factor=2.0 if policy.factor == 1.0 else policy.factor))
            interrupt = ("cancel", interrupt[1]) if interrupt[0] == "backoff" else None
        self.interrupt = interrupt
        if race and timeout is not None:
            duration = "at the deadline" if race == "at" else "just before the deadline"
            script = [Attempt(duration, script[0].ending, script[0].cooperative),
                      *script[1:]]
        if not self.supported:
            return
        self.timeout = timeout
        self.grace = grace if timeout is not None else None
        self.policy = policy
        self.script = script
        subject = self.subject
        self.token = _Token(self, subject.CancellationToken())
        retry = None
        if policy is not None:
            backoff = linear_backoff if policy.linear else None
            retry = subject.module.RetryPolicy(
                max_attempts=policy.max_attempts, initial=policy.initial,
                factor=policy.factor, max_delay=policy.max_delay, backoff=backoff,
                retry_on=(ValueError,))
        worker = subject.Worker(JOB_WORKER)
        self.job = subject.WorkerJob(worker, _ScriptedTask(self), self.token,
                                     timeout=timeout, grace=self.grace, retry=retry)
        conts = self.job.worker_job_continuations
        for cont in sorted(CONTS):
            self.loop.run_until_complete(
                conts.add_or_run_now(f"k{cont}", self.continuation(cont), worker))
        options = Options(timeout, self.grace, 1 if policy is None else policy.max_attempts)
        self.oracle = TimeoutsOracle(initial(options, CONTS))
        if launch:
            self.launch()

    def continuation(self, cont: int) -> Any:
        machine = self

        async def body(worker: Any, kind: Any, message: Any) -> None:
            try:
                translated = completion_type(kind)
            except Untranslatable as exc:
                machine.untranslatable(f"c{cont} received {exc}")
                return
            machine.record(Start(cont, translated, message))
            if cont == 2:  # one continuation raises: it must disturb nothing
                machine.raised.add(f"c{cont}")
                raise ContinuationFailed(f"c{cont}")

        return body

    def duration(self, name: str) -> float:
        timeout = self.timeout if self.timeout is not None else 1.0
        resolution: float = self.loop._clock_resolution
        return {"none": 0.0, "short": 0.5, "at the deadline": timeout,
                "just before the deadline": timeout - resolution / 2, "long": 4.0}[name]

    async def sleep(self, seconds: float, cooperative: bool) -> None:
        """`seconds` of virtual time, or (cooperative) until the token is cancelled."""
        loop = self.loop
        waiter: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(seconds, _release, waiter)
        watcher: asyncio.Future[None] | None = None
        if cooperative:
            watcher = asyncio.ensure_future(self.token.cancelled())
            watcher.add_done_callback(lambda _: _release(waiter))
        try:
            await waiter
        finally:
            handle.cancel()
            if watcher is not None:
                watcher.cancel()

    # --- what the job reports -----------------------------------------------------------

    def record(self, obs: Observation) -> None:
        if self.closed or self.oracle is None:
            return
        self.history.append((self.loop.time(), obs))
        self.oracle.observe(obs)

    def token_cancelled(self) -> None:
        self.interrupts.append(self.loop.time())
        if self.by_rule:
            self.record(Cancelled())
            return
        self.record(DeadlineCancel())
        if self.timeout is not None and self.launch_time is not None:
            self.check_instant("the deadline", self.launch_time + self.timeout)

    def attempt_started(self) -> Attempt:
        n = len(self.starts) + 1
        now = self.loop.time()
        self.starts.append(now)
        self.record(AttemptStarted(n))
        if n > 1 and self.policy is not None and len(self.ends) == n - 1:
            delay = self.policy.delay(n - 1)
            self.check_instant(f"attempt {n} (attempt {n - 1} ended at t={self.ends[-1]!r}, "
                               f"then a backoff of {delay!r}s)", self.ends[-1] + delay)
        return self.script[min(n, len(self.script)) - 1]

    def attempt_ended(self, outcome: RunOutcome, error: BaseException | None) -> None:
        self.ends.append(self.loop.time())
        self.record(AttemptEnded(outcome, retryable=isinstance(error, ValueError)))
        if self.interrupt is not None and self.interrupt[1] == len(self.ends):
            if self.interrupt[0] == "cancel":
                self.cancel()
            elif self.hard_cancels < 1:
                self.hard_cancel(None)
        if (outcome.hard_cancelled and self.hard_cancels == 0 and self.timeout is not None
                and self.grace is not None and self.launch_time is not None):
            self.check_instant("the grace period's cancel",
                               self.launch_time + self.timeout + self.grace)

    def check_instant(self, what: str, expected: float) -> None:
        now = self.loop.time()
        if now != expected:
            self.fail_check(f"{what} took effect at t={now!r}, expected at t={expected!r} "
                            "(the loop's clock)")

    def check_nothing_scheduled(self, _: object) -> None:
        """Done-callback of the job's task, added after the job's own: by now nothing
        of the job may be left on the loop, and a job that ended during a backoff ended
        at the instant the backoff was cut short (a cancel of its token or of its task),
        at once."""
        if self.starts and len(self.ends) == len(self.starts):
            last, now = self.ends[-1], self.loop.time()
            after = [t for t in self.interrupts if t >= last]
            expected = min(after) if after and now > last else last
            if now != expected:
                self.fail_check(f"the job ended at t={now!r}, during the backoff after attempt "
                                f"{len(self.ends)} (ended at t={last!r}); it had to end at once "
                                f"at t={expected!r}, when the backoff was cut short")
        left = [t for t in self.loop._scheduled
                if not t.cancelled() and t not in self.own_timers]
        if left:
            names = ", ".join(sorted({getattr(t._callback, "__qualname__", "?") for t in left}))
            self.fail_check(f"the job's task is done and {len(left)} timer(s) of it are left "
                            f"scheduled on the loop: {names}")

    def fail_check(self, what: str) -> None:
        # The first failure is the one reported: a check after the oracle's violation
        # (the same observation may fail both) says nothing new.
        if self.closed or self.problem is not None:
            return
        if self.oracle is None or self.oracle.violation is None:
            self.problem = what

    def untranslatable(self, what: str) -> None:
        self.fail_check(f"the implementation did something the contract has no word for: "
                        f"{what}")

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, ContinuationFailed):
            self.reported.add(str(exc))
        elif not self.closed:
            self.untranslatable(f"the loop's exception handler got {context!r}")

    # --- rules ----------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = self.loop.create_task(coro, name=name)
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    def _ready(self) -> bool:
        return self.job is not None

    def _launched(self) -> bool:
        return self.job is not None and self.launch_time is not None

    @precondition(lambda self: self._ready() and self.launch_time is None
                  and not any(t.get_name() == "launch" for t in self.in_flight))
    @rule()
    def launch(self) -> None:
        async def launch() -> None:
            if self.timeout is not None:
                # The marker: due at the deadline's instant, scheduled just before it.
                self.at_deadline = future = self.loop.create_future()
                now = self.loop.time()
                marker = self.loop.call_at(now + self.timeout, _release, future)
                self.own_timers.add(marker)
            self.job.launch()
            self.launch_time = self.loop.time()
            self.job.task_handle.add_done_callback(self.check_nothing_scheduled)
            self.record(Launched())

        self.spawn(launch(), "launch")

    def _may_interrupt(self) -> bool:
        return (self._ready() and self.patience is not None
                and self.loop.steps_taken >= self.patience)

    @precondition(lambda self: self._may_interrupt())
    @rule()
    def cancel(self) -> None:
        async def cancel() -> None:
            self.by_rule = True
            try:
                self.job.cancel()
            finally:
                self.by_rule = False

        self.spawn(cancel(), "cancel")

    @precondition(lambda self: self._launched() and self._may_interrupt()
                  and self.hard_cancels < 1)
    @rule(msg=st.sampled_from([None, "stop"]))
    def hard_cancel(self, msg: str | None) -> None:
        self.hard_cancels += 1

        async def hard_cancel() -> None:
            self.interrupts.append(self.loop.time())
            self.record(HardCancelled(msg))
            self.job.task_handle.cancel(msg)

        self.spawn(hard_cancel(), "hard cancel")

    @precondition(lambda self: self._launched() and self.waits < 1)
    @rule()
    def wait(self) -> None:
        self.waits += 1
        self.ids += 1
        op_id = self.ids

        async def wait() -> None:
            self.record(WaitCalled(op_id))
            result: Result = Ok()
            try:
                await self.job.wait()
            except BaseException as exc:  # wait()'s own outcome
                if self.closed:
                    raise
                result = raised(exc)
            self.record(WaitReturned(op_id, result))

        self.spawn(wait(), f"#{op_id} wait")

    @precondition(lambda self: self._ready())
    @rule()
    def read(self) -> None:
        self.spawn(self._read(), "read")

    async def _read(self) -> None:
        job = self.job
        try:
            state = phase(job.worker_job_continuations.state)
        except Untranslatable as exc:
            self.untranslatable(str(exc))
            return
        self.record(Read(job.attempts, job.timed_out, state))

    # Also for a subject without the options (the level is then empty, and passes).
    @precondition(lambda self: self._ready() or not self.supported)
    @rule(data=st.data(), steps=st.integers(1, 6))
    def step(self, data: st.DataObject, steps: int) -> None:
        """Run the loop a few steps, each choice drawn: the interleaving."""
        self._run(data, lambda: steps > 0, steps)

    @precondition(lambda self: self._ready())
    @rule(data=st.data(), to=st.sampled_from(["the deadline", "just before the deadline",
                                              "0.25s", "1s", "3s"]))
    def advance(self, data: st.DataObject, to: str) -> None:
        """Let virtual time pass: until an instant drawn around the deadline, or by a
        fixed amount, stepping by drawn choices."""
        loop = self.loop
        now = loop.time()
        start = now if self.launch_time is None else self.launch_time
        deadline = start + (1.0 if self.timeout is None else self.timeout)
        resolution: float = loop._clock_resolution
        target = {"the deadline": deadline, "just before the deadline": deadline - resolution / 2,
                  "0.25s": now + 0.25, "1s": now + 1.0, "3s": now + 3.0}[to]
        if target <= now:
            return
        reached: list[bool] = []
        timer = loop.call_at(target, reached.append, True)
        self.own_timers.add(timer)
        self._run(data, lambda: not reached, 1000)

    def _run(self, data: st.DataObject, going: Callable[[], bool], limit: int) -> None:
        chooser = HypothesisChooser(data, max_draws=max(self.draws_left, 0))
        self.loop.chooser = chooser
        try:
            for _ in range(limit):
                if not going() or not self.loop.step():
                    break
        finally:
            self.loop.chooser = None
            self.draws_left -= chooser.draws

    @invariant()
    def conforms(self) -> None:
        report = self.report()
        if report is not None:
            raise AssertionError(self.failure(report))

    def report(self) -> str | None:
        if self.problem is not None:
            return self.problem
        v = None if self.oracle is None else self.oracle.violation
        return None if v is None else v.explain()

    # --- the end of an example --------------------------------------------------------

    def teardown(self) -> None:
        try:
            if self.report() is None and self.oracle is not None:
                self.quiesce()
        finally:
            self.closed = True
            if self.stats is not None:
                self.stats.add(self.loop)
            self.loop.shutdown()

    def quiesce(self) -> None:
        """Launch the job if no rule did, run to quiescence (FIFO) and check the end:
        the job ended, its wait returned, each continuation started once, and the one
        that raised reached the handler."""
        assert self.oracle is not None
        if self.launch_time is None and not any(t.get_name() == "launch"
                                                for t in self.in_flight):
            self.launch()  # every example runs its attempts, at the latest now
        self.loop.run_until_idle()
        self.read()
        self.loop.run_until_idle()
        if self.raised - self.reported:
            gc.collect()  # a continuation task that is only garbage reports on collection
        report = self.report()
        if report is None:
            violation = self.oracle.finish()
            report = None if violation is None else violation.explain()
        lost = sorted(self.raised - self.reported)
        if report is None and lost:
            report = f"continuations {lost} raised, but the loop's exception handler never heard"
        if report is not None:
            raise AssertionError(self.failure(report))

    def failure(self, report: str) -> str:
        options = (f"timeout={getattr(self, 'timeout', None)} grace={getattr(self, 'grace', None)}"
                   f" retry={getattr(self, 'policy', None)}")
        tail = "\n".join(f"  {i:3d}  t={t!r:<8} {o}" for i, (t, o) in enumerate(self.history))
        return (f"{self.subject.name} does not conform (timeouts):\n{report}\n\n"
                f"options: {options}\nscript: {getattr(self, 'script', None)}\n\n"
                f"observations:\n{tail}\n\nschedule (one column per task):\n"
                f"{sequence_chart(self.loop.schedule, limit=80)}")


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

