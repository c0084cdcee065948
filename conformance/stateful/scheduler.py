"""The scheduler level of `workerjob verify`: a subject's `JobScheduler`, driven by
random submissions (priorities, needs, some refused), cancels, ends of runs, waits and
close, under interleavings Hypothesis draws on the controllable loop, each observation
checked at once by `workerjob.model.scheduler.SchedOracle`.

What is observed, and how (every observation is made in the same synchronous stretch
as the thing it records, so its place in the run is exact):
- a submission: its invocation and its return, in the task that calls `submit`;
- a start: the scheduler's call of the job's `launch()` (the jobs are a subclass of the
  subject's `WorkerJob` that records the call, then launches);
- a run's end: in `run()`, just before it returns or raises;
- a cancel: `job.cancel()`, then the job's state read with no step in between;
- `aclose()` beginning and returning; a `wait()` returning, with its result.

At the end of an example every started run is ended, the loop runs to quiescence, and
the oracle's `finish()` must hold: every end taken into account, nothing that fits left
queued; then every accepted job must be Done, and no run() called twice. Then, unless
it is closing, the idle scheduler is probed (`PROBES`): the room it counts, its queue's
order and a cancel in it, and a close with a job queued, each checked the same way.

The scheduler's own metrics (`scheduler.snapshot()`, when it has one) are read after
every step of the loop, and their gauges must equal what the model implies; at the end
every instrument must. A wrong gauge is reported at the end of the example, unless the
scheduling broke an invariant by then: that is the cause, the gauge its symptom.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from workerjob.conformance.loop.choosers import HypothesisChooser
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.conformance.render.chart import sequence_chart
from workerjob.conformance.stateful.subject import Subject
from workerjob.model import ATOMIC, Spec
from workerjob.model.scheduler import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SchedViolation,
    SubmitReturned,
    Submitted,
    WaitReturned,
)
from workerjob.model.scheduler.state import amounts

MAX_CONCURRENT = 2
CAPACITY = {"gpu": 1, "cpu": 2}
MAX_JOBS = 7
# Needs a submission may ask for: none, each resource, all of one, and two refused
# (more than the capacity; a resource the scheduler lacks).
NEEDS: tuple[dict[str, int], ...] = (
    {}, {"gpu": 1}, {"cpu": 1}, {"cpu": 2}, {"gpu": 1, "cpu": 1}, {"gpu": 2}, {"tpu": 1})
PRIORITIES = (0, 1, 2)
# What an idle scheduler is probed with at the end of an example (`probe`), in order.
PROBES = ("cpu", "gpu", "order", "close")


class RunFailed(Exception):
    """What a job's run() raises when a rule says it fails."""


def _result(exc: BaseException | None) -> str:
    return "ok" if exc is None else type(exc).__name__


class _Run:
    """A job's WorkerTask: run() waits until a rule ends it, and records its end."""

    def __init__(self, machine: SchedulerMachine, job: int) -> None:
        self.machine = machine
        self.job = job
        self.calls = 0
        self.outcome: asyncio.Future[BaseException | None] = machine.loop.create_future()

    async def run(self) -> None:
        self.calls += 1
        error = await self.outcome
        self.machine.observe(RunEnded(self.job, _result(error)))
        if error is not None:
            raise error


def _observed_job_class(base: type[Any], machine: SchedulerMachine) -> type[Any]:
    """The subject's WorkerJob, with every `launch()` recorded as the scheduler's start."""

    class ObservedJob(base):  # type: ignore[misc]
        job_id: int

        def launch(self) -> None:
            machine.observe(Launched(self.job_id))
            super().launch()

    return ObservedJob


class SchedulerMachine(RuleBasedStateMachine):
    """One scheduler (max_concurrent 2, capacity gpu=1, cpu=2) and up to seven jobs."""

    subject: ClassVar[Subject]
    spec: ClassVar[Spec] = ATOMIC  # the scheduler has one spec; kept for machine_for
    max_draws: ClassVar[int] = 200
    stats: ClassVar[Any] = None

    @classmethod
    def supports(cls, subject: Subject) -> bool:
        """Whether `subject` exports a `JobScheduler` (ENHANCEMENTS.md; SPEC.md alone
        needs none): else the level is skipped, and said so."""
        return hasattr(subject.module, "JobScheduler")

    def __init__(self) -> None:
        super().__init__()
        self.loop = ControlledLoop()
        self.loop.set_exception_handler(self._loop_exception)
        self.oracle = SchedOracle(MAX_CONCURRENT, CAPACITY)
        self.problem: str | None = None  # a failure the oracle does not see (a crash)
        self.sched: Any = self.subject.module.JobScheduler(MAX_CONCURRENT, capacity=CAPACITY)
        self.job_class = _observed_job_class(self.subject.WorkerJob, self)
        # Its own metrics (ENHANCEMENTS.md, "Metrics"), when it has them: read relative
        # to a new scheduler's, checked after every step of the loop and at the end.
        self.base: dict[str, Any] | None = (
            self.sched.snapshot() if callable(getattr(self.sched, "snapshot", None)) else None)
        self.jobs: dict[int, Any] = {}
        self.runs: dict[int, _Run] = {}
        self.launched: set[int] = set()
        self.waited: set[int] = set()
        self.closing = False
        self.draws_left = self.max_draws
        self.ended = False

    # --- recording --------------------------------------------------------------------

    def observe(self, obs: SchedObservation) -> None:
        if self.ended:
            return
        if isinstance(obs, Launched):
            self.launched.add(obs.job)
        self.oracle.observe(obs)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if self.ended or "never retrieved" in str(context.get("message", "")):
            return  # a job's failure nobody waited for: the job's business, not ours
        if self.problem is None:
            self.problem = f"the loop's exception handler got {context!r}"

    def start(self, name: str, body: Callable[[], Any]) -> None:
        """Run `body` in its own task: it happens at a step the schedule chooses."""

        async def go() -> None:
            value = body()
            if asyncio.iscoroutine(value):
                await value

        self.loop.create_task(go(), name=name)

    # --- rules --------------------------------------------------------------------------

    @precondition(lambda self: len(self.jobs) < MAX_JOBS)
    @rule(priority=st.sampled_from(PRIORITIES), needs=st.sampled_from(range(len(NEEDS))))
    def submit(self, priority: int, needs: int) -> None:
        job_id = len(self.jobs)
        run = _Run(self, job_id)
        job = self.job_class(self.subject.Worker(f"job-{job_id}"), run,
                             self.subject.CancellationToken())
        job.job_id = job_id
        self.jobs[job_id], self.runs[job_id] = job, run
        self.start(f"submit {job_id}", lambda: self._submit(job_id, priority, NEEDS[needs]))

    def _submit(self, job_id: int, priority: int, needs: dict[str, int]) -> None:
        self.observe(Submitted(job_id, priority, amounts(needs)))
        try:
            self.sched.submit(self.jobs[job_id], priority=priority, needs=needs)
        except Exception as exc:  # the refusal is the observation
            self.observe(SubmitReturned(job_id, type(exc).__name__))
            return
        self.observe(SubmitReturned(job_id, "ok"))

    @precondition(lambda self: bool(self.jobs))
    @rule(data=st.data())
    def submit_again(self, data: st.DataObject) -> None:
        """A job submitted a second time (refused unless its first submission was)."""
        job_id = data.draw(st.sampled_from(sorted(self.jobs)), label="job")
        self.start(f"resubmit {job_id}", lambda: self._submit(job_id, 0, {}))

    @precondition(lambda self: any(not r.outcome.done() for r in self.runs.values()))
    @rule(data=st.data(), fails=st.booleans())
    def end_run(self, data: st.DataObject, fails: bool) -> None:
        """A job's run() returns (or raises) at its next step; it may not have started."""
        job_id = data.draw(st.sampled_from(
            sorted(j for j, r in self.runs.items() if not r.outcome.done())), label="job")
        self.runs[job_id].outcome.set_result(RunFailed(f"job {job_id}") if fails else None)

    @precondition(lambda self: bool(self.jobs))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.jobs)), label="job")
        self.start(f"cancel {job_id}", lambda: self._cancel(job_id))

    def _cancel(self, job_id: int) -> None:
        job = self.jobs[job_id]
        job.cancel()
        state = job.worker_job_continuations.state
        done = (type(state).__name__ == "Done" and state.error_message is None
                and getattr(state.completion_type, "value", None) == "cancelled")
        self.observe(Cancelled(job_id, done))

    @precondition(lambda self: any(j not in self.waited for j in self.jobs))
    @rule(data=st.data())
    def wait(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(j for j in self.jobs if j not in self.waited)),
                           label="job")
        self.waited.add(job_id)
        self.start(f"wait {job_id}", lambda: self._wait(job_id))

    async def _wait(self, job_id: int) -> None:
        try:
            await self.jobs[job_id].wait()
        except BaseException as exc:
            if self.ended:
                raise
            if not (isinstance(exc, RuntimeError) and "not launched" in str(exc)):
                self.observe(WaitReturned(job_id, _result(exc)))
            return
        self.observe(WaitReturned(job_id, "ok"))

    @precondition(lambda self: not self.closing)
    @rule()
    def close(self) -> None:
        self.closing = True
        self.start("aclose", self._close)

    async def _close(self) -> None:
        self.observe(Closed())
        await self.sched.aclose()
        self.observe(CloseReturned())

    @rule(data=st.data(), steps=st.integers(1, 6))
    def step(self, data: st.DataObject, steps: int) -> None:
        """Run the loop a few steps, each choice drawn: the interleaving."""
        chooser = HypothesisChooser(data, max_draws=self.draws_left)
        self.loop.chooser = chooser
        try:
            for _ in range(steps):
                if not self.loop.step():
                    break
                self.check_metrics()  # between two steps: no operation half done
        finally:
            self.loop.chooser = None
            self.draws_left -= chooser.draws

    @invariant()
    def conforms(self) -> None:
        if self.problem is not None:
            raise AssertionError(self.failure(self.problem))
        if self.oracle.violation is not None:
            raise AssertionError(self.failure(self.oracle.violation.explain()))

    # --- the end of an example ------------------------------------------------------------

    def teardown(self) -> None:
        try:
            if self.oracle.violation is None and self.problem is None:
                self.quiesce()
        finally:
            self.ended = True
            if self.stats is not None:
                self.stats.add(self.loop)
            self.wind_down()
            self.loop.shutdown()

    def wind_down(self) -> None:
        """Close the scheduler and end every run before the loop shuts down: cancelling
        the tasks would otherwise end jobs whose ends start others, left pending."""
        for r in self.runs.values():
            if not r.outcome.done():
                r.outcome.set_result(None)
        closing = self.loop.create_task(self.sched.aclose(), name="wind-down")
        with contextlib.suppress(Exception):  # a broken subject may livelock: shutdown() runs
            self.loop.run_until_idle(10_000)
        if closing.done() and not closing.cancelled():
            closing.exception()  # retrieved: what a broken aclose() raises is reported above

    def quiesce(self) -> None:
        """End every run that was started, until nothing more starts (FIFO from here),
        and check the end; then, while the scheduler is open, each of `PROBES` in turn,
        run to the end and checked the same way (see `probe`)."""
        self.settle()
        for name in PROBES:
            if self.closing:
                break
            self.probe(name)
            self.settle()

    def settle(self) -> None:
        """End every run that was started, until nothing more starts, and check."""
        while True:
            self.loop.run_until_idle()
            pending = [r for j, r in self.runs.items()
                       if j in self.launched and not r.outcome.done()]
            if not pending:
                break
            for r in pending:
                r.outcome.set_result(None)
        report = self.problem
        if report is None and (v := self.oracle.finish()) is not None:
            report = v.explain()
        if report is None:
            report = self.leftovers()
        if report is None and (v := self.check_metrics(at_end=True)) is not None:
            report = v.explain()  # a gauge wrong earlier, or an instrument wrong now
        if report is not None:
            raise AssertionError(self.failure(report))

    def probe(self, name: str) -> None:
        """One probe of an idle, open scheduler (every run has ended, all the room is
        free), submitted in one go and run FIFO by `quiesce`. What each is for was met
        by chance in few examples, as the end of a job, then submissions that need its
        room, then another end (a release counted twice was missed on one seed of 13 at
        200 examples; a LIFO queue took up to 147 examples, a close that drains the
        queue up to 138):
        - a resource's name: a job asking for one unit of it, then one asking for the
          whole; the first must start and the second wait for it. A release counted
          wrong earlier shows only in what starts after it: counted twice, both start
          (`capacity`); never counted, the whole never does (`stranded`);
        - "order": one job holds the gpu, four wait for it (priorities 0, 0, 0, 1), the
          third of them is cancelled while queued: as the gpu frees, the priority-1 job
          must start, then the first two in the order of submission, never the
          cancelled one;
        - "close": one job holds the gpu, another waits for it, then aclose(): the one
          waiting must be cancelled, not started once the gpu frees."""
        gpu = NEEDS.index({"gpu": 1})
        if name in CAPACITY:
            for amount in (1, CAPACITY[name]):
                self.submit(0, NEEDS.index({name: amount}))
        elif name == "order":
            first = len(self.jobs)
            for priority in (0, 0, 0, 0, 1):
                self.submit(priority, gpu)
            self.start(f"cancel {first + 3}", lambda: self._cancel(first + 3))
        else:
            assert name == "close"
            for _ in range(2):
                self.submit(0, gpu)
            self.close()

    def check_metrics(self, *, at_end: bool = False) -> SchedViolation | None:
        """The scheduler's snapshot against the model (`SchedOracle.check_metrics`)."""
        if self.base is None or self.ended:
            return None
        # Imported here: `progress` imports `machine`, which imports this module.
        from workerjob.conformance.stateful.progress import observed_metrics

        observed = observed_metrics(self.base, self.sched.snapshot())
        return self.oracle.check_metrics(observed, at_end=at_end)

    def leftovers(self) -> str | None:
        accepted = {o.job for o in self.oracle.history
                    if isinstance(o, SubmitReturned) and o.result == "ok"}
        for job_id in sorted(accepted):
            state = self.jobs[job_id].worker_job_continuations.state
            if type(state).__name__ != "Done" and job_id not in self.launched:
                # Everything has ended, so it fits: it was left in the queue.
                return (f"scheduler invariant `stranded` broken: job {job_id} was accepted, "
                        "never started, and still not completed once every run had ended: "
                        "the room of a job that ended was never given back, or the "
                        "scheduler missed a wake-up")
            if type(state).__name__ != "Done":
                return (f"scheduler invariant `completed-once` broken: job {job_id} was "
                        f"started and never completed (state {state!r})")
        twice = [j for j, r in self.runs.items() if r.calls > 1]
        if twice:
            return f"scheduler invariant `runs-once` broken: run() of jobs {twice} called twice"
        return None

    def failure(self, report: str) -> str:
        tail = "\n".join(f"  {i:3d}  {o}" for i, o in enumerate(self.oracle.history))
        return (
            f"{self.subject.name} does not conform (scheduler):\n{report}\n\n"
            f"observations:\n{tail}\n\nschedule (one column per task):\n"
            f"{sequence_chart(self.loop.schedule, limit=80)}"
        )
