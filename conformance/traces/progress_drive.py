"""`workerjob drive --level progress`: progress and metrics checked through the driver
protocol.

Both sides of the exchange (DRIVER.md, "The progress level"):

- the kit's side: `scenarios()` draws step lists (continuations added, the launch,
  reports from `run()` and from a task it spawned, readers, some slow, `latest` reads,
  snapshots, the end of `run()`, a hard cancel, a wait, settles), `exchange()` sends
  one to a driver process and checks the progress-level trace events it answers with
  against `ProgressOracle`, and `LEVEL` is the campaign (`level_drive`);
- the reference driver's side: `ProgressScenario` runs one scenario on a subject that
  exports `report_progress` and `snapshot`, and records the events, for `driver_impl`.

Scenario message: `{"scenario": n, "version": 1, "level": "progress", "steps": [...]}`;
the answer is a progress-level trace's events (the header is the kit's:
`"job_worker": "job-worker"`), then `end`. At the end of a scenario the driver ends
`run()` if the steps did not, lets every reader go on, settles, and takes a last
snapshot: the trace ends when the run is quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from workerjob.conformance.stateful.progress import observed_metrics
from workerjob.conformance.stateful.subject import completion_type as translate_type
from workerjob.conformance.stateful.subject import raised, run_outcome, task_error
from workerjob.conformance.traces import level_drive
from workerjob.conformance.traces import progress as progress_trace
from workerjob.conformance.traces.jsonl import JsonlError, JsonObject
from workerjob.conformance.traces.trace_format import Header, dumps, header_to_json
from workerjob.model import (
    AddOrRunNow,
    HardCancel,
    Invoke,
    Launch,
    Ok,
    Op,
    Result,
    Return,
    RunEnded,
    RunOutcome,
    Start,
    Wait,
)
from workerjob.model.progress import (
    ContinuationRaised,
    LatestRead,
    MetricsRead,
    ProgressOracle,
    ReaderEnded,
    ReaderGot,
    ReaderStarted,
    Report,
    Reported,
    RunCalled,
)

PROTOCOL_VERSION = 1
JOB_WORKER = "job-worker"
MAX_STEPS = 24
MAX_READERS = 3
MAX_CONTS = 3

# --- the kit's side: scenarios --------------------------------------------------------------


def _raw_steps() -> st.SearchStrategy[JsonObject]:
    # A report's `done` is the last one's plus `step` (-1: it goes back); its `total`
    # is none, room to spare, exactly `done`, or one short (out of range).
    step, extra = st.sampled_from((1, 1, 2, 0, -1)), st.sampled_from((None, None, 3, 0, -1))
    report = st.builds(lambda s, e: {"do": "report", "step": s, "total": e}, step, extra)
    return st.one_of(
        st.just({"do": "settle"}), st.just({"do": "settle"}),
        report, report,
        st.builds(lambda s, e: {"do": "report_spawned", "step": s, "total": e}, step, extra),
        st.builds(lambda r: {"do": "add", "raises": r}, st.booleans()),
        st.just({"do": "launch"}),
        st.builds(lambda s: {"do": "reader", "slow": s}, st.booleans()),
        st.just({"do": "release"}),
        st.just({"do": "latest"}),
        st.just({"do": "metrics"}),
        st.builds(lambda f: {"do": "end_run", "fails": f}, st.booleans()),
        st.just({"do": "hard_cancel"}),
        st.just({"do": "wait"}),
    )


# Every scenario starts as the progress level's examples do: a reader, a slow one, the
# launch and a settle (run() has started); the job level covers a job never launched.
PROLOGUE: tuple[JsonObject, ...] = (
    {"do": "reader", "slow": False}, {"do": "reader", "slow": True}, {"do": "launch"},
    {"do": "settle"})


def normalize(raw: Sequence[JsonObject]) -> list[JsonObject]:
    """The prologue, then: at most MAX_READERS readers and MAX_CONTS continuations
    (numbered in order), one end of run(), one hard cancel, one wait, two launches; no
    empty settles."""
    out: list[JsonObject] = []
    counts: dict[str, int] = {}
    raw = [*PROLOGUE, *raw]
    limits = {"reader": MAX_READERS, "add": MAX_CONTS, "end_run": 1, "hard_cancel": 1,
              "wait": 1, "launch": 2}
    for original in raw:
        step = dict(original)
        do = step["do"]
        if do == "settle" and (not out or out[-1]["do"] == "settle"):
            continue
        if do in limits:
            if counts.get(do, 0) == limits[do]:
                continue
            counts[do] = counts.get(do, 0) + 1
            if do == "add":
                step["cont"] = counts[do]
        out.append(step)
    while out and out[-1]["do"] == "settle":
        out.pop()
    return out


def scenarios() -> st.SearchStrategy[list[JsonObject]]:
    return st.lists(_raw_steps(), min_size=3, max_size=MAX_STEPS).map(normalize)


def scenario_message(number: int, steps: list[JsonObject]) -> JsonObject:
    return {"scenario": number, "version": PROTOCOL_VERSION, "level": "progress",
            "steps": steps}


# --- the kit's side: one exchange, and the campaign ---------------------------------------------


class ProgressDriverError(Exception):
    """The driver broke the protocol: it crashed, hung, or answered with something that
    is not a progress-level trace event."""


class ProgressRun(level_drive.StepsRun):
    """A progress scenario's answer; its trace is a progress-level trace, the kit's header first."""

    def trace_text(self) -> str:
        lines = [header_to_json(Header("progress", JOB_WORKER)), *self.events]
        return "".join(dumps(line) + "\n" for line in lines)


def exchange(process: Any, number: int, steps: list[JsonObject],
             max_events: int = level_drive.MAX_EVENTS,
             max_bytes: int = level_drive.MAX_BYTES) -> ProgressRun:
    """Send one scenario, read the answer up to its `end`, check it as it comes.
    `process` has `send(obj)` and `read() -> (line number, raw, newline)`; its own
    errors propagate."""
    run = ProgressRun(number, steps)
    process.send(scenario_message(number, steps))
    header = Header("progress", JOB_WORKER)
    oracle = ProgressOracle(header.initial_state())
    parser = progress_trace.EventParser(header, max_in_flight=8)
    for obj, trace_line in level_drive.answer(process, number, run.events, ProgressDriverError,
                                              max_events, max_bytes):
        try:
            obs = parser.parse(obj, trace_line)
        except JsonlError as exc:
            raise ProgressDriverError(f"trace line {trace_line}: {exc.message}") from None
        if run.violation is None and (v := oracle.observe(obs)) is not None:
            run.violation, run.violation_line = f"line {trace_line}: {v.explain()}", trace_line
    if run.violation is None and (v := oracle.finish()) is not None:
        run.violation = level_drive.at_the_end(run.events, v.explain())
    return run


LEVEL = level_drive.Level(
    "progress", spec="atomic+progress", model="the progress model", scenarios=scenarios,
    exchange=exchange, driver_error=ProgressDriverError)


# --- the reference driver's side ---------------------------------------------------------------


class RunFailed(Exception):
    """What run() raises when the scenario ends it with `fails`."""


class ContinuationFailed(Exception):
    """What a continuation added with `raises` raises."""


def _item(value: Any) -> Report:
    return Report(getattr(value, "done", -1), getattr(value, "total", None),
                  getattr(value, "note", None))


class _Task:
    """The job's WorkerTask: run() makes the reports it is asked for at its next step,
    until the scenario ends it; it keeps its context for the spawned reports."""

    def __init__(self, scenario: ProgressScenario) -> None:
        self.scenario = scenario
        self.outcome: asyncio.Future[BaseException | None] = scenario.loop.create_future()
        self.requests: list[Report] = []
        self.wake = asyncio.Event()
        self.context: Any = None

    async def run(self) -> None:
        import contextvars

        sc = self.scenario
        sc.emit(RunCalled())
        self.context = contextvars.copy_context()  # what a task spawned here inherits
        try:
            while True:
                while self.requests:
                    sc.report(self.requests.pop(0))
                if self.outcome.done():
                    break
                self.wake.clear()
                await self.wake.wait()
        except asyncio.CancelledError as exc:  # a hard cancel of the job's task
            sc.emit(RunEnded(RunOutcome(task_error(exc), hard_cancelled=True)))
            raise
        error = self.outcome.result()
        sc.emit(RunEnded(run_outcome(error)))
        if error is not None:
            raise error


class ProgressScenario:
    """One progress scenario on `loop` against `subject` (a module that exports
    SPEC's names, `report_progress` and `snapshot`); `settle` runs the loop until
    nothing more happens by itself."""

    def __init__(self, subject: Any, scenario: JsonObject, loop: asyncio.AbstractEventLoop,
                 settle: Callable[[], None]) -> None:
        self.subject = subject
        self.module = subject.module
        self.loop = loop
        self.settle = settle
        self.steps: list[JsonObject] = scenario["steps"]
        self.events: list[JsonObject] = []
        self.closed = False
        self.ids = 0
        self.reports = 0
        self.last_done = 0.0
        self.free = False
        self.slow: list[asyncio.Event] = []
        self.readers = 0
        self.baseline: dict[str, Any] = self.module.snapshot()
        self.task = _Task(self)
        self.job = subject.WorkerJob(subject.Worker(JOB_WORKER), self.task,
                                     subject.CancellationToken())

    def emit(self, obs: Any) -> None:
        if not self.closed:
            self.events.append(progress_trace.observation_to_json(obs))

    def run(self) -> list[JsonObject]:
        for step in self.steps:
            self.step(step)
        self.finish()
        return self.events

    # --- operations: invoke, then the return when it comes -----------------------------

    def operate(self, op: Op, call: Callable[[], Any]) -> None:
        self.ids += 1
        op_id = self.ids

        async def go() -> None:
            self.emit(Invoke(op_id, op))
            result: Result = Ok()
            try:
                value = call()
                if asyncio.iscoroutine(value):
                    await value
            except Exception as exc:
                result = raised(exc)
            except asyncio.CancelledError as exc:
                if self.closed:
                    raise
                result = raised(exc)
            self.emit(Return(op_id, result))

        self.loop.create_task(go())

    def continuation(self, cont: int, raises: bool) -> Any:
        async def body(worker: Any, ctype: Any, message: Any) -> None:
            self.emit(Start(cont, str(getattr(worker, "name", worker)), translate_type(ctype),
                            message))
            if raises:
                self.emit(ContinuationRaised(cont))
                raise ContinuationFailed(f"c{cont}")

        return body

    def next_report(self, step: int, extra: int | None) -> Report:
        queued = self.task.requests
        last = int(queued[-1].done) if queued else int(self.last_done)
        done = max(0, last + step) if step >= 0 else last - 1
        self.reports += 1
        return Report(done, None if extra is None else done + extra, f"r{self.reports}")

    def report(self, r: Report) -> None:
        """report_progress now, in the calling context; its outcome recorded."""
        try:
            self.module.report_progress(r.done, r.total, r.note)
        except Exception as exc:
            self.emit(Reported(r, type(exc).__name__))
            return
        self.last_done = r.done
        self.emit(Reported(r, "accepted"))

    def start_reader(self, slow: bool) -> None:
        i = self.readers
        self.readers += 1
        gate = asyncio.Event()
        if slow:
            self.slow.append(gate)
        updates = self.job.progress.updates()
        self.emit(ReaderStarted(i))

        async def read() -> None:
            async for value in updates:
                self.emit(ReaderGot(i, _item(value)))
                if slow and not self.free:
                    await gate.wait()
                    gate.clear()
            self.emit(ReaderEnded(i))

        self.loop.create_task(read())

    def metrics(self) -> None:
        self.emit(MetricsRead(observed_metrics(self.baseline, self.module.snapshot())))

    def step(self, step: JsonObject) -> None:
        do = step["do"]
        if do == "settle":
            self.settle()
        elif do == "add":
            cont = step["cont"]
            conts = self.job.worker_job_continuations
            callback = self.continuation(cont, step["raises"])
            worker = self.subject.Worker("adder")
            self.operate(AddOrRunNow(f"k{cont}", cont, "adder"),
                         lambda: conts.add_or_run_now(f"k{cont}", callback, worker))
        elif do == "launch":
            self.operate(Launch(), self.job.launch)
        elif do == "report":
            if not self.task.outcome.done():
                self.task.requests.append(self.next_report(step["step"], step["total"]))
                self.task.wake.set()
        elif do == "report_spawned":
            if self.task.context is not None:
                r = self.next_report(step["step"], step["total"])
                self.task.context.run(self.report, r)
        elif do == "reader":
            self.start_reader(step["slow"])
        elif do == "release":
            for gate in self.slow:
                gate.set()
        elif do == "latest":
            value = self.job.progress.latest
            self.emit(LatestRead(None if value is None else _item(value)))
        elif do == "metrics":
            self.metrics()
        elif do == "end_run":
            if not self.task.outcome.done():
                self.task.outcome.set_result(RunFailed("stop") if step["fails"] else None)
                self.task.wake.set()
        elif do == "hard_cancel":
            self.operate(HardCancel("stop"), lambda: self.job.task_handle.cancel("stop"))
        elif do == "wait":
            self.operate(Wait(), self.job.wait)
        else:
            raise ValueError(f"unknown step {do!r}")

    def finish(self) -> None:
        """run() ended, the readers free, the loop settled: the trace ends quiet, with a
        last snapshot."""
        self.settle()
        if not self.task.outcome.done():
            self.task.outcome.set_result(None)
            self.task.wake.set()
        self.free = True
        for gate in self.slow:
            gate.set()
        self.settle()
        self.metrics()
        self.closed = True
