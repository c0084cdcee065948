"""The reference driver: the driver protocol (DRIVER.md) spoken for a Python subject.

    python -m workerjob.conformance.traces.driver_impl [--impl MODULE] [--loop controlled|asyncio]
                                                [--schedule fifo|random] [--v1]

It reads scenarios from stdin, one JSON object per line, runs each on a fresh event
loop against `workerjob.impl` (or the module named by `--impl`, as `verify` loads it),
and answers each with the v1 trace events it observed, then
`{"event": "end", "scenario": n}`. From the repository root,

    .venv/bin/workerjob drive -- .venv/bin/python -m workerjob.conformance.traces.driver_impl

checks the bundled implementation the way a Rust or Go implementation is checked,
through a pipe (name the Python workerjob is installed in: a bare `python` may be
another). What the implementation prints goes to stderr: stdout is the protocol's.
Its first line is a hello announcing `is_active` and `is_complete` (`capabilities`);
`--v1` leaves it out, so that the driver speaks plain v1 and is sent v1 scenarios only.

The interleaving is the driver's business. By default a scenario runs on the kit's
`ControlledLoop` in FIFO order (`--schedule random` picks each step at random, seeded
by the scenario's text, so a scenario always runs the same way), where "settle" is
exact: `run_until_idle()`. `--loop asyncio` runs on a stock loop instead, where settling
means letting the loop go round `SETTLE_ROUNDS` times, as a driver on a runtime
without a notion of idleness would wait for a quiet period.
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import inspect
import json
import os
import sys
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from workerjob.conformance.loop.choosers import RandomChooser
from workerjob.conformance.loop.loop import ControlledLoop, Livelock
from workerjob.conformance.stateful.subject import (
    Subject,
    SubjectError,
    Untranslatable,
    completion_type,
    load_subject,
    phase,
    raised,
    run_outcome,
    task_error,
)
from workerjob.conformance.traces import capabilities
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.trace_format import dumps, observation_to_json
from workerjob.model import (
    AddOrRunNow,
    Cancel,
    Complete,
    HardCancel,
    Invoke,
    IsActive,
    IsComplete,
    Launch,
    Observation,
    Ok,
    Op,
    ReadState,
    Result,
    Return,
    RunEnded,
    RunOutcome,
    Start,
    Wait,
)

from .progress_drive import ProgressScenario
from .scheduler_drive import SchedulerScenario
from .timeouts_drive import TimeoutsScenario

PROTOCOL_VERSION = 1
SETTLE_ROUNDS = 64  # stock loop: trips round the loop that count as "nothing more happens"


class ContinuationFailed(Exception):
    """What a continuation of the `raises` kind raises."""


class DriverProblem(Exception):
    """A scenario this driver cannot run; answered with an `error` event."""


_made: dict[str, type[BaseException]] = {}


def make_error(spec: JsonObject | None) -> BaseException | None:
    """The exception a scenario names: a builtin exception class of that name, else a
    fresh `Exception` subclass with that name (so `type(e).__name__` is the name)."""
    if spec is None:
        return None
    name, message = spec["type"], spec["message"]
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = _made.setdefault(name, type(name, (Exception,), {}))
    return cls(message)


class _GatedTask:
    """The job's WorkerTask: run() waits for the scenario's `finish_run`, and reports
    how it ended just before it leaves (cancelled included)."""

    def __init__(self, runner: ScenarioRunner) -> None:
        self.runner = runner
        self.outcome: asyncio.Future[BaseException | None] = runner.loop.create_future()

    async def run(self) -> None:
        try:
            error = await self.outcome
        except asyncio.CancelledError as exc:  # a hard cancel of the job's task
            self.runner.emit(RunEnded(RunOutcome(task_error(exc), hard_cancelled=True)))
            raise
        self.runner.emit(RunEnded(run_outcome(error)))
        if error is not None:
            raise error


class ScenarioRunner:
    """One scenario on one fresh loop: the subject's objects, the steps, the events."""

    def __init__(self, subject: Subject, scenario: JsonObject, loop_kind: str,
                 schedule: str, seed: int) -> None:
        self.subject = subject
        self.scenario = scenario
        self.level = scenario["level"]
        if loop_kind == "controlled":
            chooser = RandomChooser(seed) if schedule == "random" else None
            self.loop: asyncio.AbstractEventLoop = ControlledLoop(chooser)
        else:
            self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(self._loop_exception)
        self.events: list[JsonObject] = []
        self.closed = False  # after the final settle: what happens next is teardown
        self.problem: str | None = None
        self.workers: dict[str, Any] = {}
        self.token: Any = subject.CancellationToken()
        self.gate: asyncio.Future[None] = self.loop.create_future()
        if self.level == "job":
            self.task = _GatedTask(self)
            self.job: Any = subject.WorkerJob(self.worker(scenario["job_worker"]), self.task,
                                              self.token)
            self.conts: Any = self.job.worker_job_continuations
        else:
            self.conts = subject.Continuations()

    def worker(self, name: str) -> Any:
        if name not in self.workers:
            self.workers[name] = self.subject.Worker(name)
        return self.workers[name]

    # --- recording ----------------------------------------------------------------------

    def emit(self, obs: Observation) -> None:
        if not self.closed:
            self.events.append(observation_to_json(obs))

    def untranslatable(self, what: str) -> None:
        if not self.closed and self.problem is None:
            self.problem = f"the implementation did something the contract has no word for: {what}"

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ContinuationFailed) or self.closed:
            return  # a continuation of the `raises` kind: the loop's handler got it, as SPEC says
        print(f"driver_impl: the loop's exception handler got: {context.get('message')} "
              f"{context.get('exception')!r}", file=sys.stderr)

    # --- the steps ----------------------------------------------------------------------

    def run(self) -> list[JsonObject]:
        try:
            for step in self.scenario["steps"]:
                self.step(step)
            self.settle()
        finally:
            self.closed = True
            self.teardown()
        if self.problem is not None:
            raise DriverProblem(self.problem)
        return self.events

    def step(self, step: JsonObject) -> None:
        do = step["do"]
        if do == "settle":
            self.settle()
        elif do == "open_gate":
            if not self.gate.done():
                self.gate.set_result(None)
        elif do == "finish_run":
            if self.level != "job":
                raise DriverProblem("finish_run needs the job level")
            if not self.task.outcome.done():
                self.task.outcome.set_result(make_error(step["error"]))
        else:
            self.start_op(step)

    def settle(self) -> None:
        """Run until nothing more happens by itself."""
        try:
            if isinstance(self.loop, ControlledLoop):
                self.loop.run_until_idle()
            else:
                self.loop.run_until_complete(_rounds(SETTLE_ROUNDS))
        except Livelock as exc:
            raise DriverProblem(f"the scenario never settles: {exc}") from None

    def teardown(self) -> None:
        if not self.gate.done():
            self.gate.set_result(None)  # let the blocked continuations finish
        if isinstance(self.loop, ControlledLoop):
            self.loop.shutdown()
            return
        loop = self.loop
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def start_op(self, step: JsonObject) -> None:
        op_id: int = step["id"]
        op, call, translate = self.operation(step)

        async def run_op() -> None:
            self.emit(Invoke(op_id, op))
            try:
                value = call()
                if inspect.isawaitable(value):
                    value = await value
            except BaseException as exc:  # the op's own outcome, CancelledError included
                if self.closed:
                    raise
                self.emit(Return(op_id, raised(exc)))
                return
            try:
                result = translate(value)
            except Untranslatable as exc:
                self.untranslatable(f"#{op_id} {op} returned {exc}")
                return
            self.emit(Return(op_id, result))

        self.loop.create_task(run_op(), name=f"#{op_id} {op}")

    def operation(self, step: JsonObject) -> tuple[Op, Callable[[], Any], Callable[[Any], Result]]:
        """The model's name for the step's operation, the call, and its result's meaning."""
        conts, do = self.conts, step["do"]
        nothing: Callable[[Any], Result] = lambda _: Ok()  # noqa: E731
        if do == "add_or_run_now":
            key, worker = step["key"], self.worker(step["worker"])
            callback = self.continuation(step["cont"], step["behaviour"])
            return (AddOrRunNow(key, step["cont"], step["worker"]),
                    lambda: conts.add_or_run_now(key, callback, worker), nothing)
        if do == "complete":
            error, worker = make_error(step["error"]), self.worker(step["worker"])
            op = Complete(task_error(error), step["worker"])
            return op, lambda: conts.complete(error, worker, self.token), nothing
        if do == "state":
            return ReadState(), lambda: conts.state, lambda value: Ok(phase(value))
        if do == "cancel":
            target = self.job if self.level == "job" else self.token
            return Cancel(), lambda: target.cancel(), nothing
        if self.level != "job":
            raise DriverProblem(f"{do} needs the job level")
        job = self.job
        if do == "launch":
            return Launch(), lambda: job.launch(), nothing
        if do == "hard_cancel":
            msg = step["msg"]
            return HardCancel(msg), lambda: job.task_handle.cancel(msg), nothing
        if do == "wait":
            return Wait(), lambda: job.wait(), nothing
        if do in capabilities.STATUS_READS:  # announced in the hello line
            status: Op = IsActive() if do == "is_active" else IsComplete()
            return status, lambda: getattr(job, do)(), _boolean
        raise DriverProblem(f"unknown step {do!r}")

    def continuation(self, cont: int, behaviour: str) -> Any:
        runner = self

        async def body(worker: Any, ctype: Any, message: Any) -> None:
            try:
                kind = completion_type(ctype)
            except Untranslatable as exc:
                runner.untranslatable(f"c{cont} received {exc}")
                return
            if message is not None and not isinstance(message, str):
                runner.untranslatable(f"c{cont} received error_message {message!r}")
                return
            runner.emit(Start(cont, str(getattr(worker, "name", worker)), kind, message))
            if behaviour == "raises":
                raise ContinuationFailed(f"c{cont}")
            if behaviour == "blocks":
                await asyncio.shield(runner.gate)  # shield: many continuations share it

        return body


def _boolean(value: Any) -> Result:
    if not isinstance(value, bool):
        raise Untranslatable(f"{value!r}, not a bool")
    return Ok(value)


async def _rounds(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def _answer(out: BinaryIO, obj: JsonObject) -> None:
    out.write(dumps(obj).encode("ascii") + b"\n")


def _scheduler_events(subject: Subject, scenario: JsonObject, loop_kind: str, schedule: str,
                      seed: int) -> list[JsonObject]:
    """A scheduler scenario (conformance/traces/scheduler_drive.py), on a loop made and
    settled as for the other levels."""
    if not hasattr(subject.module, "JobScheduler"):
        raise DriverProblem(f"{subject.name} does not export JobScheduler")
    host = ScenarioRunner(subject, {"level": "continuations", "steps": []}, loop_kind,
                          schedule, seed)  # for its loop, settle() and teardown()
    try:
        return SchedulerScenario(subject, scenario, host.loop, host.settle).run()
    finally:
        host.closed = True
        host.teardown()


def _timeouts_events(subject: Subject, scenario: JsonObject, loop_kind: str, schedule: str,
                     seed: int) -> list[JsonObject]:
    """A timeouts scenario (conformance/traces/timeouts_drive.py): virtual time, so on
    the controlled loop only, settled as for the other levels (time passing)."""
    from workerjob.conformance.stateful.timeouts import supports

    if not supports(subject):
        raise DriverProblem(f"{subject.name} has no timeout=, grace=, retry= options "
                            "(ENHANCEMENTS.md)")
    if loop_kind != "controlled":
        raise DriverProblem("the timeouts level needs virtual time: --loop controlled")
    host = ScenarioRunner(subject, {"level": "continuations", "steps": []}, loop_kind,
                          schedule, seed)  # for its loop, settle() and teardown()
    try:
        events = TimeoutsScenario(subject, scenario, host.loop, host.settle,
                                  host.untranslatable).run()
    finally:
        host.closed = True
        host.teardown()
    if host.problem is not None:
        raise DriverProblem(host.problem)
    return events


def _progress_events(subject: Subject, scenario: JsonObject, loop_kind: str, schedule: str,
                     seed: int) -> list[JsonObject]:
    """A progress scenario (conformance/traces/progress_drive.py), on a loop made and
    settled as for the other levels."""
    missing = [n for n in ("report_progress", "snapshot") if not hasattr(subject.module, n)]
    if missing:
        raise DriverProblem(f"{subject.name} does not export {', '.join(missing)}")
    host = ScenarioRunner(subject, {"level": "continuations", "steps": []}, loop_kind,
                          schedule, seed)  # for its loop, settle() and teardown()
    try:
        return ProgressScenario(subject, scenario, host.loop, host.settle).run()
    finally:
        host.closed = True
        host.teardown()


def serve(subject: Subject, source: BinaryIO, out: BinaryIO, *, loop_kind: str = "controlled",
          schedule: str = "fifo", supports: frozenset[str] = capabilities.KNOWN) -> None:
    """Announce `supports` (no hello line when empty: plain v1), then answer every
    scenario on `source` until it ends."""
    if supports:
        _answer(out, capabilities.hello(supports))
        out.flush()
    for raw in source:
        number: Any = None
        try:
            scenario = json.loads(raw)
            number = scenario["scenario"]
            if scenario.get("version") != PROTOCOL_VERSION:
                raise DriverProblem(f"protocol version {scenario.get('version')!r} is not "
                                    f"supported (this driver speaks {PROTOCOL_VERSION})")
            seed = zlib.crc32(raw)
            if scenario.get("level") == "scheduler":
                events = _scheduler_events(subject, scenario, loop_kind, schedule, seed)
            elif scenario.get("level") == "timeouts":
                events = _timeouts_events(subject, scenario, loop_kind, schedule, seed)
            elif scenario.get("level") == "progress":
                events = _progress_events(subject, scenario, loop_kind, schedule, seed)
            else:
                events = ScenarioRunner(subject, scenario, loop_kind, schedule, seed).run()
        except (DriverProblem, ValueError, KeyError, TypeError) as exc:
            _answer(out, {"event": "error", "scenario": number, "message": str(exc)})
        else:
            for event in events:
                _answer(out, event)
            _answer(out, {"event": "end", "scenario": number})
        out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workerjob.conformance.traces.driver_impl",
        description="The reference driver: runs the kit's scenarios (stdin) on a Python "
        "implementation and writes what it observed (stdout).",
    )
    parser.add_argument("--impl", metavar="MODULE", default=None,
                        help="module exporting SPEC's names (default: $WORKERJOB_IMPL, else "
                        "workerjob.impl)")
    parser.add_argument("--loop", choices=("controlled", "asyncio"), default="controlled",
                        help="the kit's controlled loop (default) or a stock asyncio loop")
    parser.add_argument("--schedule", choices=("fifo", "random"), default="fifo",
                        help="controlled loop: FIFO (default) or a random schedule seeded "
                        "by the scenario")
    parser.add_argument("--v1", action="store_true",
                        help="speak plain v1: announce nothing beyond it (no hello line)")
    args = parser.parse_args(argv)
    try:
        subject = load_subject(args.impl)
    except SubjectError as exc:
        print(f"driver_impl: {exc}", file=sys.stderr)
        return 2
    protocol = _protocol_stream()
    try:
        serve(subject, sys.stdin.buffer, protocol, loop_kind=args.loop,
              schedule=args.schedule,
              supports=frozenset() if args.v1 else capabilities.KNOWN)
    except KeyboardInterrupt:
        return 130  # Ctrl-C reaches the driver's whole process group: the kit says so
    except BrokenPipeError:
        return 1
    return 0


def _protocol_stream() -> BinaryIO:
    """stdout for the protocol alone: what the implementation prints (print(), or a
    write to file descriptor 1) goes to stderr from here on, never into the answers."""
    sys.stdout.flush()
    protocol: BinaryIO
    try:
        fd = sys.stdout.fileno()
        protocol = os.fdopen(os.dup(fd), "wb")
        os.dup2(sys.stderr.fileno(), fd)  # fd 1 is now stderr, for C code too
    except (AttributeError, OSError, ValueError):  # no file descriptors (embedded, tests)
        protocol = sys.stdout.buffer
    sys.stdout = sys.stderr
    return protocol


if __name__ == "__main__":
    sys.exit(main())
