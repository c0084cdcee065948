"""`workerjob drive --level scheduler`: a scheduler checked through the driver protocol.

Both sides of the exchange for the scheduler (DRIVER.md, "Scheduler scenarios"):

- the kit's side: `scenarios()` draws step lists (submissions with priorities and needs,
  resubmissions, ends of runs, cancels, waits, close, settles), `exchange()` sends one
  to a driver process and checks the scheduler trace events it answers with against
  the scheduler's model (`SchedOracle`), and `LEVEL` is the campaign (`level_drive`);
- the reference driver's side: `SchedulerScenario` runs one scenario on a subject that
  exports `JobScheduler` and records the events, for `driver_impl`.

Scenario message: `{"scenario": n, "version": 1, "level": "scheduler",
"max_concurrent": 2, "capacity": {"cpu": 2, "gpu": 1}, "steps": [...]}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from workerjob.conformance.traces.jsonl import JsonlError, JsonObject
from workerjob.model.scheduler import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SubmitReturned,
    Submitted,
    WaitReturned,
)
from workerjob.model.scheduler.state import amounts

from . import level_drive, scheduler_trace

PROTOCOL_VERSION = 1
MAX_CONCURRENT = 2
CAPACITY = {"cpu": 2, "gpu": 1}
MAX_JOBS = 6
MAX_STEPS = 24
NEEDS: tuple[dict[str, int], ...] = (
    {}, {"gpu": 1}, {"cpu": 1}, {"cpu": 2}, {"gpu": 1, "cpu": 1}, {"gpu": 2}, {"tpu": 1})

# --- the kit's side: scenarios ------------------------------------------------------------


def _raw_steps() -> st.SearchStrategy[JsonObject]:
    job = st.integers(0, MAX_JOBS - 1)
    # Weighted: the scheduler's choices need jobs queued at once, mostly with small needs.
    needs = st.one_of(st.sampled_from(NEEDS[:3]), st.sampled_from(NEEDS))
    submit = st.builds(lambda p, n: {"do": "submit", "priority": p, "needs": n},
                       st.integers(0, 2), needs)
    return st.one_of(
        st.just({"do": "settle"}),
        submit, submit, submit,
        st.builds(lambda j: {"do": "resubmit", "job": j}, job),
        st.builds(lambda j, f: {"do": "end_run", "job": j, "fails": f}, job, st.booleans()),
        st.builds(lambda j: {"do": "cancel", "job": j}, job),
        st.builds(lambda j: {"do": "wait", "job": j}, job),
        st.just({"do": "close"}),
    )


def normalize(raw: Sequence[JsonObject]) -> list[JsonObject]:
    """Number the submitted jobs in order; keep references to jobs that exist (a job
    number wraps round the jobs so far), one end and one wait per job, one close; no
    empty settles."""
    out: list[JsonObject] = []
    jobs = 0
    ended: set[int] = set()
    waited: set[int] = set()
    closed = False
    for original in raw:
        step = dict(original)
        do = step["do"]
        if do == "settle":
            if not out or out[-1]["do"] == "settle":
                continue
        elif do == "submit":
            if jobs == MAX_JOBS:
                continue
            step = {"do": "submit", "job": jobs, **{k: v for k, v in step.items() if k != "do"}}
            jobs += 1
        elif do == "close":
            if closed:
                continue
            closed = True
        else:
            if jobs == 0:
                continue
            step["job"] = step["job"] % jobs
            if do == "end_run":
                if step["job"] in ended:
                    continue
                ended.add(step["job"])
            if do == "wait":
                if step["job"] in waited:
                    continue
                waited.add(step["job"])
        out.append(step)
    while out and out[-1]["do"] == "settle":
        out.pop()
    return out


def scenarios() -> st.SearchStrategy[list[JsonObject]]:
    return st.lists(_raw_steps(), max_size=MAX_STEPS).map(normalize)


def scenario_message(number: int, steps: list[JsonObject]) -> JsonObject:
    return {"scenario": number, "version": PROTOCOL_VERSION, "level": "scheduler",
            "max_concurrent": MAX_CONCURRENT, "capacity": dict(CAPACITY), "steps": steps}


def requested_submissions(steps: list[JsonObject]) -> set[Submitted]:
    """The `submit` events the scenario asks for (a resubmission: priority 0, no needs)."""
    out: set[Submitted] = set()
    for step in steps:
        if step["do"] == "submit":
            out.add(Submitted(step["job"], step["priority"], amounts(dict(step["needs"]))))
        elif step["do"] == "resubmit":
            out.add(Submitted(step["job"], 0, ()))
    return out


# --- the kit's side: one exchange, and the campaign -------------------------------------------


class SchedDriverError(Exception):
    """The driver broke the protocol: it crashed, hung, or answered with something that
    is not a scheduler trace event, or with a submission the scenario did not ask for."""


class SchedRun(level_drive.StepsRun):
    """A scheduler scenario's answer; its trace is a scheduler trace (`scheduler_trace`)."""

    def trace_text(self) -> str:
        header = scheduler_trace.SchedHeader(MAX_CONCURRENT, dict(CAPACITY))
        lines = [scheduler_trace.header_to_json(header), *self.events]
        return "".join(scheduler_trace.dumps_line(line) for line in lines)


def exchange(process: Any, number: int, steps: list[JsonObject],
             max_events: int = level_drive.MAX_EVENTS,
             max_bytes: int = level_drive.MAX_BYTES) -> SchedRun:
    """Send one scenario, read the answer up to its `end`, check it as it comes.
    `process` has `send(obj)` and `read() -> (line number, raw, newline)`; its own
    errors propagate."""
    run = SchedRun(number, steps)
    process.send(scenario_message(number, steps))
    oracle = SchedOracle(MAX_CONCURRENT, CAPACITY)
    wanted = requested_submissions(steps)
    for obj, trace_line in level_drive.answer(process, number, run.events, SchedDriverError,
                                              max_events, max_bytes):
        try:
            obs = scheduler_trace.from_json(obj, trace_line)
        except JsonlError as exc:
            raise SchedDriverError(f"trace line {trace_line}: {exc.message}") from None
        if isinstance(obs, Submitted) and obs not in wanted:
            raise SchedDriverError(f"trace line {trace_line}: the driver reported `{obs}`, "
                                   "which the scenario did not ask for")
        if run.violation is None and (v := oracle.observe(obs)) is not None:
            run.violation, run.violation_line = f"line {trace_line}: {v.explain()}", trace_line
    if run.violation is None and (v := oracle.finish()) is not None:
        run.violation = level_drive.at_the_end(run.events, v.explain())
    return run


LEVEL = level_drive.Level(
    "scheduler", spec="scheduler", model="the scheduler's model", scenarios=scenarios,
    exchange=exchange, driver_error=SchedDriverError)


# --- the reference driver's side -------------------------------------------------------------


class RunFailed(Exception):
    """What a job's run() raises when the scenario ends it with `fails`."""


class _Run:
    def __init__(self, scenario: SchedulerScenario, job: int) -> None:
        self.scenario = scenario
        self.job = job
        self.outcome: asyncio.Future[BaseException | None] = scenario.loop.create_future()

    async def run(self) -> None:
        error = await self.outcome
        self.scenario.emit(RunEnded(self.job, "ok" if error is None else type(error).__name__))
        if error is not None:
            raise error


class SchedulerScenario:
    """One scheduler scenario on `loop` against `subject` (a module that exports
    `JobScheduler`); `settle` runs the loop until nothing more happens by itself. At the
    end every started run is ended and the loop settles, so the trace is complete."""

    def __init__(self, subject: Any, scenario: JsonObject, loop: asyncio.AbstractEventLoop,
                 settle: Callable[[], None]) -> None:
        self.subject = subject
        self.loop = loop
        self.settle = settle
        self.events: list[JsonObject] = []
        self.closed = False
        self.steps: list[JsonObject] = scenario["steps"]
        self.sched: Any = subject.module.JobScheduler(
            scenario["max_concurrent"], capacity=dict(scenario["capacity"]))
        self.jobs: dict[int, Any] = {}
        self.runs: dict[int, _Run] = {}
        self.launched: set[int] = set()
        outer = self

        class ObservedJob(subject.WorkerJob):  # type: ignore[misc]
            job_id: int

            def launch(self) -> None:
                outer.launched.add(self.job_id)
                outer.emit(Launched(self.job_id))
                super().launch()

        self.job_class: Any = ObservedJob

    def emit(self, obs: SchedObservation) -> None:
        if not self.closed:
            self.events.append(scheduler_trace.to_json(obs))

    def job(self, job_id: int) -> Any:
        if job_id not in self.jobs:
            run = _Run(self, job_id)
            job = self.job_class(self.subject.Worker(f"job-{job_id}"), run,
                                 self.subject.CancellationToken())
            job.job_id = job_id
            self.jobs[job_id], self.runs[job_id] = job, run
        return self.jobs[job_id]

    def run(self) -> list[JsonObject]:
        for step in self.steps:
            self.step(step)
        self.finish()
        return self.events

    def start(self, body: Callable[[], Any]) -> None:
        async def go() -> None:
            value = body()
            if asyncio.iscoroutine(value):
                await value

        self.loop.create_task(go())

    def step(self, step: JsonObject) -> None:
        do = step["do"]
        if do == "settle":
            self.settle()
        elif do == "submit":
            job = self.job(step["job"])
            self.start(lambda: self._submit(step["job"], job, step["priority"],
                                            dict(step["needs"])))
        elif do == "resubmit":
            job = self.job(step["job"])
            self.start(lambda: self._submit(step["job"], job, 0, {}))
        elif do == "end_run":
            run = self.runs.get(step["job"])
            if run is not None and not run.outcome.done():
                run.outcome.set_result(RunFailed(str(step["job"])) if step["fails"] else None)
        elif do == "cancel":
            self.start(lambda: self._cancel(step["job"]))
        elif do == "wait":
            self.start(lambda: self._wait(step["job"]))
        elif do == "close":
            self.start(self._close)
        else:
            raise ValueError(f"unknown step {do!r}")

    def _submit(self, job_id: int, job: Any, priority: int, needs: dict[str, int]) -> None:
        self.emit(Submitted(job_id, priority, amounts(needs)))
        try:
            self.sched.submit(job, priority=priority, needs=needs)
        except Exception as exc:
            self.emit(SubmitReturned(job_id, type(exc).__name__))
            return
        self.emit(SubmitReturned(job_id, "ok"))

    def _cancel(self, job_id: int) -> None:
        job = self.jobs[job_id]
        job.cancel()
        state = job.worker_job_continuations.state
        done = (type(state).__name__ == "Done" and state.error_message is None
                and getattr(state.completion_type, "value", None) == "cancelled")
        self.emit(Cancelled(job_id, done))

    async def _wait(self, job_id: int) -> None:
        try:
            await self.jobs[job_id].wait()
        except BaseException as exc:
            if self.closed:
                raise
            if not (isinstance(exc, RuntimeError) and "not launched" in str(exc)):
                self.emit(WaitReturned(job_id, type(exc).__name__))
            return
        self.emit(WaitReturned(job_id, "ok"))

    async def _close(self) -> None:
        self.emit(Closed())
        await self.sched.aclose()
        self.emit(CloseReturned())

    def finish(self) -> None:
        while True:
            self.settle()
            pending = [r for j, r in self.runs.items()
                       if j in self.launched and not r.outcome.done()]
            if not pending:
                break
            for r in pending:
                r.outcome.set_result(None)
        self.closed = True
