"""`workerjob drive --level timeouts`: timeouts and retries checked through the driver
protocol (DRIVER.md, "Timeouts scenarios").

Both sides of the exchange, as `scheduler_drive` is for the scheduler:

- the kit's side: `scenarios()` draws a job's options (a timeout, a grace period, a
  retry policy), a script of attempts (how long each runs in virtual seconds, whether
  it stops when the token is cancelled, how it ends) and steps (launch, cancel, hard
  cancel, wait, read, virtual time passing, settle); `exchange()` sends one to a driver
  and checks the timeouts-level trace events it answers with against
  `workerjob.model.timeouts` (`TimeoutsOracle`); `LEVEL` is the campaign (`level_drive`);
- the reference driver's side: `TimeoutsScenario` runs one scenario on a controlled
  loop (virtual time) against a subject that has the options, for `driver_impl`.

The model judges the order of the events. When the driver gives each event its
instant on its virtual clock (`t`, optional in the trace format),
`timeouts.InstantChecks` also checks the deadline, the grace period's cancel, each
backoff and the end of a job cut short in a backoff to the instant, as the `verify`
level does against its loop's clock (within `timeouts.TOLERANCE`; `check-trace` runs
the same checks). A timer left scheduled cannot be seen from outside: that check is
`verify`'s alone.

Scenario message: `{"scenario": n, "version": 1, "level": "timeouts", "options":
{"timeout": 1.0, "grace": null, "retry": {...} | null}, "continuations": [1, 2],
"attempts": [{"runs": 0.5, "ends": "flaky", "cooperative": true}, ...], "steps": [...]}`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from workerjob.conformance.stateful.subject import (
    Subject,
    Untranslatable,
    completion_type,
    phase,
    raised,
    task_error,
)
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.trace_format import TraceFormatError, dumps, header_to_json
from workerjob.model import Ok, Result, RunOutcome
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
    initial,
)

from . import level_drive, timeouts

PROTOCOL_VERSION = 1
JOB_WORKER = "job-worker"
CONTINUATIONS = (1, 2)
MAX_STEPS = 16
RETRYABLE = "FlakyError"  # the error type the scenarios' retry policies retry on
ENDS = ("returns", "flaky", "fatal")
ADVANCES = (0.25, 0.5, 0.75, 1.0, 1.5, 3.0)

# --- the kit's side: scenarios ------------------------------------------------------------

_retry = st.fixed_dictionaries({
    "max_attempts": st.sampled_from([2, 3, 1]),
    "initial": st.sampled_from([0.25, 0.5]),
    # A factor of 1 (a constant backoff) less often, as the verify level draws it.
    "factor": st.sampled_from([2.0, 3.0, 2.0, 1.0]),
    "max_delay": st.sampled_from([0.75, 10.0]),
})
# Weighted: retries need a retry policy and attempts that fail with a retryable error;
# 1.0 is the drawn timeout's instant, where run() ending races the deadline.
_attempt = st.fixed_dictionaries({
    "runs": st.sampled_from([0.5, 1.0, 0.0, 4.0, 1.0]),
    "ends": st.sampled_from(["flaky", "returns", "fatal", "flaky"]),
    "cooperative": st.booleans(),
})


@st.composite
def _options(draw: st.DrawFn) -> JsonObject:
    timeout = draw(st.sampled_from([1.0, None, 2.5]))
    grace = draw(st.sampled_from([None, 0.5, 0.0])) if timeout is not None else None
    retry = draw(st.one_of(_retry, _retry, st.none()))
    return {"timeout": timeout, "grace": grace, "retry": retry}


def _raw_steps() -> st.SearchStrategy[JsonObject]:
    """One step before numbering. Settle first: what a deleted step shrinks towards."""
    return st.one_of(
        st.just({"do": "settle"}),
        st.just({"do": "launch"}),
        st.builds(lambda s: {"do": "advance", "seconds": s}, st.sampled_from(ADVANCES)),
        st.just({"do": "read"}),
        st.just({"do": "cancel"}),
        st.just({"do": "wait"}),
        st.builds(lambda msg: {"do": "hard_cancel", "msg": msg}, st.sampled_from([None, "stop"])),
    )


def normalize(raw: Sequence[JsonObject]) -> list[JsonObject]:
    """Keep a scenario within what the kit promises a driver (DRIVER.md): one launch;
    `wait` (one, id 1: a job is waited once) and `hard_cancel` (one) only after it; no
    empty settles.
    Then the end every scenario has: a launch if none came, a settle (the job runs
    out), a read."""
    out: list[JsonObject] = []
    launched = False
    waits = hard_cancels = 0
    for original in raw:
        step = dict(original)
        do = step["do"]
        if do == "settle" and (not out or out[-1]["do"] == "settle"):
            continue
        if do == "launch":
            if launched:
                continue
            launched = True
        if do == "wait":
            if not launched or waits == 1:
                continue
            waits += 1
            step = {"do": "wait", "id": waits}
        if do == "hard_cancel":
            if not launched or hard_cancels == 1:
                continue
            hard_cancels += 1
        out.append(step)
    if not launched:
        out.append({"do": "launch"})
    if [s["do"] for s in out[-2:]] != ["settle", "read"]:  # (already there: idempotent)
        if out[-1]["do"] != "settle":
            out.append({"do": "settle"})
        out.append({"do": "read"})
    return out


@dataclass(frozen=True)
class Scenario:
    options: JsonObject
    attempts: list[JsonObject]
    steps: list[JsonObject]

    def message(self, number: int) -> JsonObject:
        return {"scenario": number, "version": PROTOCOL_VERSION, "level": "timeouts",
                "options": self.options, "continuations": list(CONTINUATIONS),
                "attempts": self.attempts, "steps": self.steps}

    def model_options(self) -> Options:
        retry = self.options["retry"]
        return Options(self.options["timeout"], self.options["grace"],
                       1 if retry is None else retry["max_attempts"])


def scenarios() -> st.SearchStrategy[Scenario]:
    return st.builds(Scenario, _options(), st.lists(_attempt, min_size=1, max_size=3),
                     st.lists(_raw_steps(), max_size=MAX_STEPS).map(normalize))


def header(scenario: Scenario) -> JsonObject:
    return header_to_json(timeouts.header(scenario.model_options(), frozenset(CONTINUATIONS)))


# --- the kit's side: one exchange, and the campaign -------------------------------------------


class TimeoutsDriverError(Exception):
    """The driver broke the protocol: it crashed, hung, or answered with something that
    is not a timeouts-level event, or with an action the scenario did not ask for."""


ACTIONS = ("launch", "cancel", "hard_cancel", "read")  # one event per such step


@dataclass
class TimeoutsRun:
    number: int
    scenario: Scenario
    events: list[JsonObject] = field(default_factory=list)
    violation: str | None = None
    violation_line: int | None = None  # in the trace (header = line 1)

    @property
    def steps(self) -> list[JsonObject]:
        return self.scenario.steps

    def trace_text(self) -> str:
        return "".join(dumps(line) + "\n" for line in [header(self.scenario), *self.events])


def exchange(process: Any, number: int, scenario: Scenario,
             max_events: int = level_drive.MAX_EVENTS,
             max_bytes: int = level_drive.MAX_BYTES) -> TimeoutsRun:
    """Send one scenario, read the answer up to its `end`, check it as it comes.
    `process` has `send(obj)` and `read() -> (line number, raw, newline)`; its own
    errors propagate."""
    run = TimeoutsRun(number, scenario)
    process.send(scenario.message(number))
    oracle = TimeoutsOracle(initial(scenario.model_options(), frozenset(CONTINUATIONS)))
    parser = timeouts.EventParser(frozenset(CONTINUATIONS))
    asked = {kind: sum(s["do"] == kind for s in scenario.steps) for kind in ACTIONS}
    told = dict.fromkeys(ACTIONS, 0)
    waits = {s["id"] for s in scenario.steps if s["do"] == "wait"}
    instants = timeouts.InstantChecks(scenario.options)
    for obj, trace_line in level_drive.answer(process, number, run.events, TimeoutsDriverError,
                                              max_events, max_bytes):
        kind = obj.get("event")
        try:
            obs = parser.parse(obj, trace_line)
        except TraceFormatError as exc:
            raise TimeoutsDriverError(f"trace line {trace_line}: {exc.message}") from None
        if isinstance(obs, WaitCalled) and obs.op_id not in waits:
            raise TimeoutsDriverError(f"trace line {trace_line}: wait {obs.op_id}, which the "
                                      "scenario did not ask for")
        if kind in told:
            told[kind] += 1
            if told[kind] > asked[kind]:
                raise TimeoutsDriverError(f"trace line {trace_line}: more `{kind}` events "
                                          f"than the scenario's {asked[kind]} {kind} step(s)")
        if run.violation is None and (v := oracle.observe(obs)) is not None:
            run.violation, run.violation_line = f"line {trace_line}: {v.explain()}", trace_line
        if run.violation is None and (problem := instants.feed(obj)) is not None:
            run.violation, run.violation_line = f"line {trace_line}:\n{problem}", trace_line
    missing = [k for k in ACTIONS if told[k] < asked[k]]
    missing += [f"wait {w}" for w in sorted(waits - parser.waits - parser.returned)]
    if run.violation is None and missing:
        raise TimeoutsDriverError(f"the driver never reported {', '.join(missing)}")
    if run.violation is None and (v := oracle.finish()) is not None:
        run.violation = level_drive.at_the_end(run.events, v.explain())
    return run


def _size(run: TimeoutsRun) -> tuple[int, int, str]:
    s = run.scenario
    return (len(s.steps) + len(s.attempts), len(json.dumps(s.options)),
            json.dumps(s.message(0)))


def _describe(run: TimeoutsRun) -> JsonObject:
    return {"scenario": run.scenario.message(run.number)}


def _preamble(run: TimeoutsRun) -> list[str]:
    return [f"options: {json.dumps(run.scenario.options)}",
            f"attempts: {json.dumps(run.scenario.attempts)}"]


LEVEL = level_drive.Level(
    "timeouts", spec="timeouts", model="the timeouts model", scenarios=scenarios,
    exchange=exchange, driver_error=TimeoutsDriverError, size=_size, describe=_describe,
    preamble=_preamble)


# --- the reference driver's side -------------------------------------------------------------


class FlakyError(Exception):
    """What an attempt that ends `flaky` raises: the scenarios' policies retry on it."""


def _ending(ends: str) -> BaseException | None:
    return {"returns": None, "flaky": FlakyError("flaky"),
            "fatal": RuntimeError("fatal")}[ends]


class _Token:
    """The subject's token, with every `cancel()` reported: a `cancel` step's as
    `cancel`, any other (the job's own: its deadline) as `deadline`."""

    def __init__(self, scenario: TimeoutsScenario, real: Any) -> None:
        self.scenario = scenario
        self.real = real

    def cancel(self) -> None:
        self.scenario.emit(Cancelled() if self.scenario.by_step else DeadlineCancel())
        self.real.cancel()

    def is_cancelled(self) -> bool:
        return bool(self.real.is_cancelled())

    async def cancelled(self) -> None:
        await self.real.cancelled()


class _ScriptedTask:
    """The job's WorkerTask: attempt n follows the scenario's n-th attempt (the last
    one for every later attempt); it reports its start and, just before it leaves,
    its end."""

    def __init__(self, scenario: TimeoutsScenario) -> None:
        self.scenario = scenario
        self.started = 0

    async def run(self) -> None:
        s = self.scenario
        self.started += 1
        s.emit(AttemptStarted(self.started))
        attempt = s.attempts[min(self.started, len(s.attempts)) - 1]
        try:
            await s.sleep(attempt["runs"], attempt["cooperative"])
        except asyncio.CancelledError as exc:
            s.emit(AttemptEnded(RunOutcome(task_error(exc), hard_cancelled=True),
                                retryable=False))
            raise
        error = _ending(attempt["ends"])
        s.emit(AttemptEnded(RunOutcome(task_error(error)),
                            retryable=isinstance(error, FlakyError)))
        if error is not None:
            raise error


class TimeoutsScenario:
    """One timeouts scenario on `loop` (with virtual time: the kit's `ControlledLoop`)
    against `subject` (a module whose `WorkerJob` takes `timeout=`, `grace=`, `retry=`
    and which exports `RetryPolicy`). `settle` lets time pass until nothing more
    happens; `advance` exactly so many seconds."""

    def __init__(self, subject: Subject, scenario: JsonObject, loop: Any,
                 settle: Callable[[], None], untranslatable: Callable[[str], None]) -> None:
        self.loop = loop
        self.settle = settle
        self.untranslatable = untranslatable
        self.events: list[JsonObject] = []
        self.closed = False
        self.by_step = False  # a `cancel` step is cancelling the token
        self.steps: list[JsonObject] = scenario["steps"]
        self.attempts: list[JsonObject] = scenario["attempts"]
        options = scenario["options"]
        retry = None
        if options["retry"] is not None:
            r = options["retry"]
            retry = subject.module.RetryPolicy(
                max_attempts=r["max_attempts"], initial=r["initial"], factor=r["factor"],
                max_delay=r["max_delay"], retry_on=(FlakyError,))
        self.token = _Token(self, subject.CancellationToken())
        worker = subject.Worker(JOB_WORKER)
        self.job: Any = subject.WorkerJob(worker, _ScriptedTask(self), self.token,
                                          timeout=options["timeout"], grace=options["grace"],
                                          retry=retry)
        conts = self.job.worker_job_continuations
        for cont in scenario["continuations"]:
            loop.run_until_complete(conts.add_or_run_now(f"k{cont}", self.continuation(cont),
                                                         worker))

    def emit(self, obs: Observation) -> None:
        if not self.closed:
            self.events.append({**timeouts.observation_to_json(obs), "t": self.loop.time()})

    def continuation(self, cont: int) -> Any:
        scenario = self

        async def body(worker: Any, kind: Any, message: Any) -> None:
            try:
                translated = completion_type(kind)
            except Untranslatable as exc:
                scenario.untranslatable(f"c{cont} received {exc}")
                return
            scenario.emit(Start(cont, translated, message))

        return body

    async def sleep(self, seconds: float, cooperative: bool) -> None:
        """`seconds` of virtual time, or (cooperative) until the token is cancelled."""
        waiter: asyncio.Future[None] = self.loop.create_future()
        handle = self.loop.call_later(seconds, _release, waiter)
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

    def run(self) -> list[JsonObject]:
        for step in self.steps:
            self.step(step)
        self.settle()
        self.closed = True
        return self.events

    def spawn(self, body: Callable[[], Any]) -> None:
        async def go() -> None:
            value = body()
            if asyncio.iscoroutine(value):
                await value

        self.loop.create_task(go())

    def step(self, step: JsonObject) -> None:
        do = step["do"]
        if do == "settle":
            self.settle()
        elif do == "advance":
            run_for(self.loop, step["seconds"])
        elif do == "launch":
            # Done before the next step, not only started: a `wait` step after it must
            # find the job launched whatever the schedule.
            self.loop.run_until_complete(self._launch())
        elif do == "cancel":
            self.spawn(self._cancel)
        elif do == "hard_cancel":
            msg = step["msg"]
            self.spawn(lambda: self._hard_cancel(msg))
        elif do == "wait":
            op_id = step["id"]
            self.spawn(lambda: self._wait(op_id))
        elif do == "read":
            self.spawn(self._read)
        else:
            raise ValueError(f"unknown step {do!r}")

    async def _launch(self) -> None:
        self.job.launch()
        self.emit(Launched())

    def _cancel(self) -> None:
        self.by_step = True
        try:
            self.job.cancel()
        finally:
            self.by_step = False

    def _hard_cancel(self, msg: str | None) -> None:
        self.emit(HardCancelled(msg))
        self.job.task_handle.cancel(msg)

    async def _wait(self, op_id: int) -> None:
        self.emit(WaitCalled(op_id))
        result: Result = Ok()
        try:
            await self.job.wait()
        except BaseException as exc:  # wait()'s own outcome
            if self.closed:
                raise
            result = raised(exc)
        self.emit(WaitReturned(op_id, result))

    def _read(self) -> None:
        job = self.job
        try:
            state = phase(job.worker_job_continuations.state)
        except Untranslatable as exc:
            self.untranslatable(str(exc))
            return
        self.emit(Read(job.attempts, job.timed_out, state))


def run_for(loop: Any, seconds: float) -> None:
    """Let `seconds` of virtual time pass on a `ControlledLoop`: every timer due by
    then runs, and what is ready at that instant, but nothing due later. Public API
    only: a marker timer at the target instant, placed again until it is the first
    thing to run (what became ready behind one marker runs before the next)."""
    target = loop.time() + seconds
    while True:
        fired: list[bool] = []
        loop.call_at(target, fired.append, True)
        before = loop.steps_taken
        while not fired and loop.step():
            pass
        if loop.steps_taken - before <= 1:
            return


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
