"""`workerjob drive --level progress`: progress and metrics checked through the driver
protocol.

Both sides of the exchange (DRIVER.md, "The progress level"):

- the kit's side: `scenarios()` draws step lists (continuations added, the launch,
  reports from `run()` and from a task it spawned, readers, some slow, `latest` reads,
  snapshots, the end of `run()`, a hard cancel, a wait, settles), `exchange()` sends
  one to a driver process and checks the progress-level trace events it answers with
  against `ProgressOracle`, and `check_progress()` is the campaign;
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
import contextlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.reporting import with_reporter

from workerjob.conformance.stateful.progress import observed_metrics
from workerjob.conformance.stateful.subject import completion_type as translate_type
from workerjob.conformance.stateful.subject import raised, run_outcome, task_error
from workerjob.conformance.traces import progress as progress_trace
from workerjob.conformance.traces.jsonl import JsonlError, JsonObject, decode_last, one_line
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


@dataclass
class ProgressRun:
    number: int
    steps: list[JsonObject]
    events: list[JsonObject] = field(default_factory=list)
    violation: str | None = None
    violation_line: int | None = None  # in the trace (header = line 1)

    def trace_text(self) -> str:
        lines = [header_to_json(Header("progress", JOB_WORKER)), *self.events]
        return "".join(dumps(line) + "\n" for line in lines)


def exchange(process: Any, number: int, steps: list[JsonObject],
             max_events: int = 10_000) -> ProgressRun:
    """Send one scenario, read the answer up to its `end`, check it as it comes.
    `process` has `send(obj)` and `read() -> (line number, raw, newline)`; its own
    errors propagate."""
    run = ProgressRun(number, steps)
    process.send(scenario_message(number, steps))
    header = Header("progress", JOB_WORKER)
    oracle = ProgressOracle(header.initial_state())
    parser = progress_trace.EventParser(header, max_in_flight=8)
    while True:
        line_number, raw, newline = process.read()
        try:
            obj = decode_last(raw, line_number, newline)
        except JsonlError as exc:
            raise ProgressDriverError(f"driver output line {line_number}: {exc.message}") \
                from None
        kind = obj.get("event")
        if kind in ("end", "error"):
            if obj.get("scenario") != number:
                raise ProgressDriverError(
                    f"driver output line {line_number}: {kind} of scenario "
                    f"{one_line(repr(obj.get('scenario')), 40)}, expected scenario {number}")
            if kind == "error":
                raise ProgressDriverError("the driver could not run it: "
                                          + one_line(str(obj.get("message")), 1000))
            break
        if len(run.events) >= max_events:
            raise ProgressDriverError(f"more than {max_events} events in one answer")
        run.events.append(obj)
        trace_line = len(run.events) + 1
        try:
            obs = parser.parse(obj, trace_line)
        except JsonlError as exc:
            raise ProgressDriverError(f"trace line {trace_line}: {exc.message}") from None
        if run.violation is None and (v := oracle.observe(obs)) is not None:
            run.violation, run.violation_line = f"line {trace_line}: {v.explain()}", trace_line
    if run.violation is None and (v := oracle.finish()) is not None:
        run.violation = (f"at the end of the trace (after line {len(run.events) + 1}):\n"
                         f"{v.explain()}")
    return run


@dataclass
class ProgressLevelResult:
    scenarios: int = 0
    failing: ProgressRun | None = None


class _Abort(BaseException):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Violation(AssertionError):
    pass


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with with_reporter(lambda _: None), contextlib.redirect_stdout(io.StringIO()):
        yield


def check_progress(process: Any, *, examples: int, seed_value: int, shrink: bool = True,
                   broken: tuple[type[Exception], ...] = ()) -> ProgressLevelResult:
    """The progress campaign on an open driver process. Exceptions of the `broken`
    types (the process's own) and `ProgressDriverError` escape, unless a violation was
    found first."""
    result = ProgressLevelResult()
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    counter = [1]
    breaks: tuple[type[Exception], ...] = (ProgressDriverError, *broken)

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, phases=phases,
              print_blob=False, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(steps=scenarios())
    def scenario(steps: list[JsonObject]) -> None:
        number = counter[0]
        counter[0] += 1
        try:
            run = exchange(process, number, steps)
        except breaks as exc:
            raise _Abort(exc) from None
        result.scenarios += 1
        if run.violation is not None:
            if result.failing is None or len(run.steps) < len(result.failing.steps):
                result.failing = run
            raise _Violation(run.violation)

    try:
        with _quiet():
            scenario()
    except _Abort as abort:
        if result.failing is None:
            raise abort.error from None
    except (_Violation, HypothesisException, ExceptionGroup):
        if result.failing is None:
            raise
    return result


def run_campaign(open_process: Callable[[], Any], broken: type[Exception], *, command: str,
                 examples: int, seed_value: int, shrink: bool, as_json: bool,
                 save_trace: str | None, replay: str = "") -> int:
    """`workerjob drive --level progress`: open the driver, run the campaign, report,
    and return the exit code (0 conforms, 1 violation, 2 the driver is broken). The
    driver is closed whatever happens; Ctrl-C propagates to the caller."""
    started = time.perf_counter()
    process = None
    result = ProgressLevelResult()
    broke: str | None = None
    try:
        process = open_process()
        result = check_progress(process, examples=examples, seed_value=seed_value,
                                shrink=shrink, broken=(broken,))
    except (ProgressDriverError, broken) as exc:
        broke = str(exc)
    finally:
        if process is not None:
            process.close()
    seconds = time.perf_counter() - started
    failing = result.failing
    code = 1 if failing is not None else 2 if broke is not None else 0
    if failing is not None and save_trace:
        try:
            with open(save_trace, "w", encoding="ascii") as f:
                f.write(failing.trace_text())
        except OSError as exc:
            print(f"workerjob drive: cannot write {save_trace}: {exc}", file=sys.stderr)
    summary = f"{result.scenarios} scenarios in {seconds:.1f} s; seed {seed_value}"
    if as_json:
        print(json.dumps({
            "command": command, "spec": "atomic+progress", "seed": seed_value, "exit": code,
            "verdict": ["conforms", "violation", "driver broken"][code],
            "scenarios": result.scenarios, "seconds": round(seconds, 3), "broken": broke,
            "failing": None if failing is None else {
                "level": "progress", "steps": failing.steps, "report": failing.violation,
                "violation_line": failing.violation_line, "trace": failing.trace_text(),
                "replay": replay}}))
    elif failing is not None:
        print(f"workerjob drive: {command} does not conform (progress level)\n")
        print(f"scenario ({len(failing.steps)} steps):")
        for step in failing.steps:
            print(f"  {json.dumps(step)}")
        print("\nthe trace the driver answered with:")
        for n, line in enumerate(failing.trace_text().splitlines(), 1):
            print(f"{'>>' if n == failing.violation_line else '  '}{n:4d}  {one_line(line, 400)}")
        print(f"\n{failing.violation}\n\n{summary}")
        if replay:
            print(f"replay: {replay}")
    elif broke is not None:
        print(f"workerjob drive: the driver `{command}` is broken: {broke}\n{summary}",
              file=sys.stderr)
    else:
        print(f"{command} conforms to the progress model through the driver protocol: "
              f"{summary}")
    return code


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
