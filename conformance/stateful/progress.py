"""The progress level: a `WorkerJob` whose `run()` reports progress when a rule says so,
readers of `job.progress.updates()` (some slow), and the metrics read after every rule.

It reuses the job level's machine (`JobMachine`: the same rules, the same oracle of the
atomic spec) and adds, beside the oracle, the progress model of
`workerjob.model.progress`, tied to it by the job's phase:

- a report's outcome (accepted, or the exception it raises) must be `report()`'s for
  the phase at its instant; the outcome rules out the oracle's states whose phase
  disagrees (an accepted report: the job is not Done yet);
- every item a reader gets must be the latest report, newer than its last item
  (`deliver`); an iteration that ends must end at Done, after the last report
  (`end_of_updates`); at quiescence, with every reader free, every reader of a Done
  job must have ended (`reader_must_end`);
- `job.progress.latest` must be the last report accepted;
- after every step of the loop and every rule, and once more at the end, `snapshot()`
  (relative to the snapshot taken when the example began) must be `metrics_of` one of
  the oracle's states, which it then narrows to those (at the end: one of the states
  where nothing more happens).

Reports come from two places, both in the job's context: `run()` itself (a request it
performs at its next step) and a task `run()` spawned (the rule runs the call in a copy
of `run()`'s context), which may outlive `run()` and report after Done.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from workerjob.conformance.loop.choosers import HypothesisChooser
from workerjob.conformance.stateful.machine import (
    ERRORS,
    LEVELS,
    RUN_ENDINGS,
    JobMachine,
    Stats,
)
from workerjob.conformance.stateful.recorder import Recorder
from workerjob.conformance.stateful.subject import Subject, run_outcome, task_error
from workerjob.model import RunOutcome, State
from workerjob.model.oracle import close
from workerjob.model.progress import (
    Accepted,
    Channel,
    ContinuationRaised,
    LatestRead,
    Metrics,
    MetricsRead,
    ProgressObservation,
    Reader,
    ReaderEnded,
    ReaderGot,
    ReaderStarted,
    Report,
    Reported,
    RunCalled,
    deliver,
    end_of_updates,
    metrics_of,
    metrics_problems,
    reader_must_end,
    report,
)
from workerjob.model.spec import internal_transitions

PROGRESS_NAMES = ("report_progress", "snapshot")
MAX_READERS = 3
# A report's `done` is the last accepted one's plus a step (-1: it goes back), and its
# `total` is none, room to spare, exactly `done`, or one short (out of range).
STEPS = st.sampled_from((1, 1, 2, 0, -1))
TOTALS = st.sampled_from((None, None, 3, 0, -1))


def supports_progress(subject: Subject) -> bool:
    """Whether `subject` exports what this level drives (else the level is skipped)."""
    return all(hasattr(subject.module, name) for name in PROGRESS_NAMES)


class _LoggingRecorder(Recorder):
    """The job level's recorder, keeping one log of its observations and ours."""

    def __init__(self, initial: State, spec: Any, log: list[str],
                 trace: list[Any]) -> None:
        super().__init__(initial, spec)
        self.log = log
        self.trace = trace

    def record(self, obs: Any) -> None:
        if not self.closed:
            self.log.append(str(obs))
            self.trace.append(obs)
        super().record(obs)


class _ReportingTask:
    """The job's WorkerTask: run() performs the reports it is asked for, at its next
    step, until a rule says how it ends; it keeps its context for the spawned reports."""

    def __init__(self, machine: ProgressMachine) -> None:
        self.machine = machine
        self.outcome: asyncio.Future[BaseException | None] = machine.loop.create_future()
        self.requests: list[Report] = []
        self.wake = asyncio.Event()
        self.context: contextvars.Context | None = None
        self.calls = 0

    async def run(self) -> None:
        machine = self.machine
        self.calls += 1
        machine.observed(RunCalled())
        self.context = contextvars.copy_context()  # what a task spawned here inherits
        try:
            while True:
                while self.requests:
                    machine.perform_report(self.requests.pop(0), "run()")
                if self.outcome.done():
                    break
                self.wake.clear()
                await self.wake.wait()
        except asyncio.CancelledError as exc:  # a hard cancel of the job's task
            machine.rec.run_ended(RunOutcome(task_error(exc), hard_cancelled=True))
            raise
        error = self.outcome.result()
        machine.rec.run_ended(run_outcome(error))
        if machine.hard_cancel_after_run:
            # as the job level's: aimed at the step between run()'s end and completion
            machine.start_hard_cancel(None)
        if error is not None:
            raise error


@dataclass
class _ReaderRecord:
    model: Reader = field(default_factory=Reader)
    slow: bool = False
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


def observed_metrics(before: dict[str, Any], now: dict[str, Any]) -> Metrics:
    """The snapshot `now` relative to `before`, as the model's `Metrics`."""
    def d(key: str) -> int:
        return int(now[key]) - int(before[key])

    def count(key: str) -> int:
        return int(now[key]["count"]) - int(before[key]["count"])

    kinds = ("normal", "cancelled", "failed")
    completed = tuple(int(now["jobs_completed"].get(k, 0)) - int(before["jobs_completed"].get(k, 0))
                      for k in kinds)
    return Metrics(
        jobs_launched=d("jobs_launched"), jobs_completed=completed,  # type: ignore[arg-type]
        attempts=d("attempts"), timeouts=d("timeouts"),
        continuations_started=d("continuations_started"),
        continuations_raised=d("continuations_raised"), jobs_running=d("jobs_running"),
        jobs_queued=d("jobs_queued"), continuations_registered=d("continuations_registered"),
        run_duration_count=count("run_duration"), queue_wait_count=count("queue_wait"),
    )


class ProgressMachine(JobMachine):
    """The job level, plus progress reports, readers and metrics."""

    @classmethod
    def supports(cls, subject: Subject) -> bool:
        return supports_progress(subject)

    def __init__(self) -> None:
        self.log: list[str] = []
        # Every observation in order, the job's and ours: the run as a progress-level
        # trace (conformance/traces/progress.py), for check-trace to judge again.
        self.trace: list[Any] = []
        self.tracing = True  # until the example's end (the recorder closes earlier)
        self.raised_seen: set[str] = set()
        self.problem: str | None = None  # the first progress or metrics violation
        self.channel = Channel()
        self.accepted: dict[str, tuple[int, Report]] = {}  # note -> version, report
        self.readers: list[_ReaderRecord] = []
        self.free = False  # at quiescence: slow readers no longer wait
        self.reports = 0
        super().__init__()
        self.baseline: dict[str, Any] = self.subject.module.snapshot()

    def setup(self) -> None:
        super().setup()
        self.rec = _LoggingRecorder(self.initial_state(), self.spec, self.log, self.trace)
        self.rtask = _ReportingTask(self)
        self.task = self.rtask  # type: ignore[assignment]  # what the job level's rules see
        self.job = self.subject.WorkerJob(self.workers["job-worker"], self.rtask, self.token)
        # One reader and a launch from the start (the job level covers a job never
        # launched); rules add (slow) readers and may launch again.
        self.start_reader(slow=False)
        self.launch()

    # --- the checks -------------------------------------------------------------------

    def observed(self, obs: ProgressObservation) -> None:
        if self.tracing:
            self.trace.append(obs)

    def violated(self, what: str) -> None:
        self.log.append(f"!! {what}")
        if self.problem is None:
            self.problem = what

    def possible(self) -> frozenset[State]:
        return close(self.spec, self.rec.oracle.states)

    def narrow(self, keep: Iterable[State]) -> None:
        """An observation of ours rules out the oracle's states that disagree with it."""
        kept = frozenset(keep)
        if kept:
            self.rec.oracle.states = kept

    def perform_report(self, r: Report, where: str) -> None:
        """Call the subject's report_progress(done, total, note) now, in the job's
        context, and check its outcome against the model at this instant."""
        try:
            self.subject.module.report_progress(r.done, r.total, r.note)
            got = "accepted"
        except Exception as exc:  # the report's own outcome
            got = type(exc).__name__
        self.log.append(f"{where}: {r} -> {got}")
        self.observed(Reported(r, got))
        states = self.possible()
        outcomes = {s: report(self.channel, s.phase, r) for s in states}
        agree = [s for s, o in outcomes.items()
                 if (o.error if not isinstance(o, Accepted) else "accepted") == got]
        if not agree:
            why = sorted({o.why if not isinstance(o, Accepted) else "accepted"
                          for o in outcomes.values()})
            self.violated(f"{r} from {where}: {got}, but the model says {'; or '.join(why)}")
            return
        self.narrow(agree)
        accepted = outcomes[agree[0]]
        if isinstance(accepted, Accepted):
            self.channel = accepted.channel
            if r.note is not None:
                self.accepted[r.note] = (accepted.channel.version, r)

    def reader_got(self, i: int, value: Any) -> None:
        reader = self.readers[i]
        note = getattr(value, "note", None)
        self.log.append(f"reader {i} <- {value!r}")
        self.observed(ReaderGot(i, Report(getattr(value, "done", -1),
                                          getattr(value, "total", None), note)))
        found = self.accepted.get(note) if isinstance(note, str) else None
        if found is None:
            self.violated(f"reader {i} got {value!r}, which no accepted report made")
            return
        version, made = found
        if (getattr(value, "done", None), getattr(value, "total", None)) != (made.done,
                                                                             made.total):
            self.violated(f"reader {i} got {value!r}, reported as {made}")
            return
        nxt = deliver(self.channel, reader.model, version)
        if isinstance(nxt, str):
            self.violated(f"reader {i}: {nxt}")
            return
        reader.model = nxt

    def reader_ended(self, i: int) -> None:
        reader = self.readers[i]
        self.log.append(f"reader {i} ends")
        self.observed(ReaderEnded(i))
        verdicts = {s: end_of_updates(self.channel, s.phase, reader.model)
                    for s in self.possible()}
        agree = [s for s, v in verdicts.items() if isinstance(v, Reader)]
        if not agree:
            self.violated(f"reader {i}: " + "; or ".join(sorted({str(v) for v in
                                                                  verdicts.values()})))
            return
        self.narrow(agree)
        reader.model = Reader(reader.model.seen, ended=True)

    def check_metrics(self, states: Iterable[State], when: str) -> None:
        if self.problem is not None or self.rec.report() is not None:
            return
        observed = observed_metrics(self.baseline, self.subject.module.snapshot())
        raised = len(self.raised)
        for name in sorted(self.raised - self.raised_seen):  # raised since the last read
            self.observed(ContinuationRaised(int(name[1:])))
        self.raised_seen |= self.raised
        self.observed(MetricsRead(observed))
        expected = {s: metrics_of(s, attempts=self.rtask.calls, raised=raised) for s in states}
        agree = [s for s, m in expected.items() if m == observed]
        if agree:
            self.narrow(agree)
            return
        closest = min(expected.values(), key=lambda m: len(metrics_problems(m, observed)),
                      default=Metrics())
        self.violated(f"gauges-exact ({when}): the snapshot reads {observed}; "
                      + "; ".join(metrics_problems(closest, observed)))

    # --- rules --------------------------------------------------------------------------

    def next_report(self, step: int, extra: int | None) -> Report:
        queued = self.rtask.requests
        latest = queued[-1] if queued else self.channel.latest
        last = 0 if latest is None else int(latest.done)
        done = max(0, last + step) if step >= 0 else last - 1
        self.reports += 1
        return Report(done, None if extra is None else done + extra, f"r{self.reports}")

    @precondition(lambda self: self.rtask.context is None or not self.rtask.outcome.done())
    @rule(steps=st.lists(STEPS, min_size=1, max_size=3), extra=TOTALS)
    def report_in_run(self, steps: list[int], extra: int | None) -> None:
        """run() makes these reports at its next step, one after the other (a reader
        can then see only the last); dropped if run() has ended by then."""
        for step in steps:
            self.rtask.requests.append(self.next_report(step, extra))
        self.rtask.wake.set()

    @precondition(lambda self: self.rtask.context is not None)
    @rule(step=STEPS, extra=TOTALS)
    def report_from_spawned_task(self, step: int, extra: int | None) -> None:
        """A task that run() spawned reports now (also after run() ended)."""
        r = self.next_report(step, extra)
        assert self.rtask.context is not None
        self.rtask.context.run(self.perform_report, r, "a task run() spawned")

    @precondition(lambda self: len(self.readers) < MAX_READERS)
    @rule(slow=st.booleans())
    def start_reader(self, slow: bool) -> None:
        i = len(self.readers)
        record = _ReaderRecord(slow=slow)
        self.readers.append(record)
        updates = self.job.progress.updates()
        self.observed(ReaderStarted(i))

        async def read() -> None:
            while True:
                try:
                    value = await anext(updates)
                except StopAsyncIteration:
                    self.reader_ended(i)
                    return
                except BaseException as exc:
                    if not self.rec.closed:
                        self.violated(f"reader {i} raised {exc!r}")
                    raise
                self.reader_got(i, value)
                if record.slow and not self.free:
                    await record.gate.wait()
                    record.gate.clear()

        record.task = self.loop.create_task(read(), name=f"reader {i}")

    @precondition(lambda self: any(r.slow for r in self.readers))
    @rule(data=st.data())
    def release_reader(self, data: st.DataObject) -> None:
        """A slow reader takes one more item."""
        slow = [r for r in self.readers if r.slow]
        data.draw(st.sampled_from(slow)).gate.set()

    @rule()
    def read_latest(self) -> None:
        value = self.job.progress.latest
        want = self.channel.latest
        self.log.append(f"latest -> {value!r}")
        self.observed(LatestRead(None if value is None else Report(
            getattr(value, "done", -1), getattr(value, "total", None),
            getattr(value, "note", None))))
        if want is None and value is not None:
            self.violated(f"latest is {value!r} before any report was accepted")
        elif want is not None and getattr(value, "note", None) != want.note:
            self.violated(f"latest is {value!r}, the last report accepted is {want}")

    @precondition(lambda self: not self.rtask.outcome.done())
    @rule(error=RUN_ENDINGS, then_hard_cancel=st.booleans())
    def finish_run(self, error: int, then_hard_cancel: bool) -> None:
        self.hard_cancel_after_run = then_hard_cancel
        self.rtask.outcome.set_result(ERRORS[error]())
        self.rtask.wake.set()

    @rule(data=st.data(), steps=st.integers(1, 6))
    def step(self, data: st.DataObject, steps: int) -> None:
        """The job level's `step`, with the metrics checked after every step of the loop:
        between two steps no callback is half done, so every instrument must agree with
        the state at that instant."""
        chooser = HypothesisChooser(data, max_draws=self.draws_left)
        self.loop.chooser = chooser
        try:
            for _ in range(steps):
                if not self.loop.step():
                    break
                self.check_metrics(self.possible(), "after a step of the loop")
        finally:
            self.loop.chooser = None
            self.draws_left -= chooser.draws

    @invariant()
    def conforms(self) -> None:  # the job level's invariant, and ours
        if self.rec.report() is None and self.problem is None:
            self.check_metrics(self.possible(), "after a rule")
        if self.problem is not None:
            raise AssertionError(self.failure(self.problem))
        super().conforms()

    # --- the end of an example ----------------------------------------------------------

    def quiesce(self) -> None:
        self.free = True
        for r in self.readers:
            r.gate.set()
        super().quiesce()
        self.loop.run_until_idle()
        ends = [s for s in close(self.spec, self.rec.oracle.states)
                if not any(True for _ in internal_transitions(self.spec, s))]
        self.check_metrics(ends, "at the end")
        if self.problem is None and ends and all(
                reader_must_end(s.phase, Reader()) for s in ends):  # Done in every end
            for i, r in enumerate(self.readers):
                why = reader_must_end(ends[0].phase, r.model)
                if why is not None:
                    self.violated(f"reader {i}: {why}")
                    break
        self.tracing = False  # what teardown does next is not the run's
        if self.problem is not None:
            raise AssertionError(self.failure(self.problem))

    def failure(self, report: str) -> str:
        tail = "\n".join(f"  {i:3d}  {line}" for i, line in enumerate(self.log[-60:]))
        return (f"{self.subject.name} does not conform:\n{report}\n\n"
                f"observations (the oracle's and the progress level's):\n{tail}")


def progress_machine(subject: Subject, *, stats: Stats | None = None,
                     max_draws: int = 200) -> type[ProgressMachine]:
    attrs = {"subject": subject, "stats": stats, "max_draws": max_draws}
    return type(f"ProgressMachine[{subject.name}]", (ProgressMachine,), attrs)


# Registered beside the job level: `workerjob verify` checks it by default. The
# campaign imports this module, so every user of LEVELS through it sees the level.
LEVELS["progress"] = ProgressMachine
