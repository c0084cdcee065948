"""`workerjob drive -- COMMAND ...`: check an implementation that runs in another process.

The command (run directly, never through a shell) is a *driver*: a small program the
implementer writes around their implementation. The kit sends it scenarios, one JSON
object per line on its stdin; the driver runs each on its own runtime and answers with
the v1 trace events it observed, then `{"event": "end", "scenario": n}`. The kit checks
every answer with the oracle as it arrives. Scenarios are drawn by Hypothesis, so a
failing one shrinks; the driver is started once per campaign, not once per scenario.
The protocol is documented in DRIVER.md.

Exit codes:
- 0: every scenario's trace conforms.
- 1: a violation: the driver's answer was a well-formed trace that the oracle rejects
  (also when the driver breaks afterwards, e.g. while shrinking: the violation is
  reported, with a note). An answer that leaves more operations in flight than the
  scenario allows is a violation too: they never returned.
- 2: the driver is broken, or bad usage: it could not be started, exited, went quiet for
  longer than `--timeout` on a read, printed a line that is not JSON or not a v1 event,
  printed too much, reported an invocation the scenario did not ask for (or left one
  out), or answered with an `error` event.
- 130: interrupted (Ctrl-C). The driver is reaped in every case.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from workerjob.conformance.stateful import spec_choice
from workerjob.conformance.stateful.database import keep_out_of_the_current_directory
from workerjob.conformance.stateful.machine import ADDERS, COMPLETERS, JOB_WORKER, KEYS
from workerjob.conformance.traces.check_trace import say
from workerjob.conformance.traces.jsonl import (
    MAX_LINE_BYTES,
    JsonObject,
    one_line,
    split_line,
)
from workerjob.conformance.traces.trace_format import (
    MAX_IN_FLIGHT,
    EventParser,
    Header,
    Level,
    TooManyInFlight,
    TraceFormatError,
    dumps,
    header_to_json,
    observation_from_json,
)
from workerjob.model import Invoke, Observation, Oracle, Spec

from . import capabilities, level_drive, progress_drive, scheduler_drive, timeouts_drive
from .level_drive import Abort as _Abort
from .level_drive import Violation as _Violation
from .level_drive import campaign_settings
from .level_drive import quiet as _quiet

PROTOCOL_VERSION = 1
DEFAULT_TIMEOUT = 10.0  # seconds a read may wait: the driver's start-up included
GRACE = 2.0  # seconds between closing stdin, SIGTERM and SIGKILL
QUEUED_LINES = 1024  # lines read ahead of the kit; then the reader waits (and so does the driver)
MAX_EVENTS = level_drive.MAX_EVENTS  # answer lines per scenario
MAX_SCENARIO_BYTES = level_drive.MAX_BYTES
STDERR_TAIL = 4096  # bytes of the driver's stderr kept for the report
MAX_STEPS = 24
OPS_BETWEEN_SETTLES = 4  # operations started between two settles, at most

# --- scenarios ------------------------------------------------------------------------------

BEHAVIOURS = ("returns", "raises", "blocks")
ERRORS: tuple[JsonObject | None, ...] = (
    None,
    {"type": "ValueError", "message": "boom"},
    {"type": "ValueError", "message": ""},  # an empty message: the type's name is the message
    {"type": "RuntimeError", "message": "kaput"},
)
errors = st.sampled_from(ERRORS)
OPS = frozenset({"add_or_run_now", "complete", "cancel", "state", "launch", "hard_cancel",
                 "wait", *capabilities.KNOWN})


def _raw_steps(level: Level, extra: frozenset[str] = frozenset()) -> st.SearchStrategy[JsonObject]:
    """One step before numbering. Settle first: what a deleted step shrinks towards.
    `extra`: the operations beyond v1 the driver announced (`capabilities`)."""
    common: list[st.SearchStrategy[JsonObject]] = [
        st.just({"do": "settle"}),
        st.builds(lambda key, worker, behaviour: {"do": "add_or_run_now", "key": key,
                                                  "worker": worker, "behaviour": behaviour},
                  st.sampled_from(KEYS), st.sampled_from(ADDERS), st.sampled_from(BEHAVIOURS)),
        st.builds(lambda error, worker: {"do": "complete", "error": error, "worker": worker},
                  errors, st.sampled_from(COMPLETERS)),
        st.just({"do": "cancel"}),
        st.just({"do": "state"}),
        st.just({"do": "open_gate"}),
    ]
    if level == "job":
        common += [
            st.just({"do": "launch"}),
            st.builds(lambda error: {"do": "finish_run", "error": error}, errors),
            st.builds(lambda msg: {"do": "hard_cancel", "msg": msg},
                      st.sampled_from([None, "stop"])),
            st.just({"do": "wait"}),
        ]
        common += [st.just({"do": op}) for op in capabilities.STATUS_READS if op in extra]
    return st.one_of(common)


def normalize(raw: Sequence[JsonObject]) -> list[JsonObject]:
    """Number the operations (a continuation's id is its add's id) and keep the
    scenario within what the kit promises a driver (DRIVER.md): at most
    `OPS_BETWEEN_SETTLES` operations between settles, two launches, two waits, one
    finish_run, one hard_cancel and only after a launch and a settle; no empty settles."""
    out: list[JsonObject] = []
    next_id, since_settle = 1, 0
    launches = waits = hard_cancels = 0
    finished = launch_settled = False
    for original in raw:
        step = dict(original)
        do = step["do"]
        if do == "settle":
            if not out or out[-1]["do"] == "settle":
                continue
            since_settle, launch_settled = 0, launch_settled or launches > 0
        elif do == "finish_run":
            if finished:
                continue
            finished = True
        elif do in OPS:
            if ((do == "launch" and launches == 2) or (do == "wait" and waits == 2)
                    or (do == "hard_cancel" and (hard_cancels == 1 or not launch_settled))):
                continue
            if since_settle == OPS_BETWEEN_SETTLES:
                out.append({"do": "settle"})
                since_settle, launch_settled = 0, launch_settled or launches > 0
            launches += do == "launch"
            waits += do == "wait"
            hard_cancels += do == "hard_cancel"
            step = {"do": do, "id": next_id, **{k: v for k, v in step.items() if k != "do"}}
            if do == "add_or_run_now":
                step = {"do": do, "id": next_id, "key": step["key"], "cont": next_id,
                        "worker": step["worker"], "behaviour": step["behaviour"]}
            next_id += 1
            since_settle += 1
        out.append(step)
    while out and out[-1]["do"] == "settle":
        out.pop()  # the end of a scenario settles anyway
    return out


def scenarios(level: Level,
              extra: frozenset[str] = frozenset()) -> st.SearchStrategy[list[JsonObject]]:
    """Step lists for one level; they shrink by dropping and simplifying steps. `extra`:
    the operations beyond v1 that the driver announced, drawn too."""
    return st.lists(_raw_steps(level, extra), max_size=MAX_STEPS).map(normalize)


def scenario_message(number: int, level: Level, steps: list[JsonObject]) -> JsonObject:
    message: JsonObject = {"scenario": number, "version": PROTOCOL_VERSION, "level": level}
    if level == "job":
        message["job_worker"] = JOB_WORKER
    message["steps"] = steps
    return message


def header_for(level: Level, spec: Spec | None = None) -> Header:
    """The header of a scenario's trace; it names the spec (and the departures allowed
    besides), so that check-trace judges the saved trace as drive did."""
    if spec is None:
        return Header(level, JOB_WORKER if level == "job" else None)
    name, allow = spec_choice.header_fields(spec)
    return Header(level, JOB_WORKER if level == "job" else None, name, allow)


def requested_invocations(steps: list[JsonObject]) -> dict[int, Observation]:
    """The invoke event each operation step asks for, as the model's observation."""
    out: dict[int, Observation] = {}
    for step in steps:
        if step["do"] in OPS:
            fields = {k: v for k, v in step.items() if k not in ("do", "behaviour")}
            out[step["id"]] = observation_from_json({"event": "invoke", "op": step["do"], **fields})
    return out


# --- the driver process -----------------------------------------------------------------------


class DriverError(Exception):
    """The driver broke the protocol (crashed, hung, printed garbage). Exit 2."""


@dataclass
class _Output:
    kind: str  # "line", "eof", "too long"
    raw: bytes = b""


class DriverProcess:
    """A driver subprocess with bounded, timed reads; always reaped by `close()`.

    Its stdout is read by a thread into a queue, one bounded line at a time, so every
    read can time out (portably: no select() on pipes). Its stderr is read by another
    thread that keeps only the last `STDERR_TAIL` bytes, for the report. On POSIX it
    runs in a session of its own, so `close()` reaches its children too (`cargo run`,
    `go run` and shell wrappers start the real driver as a child), and a Ctrl-C at the
    terminal reaches the kit, which then reaps the driver, rather than both at once.
    """

    def __init__(self, command: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                 max_line_bytes: int = MAX_LINE_BYTES, grace: float = GRACE,
                 cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        self.command = list(command)
        self.timeout = timeout
        self.max_line_bytes = max_line_bytes
        self.grace = grace
        self.lines_read = 0
        self.supports: frozenset[str] = frozenset()  # announced by its hello line, if any
        self._out: queue.Queue[_Output] = queue.Queue(QUEUED_LINES)
        self._stopping = threading.Event()
        self._err = bytearray()
        self._err_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        posix = os.name == "posix"
        try:
            self.proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=cwd, env=env,
                start_new_session=posix,
                creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
        except OSError as exc:
            raise DriverError(f"cannot start the driver {self.describe()}: {exc}") from None
        self._start_thread(self._read_stdout, "stdout")
        self._start_thread(self._read_stderr, "stderr")

    def describe(self) -> str:
        return one_line(" ".join(self.command), 200)

    def _start_thread(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=f"driver {name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_stdout(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while not self._stopping.is_set():
                raw = stream.readline(self.max_line_bytes + 1)
                if not raw:
                    break
                if not raw.endswith(b"\n") and len(raw) > self.max_line_bytes:
                    self._put(_Output("too long"))
                    return
                self._put(_Output("line", raw))
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the process is going
        self._put(_Output("eof"))

    def _put(self, out: _Output) -> None:
        """Queue `out`, waiting while the queue is full, unless the kit is closing: a
        driver that floods its stdout is held back by the pipe, not buffered here."""
        while not self._stopping.is_set():
            try:
                self._out.put(out, timeout=0.1)
                return
            except queue.Full:
                continue

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        try:
            while chunk := os.read(stream.fileno(), 4096):
                with self._err_lock:
                    self._err += chunk
                    del self._err[:-STDERR_TAIL]
        except (OSError, ValueError):
            pass

    # --- talking ----------------------------------------------------------------------

    def send(self, obj: JsonObject) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(dumps(obj).encode("ascii") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise DriverError(f"the driver stopped reading its stdin{self._unread()}"
                              f"{self._status()}") from None

    def _unread(self) -> str:
        """What the driver printed that nobody asked for yet (a driver that prints
        something else and exits is named by what it printed)."""
        if self.proc.poll() is not None:  # gone: let the reader take the last of it
            self._threads[0].join(self.grace)
        with self._out.mutex:  # a look, not a read: the queue stays as it is
            first = self._out.queue[0] if self._out.queue else None
        if first is None or first.kind != "line":
            return ""
        text = first.raw.decode("utf-8", "replace").rstrip("\n")
        return f"; its stdout began with {one_line(repr(text), 120)}"

    def read(self) -> tuple[int, bytes, bool]:
        """The next line of the driver's stdout: its number, content and whether it ended
        with a newline. A `DriverError` when none comes within the timeout, or the driver
        is gone, or the line is too long."""
        try:
            out = self._out.get(timeout=self.timeout)
        except queue.Empty:
            raise DriverError(
                f"the driver printed nothing for {self.timeout:g} s (hung? raise --timeout "
                f"if it is only slow){self._status()}"
            ) from None
        if out.kind == "eof":
            self._out.put(out)  # every later read sees the end too (the reader is done)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(self.grace)  # let its exit status arrive
            raise DriverError(f"the driver closed its stdout{self._status()}")
        self.lines_read += 1
        if out.kind == "too long":
            raise DriverError(f"driver output line {self.lines_read} is longer than "
                              f"{self.max_line_bytes} bytes")
        content, newline = split_line(out.raw, self.lines_read, self.max_line_bytes)
        if self.lines_read == 1:  # a driver's first line may be its hello (capabilities.py)
            try:
                announced = capabilities.announced(content)
            except capabilities.BadHello as exc:
                raise DriverError(f"driver output line 1: {exc}") from None
            if announced is not None:
                self.supports = announced
                return self.read()
        return self.lines_read, content, newline

    def stderr_tail(self) -> str:
        with self._err_lock:
            text = bytes(self._err).decode("utf-8", "replace").strip()
        return text

    def _status(self) -> str:
        code = self.proc.poll()
        if code is not None:
            # The driver is gone: let the reader take the last of its stderr first (a
            # grandchild holding the pipe open is waited for `grace` at most).
            self._threads[1].join(self.grace)
        note = "" if code is None else f" (it exited with code {code})"
        tail = self.stderr_tail()
        if tail:
            note += "; the end of its stderr:\n" + "\n".join("  | " + t for t in tail.splitlines())
        return note

    # --- reaping ----------------------------------------------------------------------

    def close(self) -> int | None:
        """Close its stdin (a well-behaved driver exits), then SIGTERM, then SIGKILL, each
        after a grace period; always waits for it. Returns its exit code."""
        proc = self.proc
        self._stopping.set()
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(self.grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(self.grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
                proc.wait()
        if os.name == "posix":  # the driver's own children, if it left any behind
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for thread in self._threads:
            thread.join(self.grace)
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError, ValueError):
                assert stream is not None
                stream.close()
        return proc.returncode

    def _signal(self, sig: int) -> None:
        try:
            if os.name == "posix":
                os.killpg(self.proc.pid, sig)
            elif sig == signal.SIGTERM:
                self.proc.terminate()
            else:
                self.proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def __enter__(self) -> DriverProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- one scenario ---------------------------------------------------------------------------


@dataclass
class ScenarioRun:
    """What the driver answered for one scenario, and the oracle's verdict on it."""

    number: int
    level: Level
    steps: list[JsonObject]
    spec: Spec
    events: list[JsonObject] = field(default_factory=list)  # the answer, as received
    violation: str | None = None
    violation_line: int | None = None  # line in the trace file (header = line 1)
    broke_after: str | None = None  # the driver broke after the violation

    def trace_text(self) -> str:
        lines = [dumps(header_to_json(header_for(self.level, self.spec)))]
        lines += [dumps(e) for e in self.events]
        return "\n".join(lines) + "\n"


@dataclass
class Limits:
    max_events: int = MAX_EVENTS
    max_scenario_bytes: int = MAX_SCENARIO_BYTES
    max_in_flight: int = MAX_IN_FLIGHT


class Session:
    """Scenarios sent to one driver process and their answers checked, one at a time."""

    def __init__(self, process: DriverProcess, spec: Spec, limits: Limits | None = None) -> None:
        self.process = process
        self.spec = spec
        self.limits = limits or Limits()
        self.scenarios = 0
        self.events = 0
        self.broken: DriverError | None = None

    def extra_ops(self, level: Level) -> tuple[frozenset[str], ScenarioRun | None]:
        """The operations beyond v1 to draw into `level`'s scenarios: those the driver
        announced in its hello line. Known once its first line is read: before that, an
        empty scenario is sent (every v1 driver answers one) to read it; it is returned,
        judged like any other."""
        if level != "job":
            return frozenset(), None
        probe = self.run(level, []) if self.process.lines_read == 0 else None
        return self.process.supports & capabilities.KNOWN, probe

    def run(self, level: Level, steps: list[JsonObject]) -> ScenarioRun:
        if self.broken is not None:
            raise DriverError(f"(the driver broke earlier) {self.broken}")
        self.scenarios += 1
        run = ScenarioRun(self.scenarios, level, steps, self.spec)
        try:
            self._exchange(run)
        except DriverError as exc:
            self.broken = exc
            if run.violation is None:
                raise DriverError(f"scenario {run.number}: {exc}") from None
            run.broke_after = str(exc)
        self.events += len(run.events)
        return run

    def _exchange(self, run: ScenarioRun) -> None:
        self.process.send(scenario_message(run.number, run.level, run.steps))
        parser = EventParser(header_for(run.level), self.limits.max_in_flight)
        oracle = Oracle(header_for(run.level).initial_state(), self.spec)
        wanted = requested_invocations(run.steps)
        for obj, line in level_drive.answer(self.process, run.number, run.events, DriverError,
                                            self.limits.max_events,
                                            self.limits.max_scenario_bytes):
            if run.violation is None:
                self._check(run, obj, line, parser, oracle, wanted)
        if run.violation is None:
            missing = sorted(set(wanted) - parser.open.keys() - parser.returned)
            if missing:
                raise DriverError(f"the driver never reported the invocation of "
                                  f"{', '.join(f'#{m}' for m in missing)}")
            violation = oracle.finish()
            if violation is not None:
                run.violation = (f"at the end of the trace (after line {len(run.events) + 1}):"
                                 f"\n{violation.explain()}")

    def _check(self, run: ScenarioRun, obj: JsonObject, line: int, parser: EventParser,
               oracle: Oracle, wanted: dict[int, Observation]) -> None:
        try:
            obs = parser.parse(obj, line)
        except TooManyInFlight as exc:  # the scenario never has that many: they never returned
            stuck = ", ".join(f"#{i} {op}" for i, op in sorted(parser.open.items()))
            run.violation = (f"line {line}: {exc.message}; the scenario never has that many, "
                             f"so these never returned: {stuck}")
            run.violation_line = line
            return
        except TraceFormatError as exc:
            raise DriverError(f"trace line {line}: {exc.message}") from None
        if isinstance(obs, Invoke) and wanted.get(obs.op_id) != obs:
            asked = wanted.get(obs.op_id)
            raise DriverError(
                f"trace line {line}: the driver reported `{obs}`, but the scenario asked "
                + (f"for `{asked}`" if asked is not None else f"for no operation #{obs.op_id}")
            )
        violation = oracle.observe(obs)
        if violation is not None:
            run.violation = f"line {line}: {violation.explain()}"
            run.violation_line = line


# --- the campaign -----------------------------------------------------------------------------


@dataclass
class LevelResult:
    level: Level
    scenarios: int = 0
    failing: ScenarioRun | None = None
    extra: frozenset[str] = frozenset()  # operations beyond v1 drawn (the driver's hello)


@dataclass
class DriveResult:
    command: str
    spec: str
    seed: int
    levels: list[LevelResult] = field(default_factory=list)
    departures: frozenset[str] = frozenset()  # in force (model/departures.py)
    broken: str | None = None  # the driver broke (exit 2, unless a violation was found)
    scenarios: int = 0
    events: int = 0
    seconds: float = 0.0
    exit_code: int | None = None

    @property
    def failing(self) -> ScenarioRun | None:
        return next((r.failing for r in self.levels if r.failing is not None), None)

    @property
    def code(self) -> int:
        if self.failing is not None:
            return 1
        return 2 if self.broken is not None else 0


def _smaller(a: ScenarioRun, b: ScenarioRun | None) -> bool:
    return b is None or (len(a.steps), json.dumps(a.steps)) < (len(b.steps), json.dumps(b.steps))


def check_level(session: Session, level: Level, *, examples: int, seed_value: int,
                shrink: bool = True) -> LevelResult:
    """One level's campaign on an open session. `_Abort` escapes when the driver breaks
    before any violation was found."""
    try:
        extra, probe = session.extra_ops(level)
    except DriverError as exc:
        raise _Abort(exc) from None
    result = LevelResult(level, extra=extra, scenarios=int(probe is not None))
    if probe is not None and probe.violation is not None:
        result.failing = probe  # an empty scenario's answer, rejected: nothing to shrink
        return result

    @campaign_settings(examples, seed_value, shrink)
    @given(steps=scenarios(level, extra))
    def scenario(steps: list[JsonObject]) -> None:
        try:
            run = session.run(level, steps)
        except DriverError as exc:
            raise _Abort(exc) from None
        result.scenarios += 1
        if run.violation is not None:
            if _smaller(run, result.failing):
                result.failing = run
            if run.broke_after is not None:
                raise _Abort(DriverError(run.broke_after))
            raise _Violation(run.violation)

    try:
        with _quiet():
            scenario()
    except _Abort:
        if result.failing is None:
            raise
    except (_Violation, HypothesisException, ExceptionGroup):
        # A violation (shrunk), or Hypothesis found the driver flaky: the smallest
        # violating scenario seen is the report either way.
        if result.failing is None:
            raise
    return result


def run_drive(command: Sequence[str], *, levels: Sequence[Level], examples: int,
              seed_value: int, spec: Spec, timeout: float = DEFAULT_TIMEOUT,
              limits: Limits | None = None, max_line_bytes: int = MAX_LINE_BYTES,
              shrink: bool = True, grace: float = GRACE, cwd: str | None = None,
              env: dict[str, str] | None = None) -> DriveResult:
    """The whole campaign: one driver process, each level in turn, stop at the first
    violation or breakage. The driver is reaped whatever happens (Ctrl-C included)."""
    out = DriveResult(one_line(" ".join(command), 200), spec.name, seed_value,
                      departures=spec.departures)
    started = time.perf_counter()
    process: DriverProcess | None = None
    session: Session | None = None
    try:
        process = DriverProcess(command, timeout=timeout, max_line_bytes=max_line_bytes,
                                grace=grace, cwd=cwd, env=env)
        session = Session(process, spec, limits)
        for level in levels:
            try:
                result = check_level(session, level, examples=examples,
                                     seed_value=seed_value, shrink=shrink)
            except _Abort as abort:
                out.broken = str(abort.error)
                break
            out.levels.append(result)
            if result.failing is not None:
                if result.failing.broke_after is not None:
                    out.broken = result.failing.broke_after
                break
    except DriverError as exc:
        out.broken = str(exc)
    finally:
        if process is not None:
            out.exit_code = process.close()
        if session is not None:
            out.scenarios, out.events = session.scenarios, session.events
            if session.broken is not None and out.broken is None:
                out.broken = str(session.broken)
        out.seconds = time.perf_counter() - started
    return out


# --- command line -----------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and less than 86400 seconds, "
                                         f"not {text}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.usage = "%(prog)s [options] -- COMMAND [ARG ...]"
    parser.add_argument("--examples", type=_positive, default=200, metavar="N",
                        help="scenarios per level (default: 200)")
    parser.add_argument("--seed", type=_seed, default=None, metavar="N",
                        help="seed of the campaign (default: random, printed)")
    parser.add_argument("--level", choices=["continuations", "job", "all", "scheduler",
                                            "timeouts", "progress"],
                        default="all", help="drive Continuations alone, the WorkerJob, or "
                        "both (default); or a JobScheduler, a job with timeouts and "
                        "retries, or progress and metrics (their own scenarios, DRIVER.md)")
    spec_choice.add_options(parser)
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"longest wait for a line from the driver (default: "
                        f"{DEFAULT_TIMEOUT:g})")
    parser.add_argument("--max-line-bytes", type=_positive, default=MAX_LINE_BYTES, metavar="N",
                        help=f"longest line accepted from the driver (default: {MAX_LINE_BYTES})")
    parser.add_argument("--max-events", type=_positive, default=MAX_EVENTS, metavar="N",
                        help=f"most events in one answer (default: {MAX_EVENTS})")
    parser.add_argument("--no-shrink", action="store_true",
                        help="report the first violating scenario as found")
    parser.add_argument("--save-trace", metavar="FILE", default=None,
                        help="write the violating trace to FILE (check it with check-trace)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("driver_command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                        help="the driver and its arguments, run without a shell")


def run(args: argparse.Namespace) -> int:
    command = list(args.driver_command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("workerjob drive: no driver command (usage: workerjob drive [options] -- "
              "COMMAND [ARG ...])", file=sys.stderr)
        return 2
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    # Hypothesis' cache of constants goes beside the example database, as verify's does,
    # never into a `.hypothesis/` of the current directory.
    keep_out_of_the_current_directory()
    if args.level in ("scheduler", "timeouts", "progress"):  # their own scenarios
        if args.spec != "atomic" or args.allow:  # (one model: nothing to choose)
            print(f"workerjob drive: --level {args.level}: --spec and --allow apply to the "
                  "continuations and job levels only (this level has one model)",
                  file=sys.stderr)
            return 2
        own: dict[str, level_drive.Level[Any, Any]] = {
            "scheduler": scheduler_drive.LEVEL, "timeouts": timeouts_drive.LEVEL,
            "progress": progress_drive.LEVEL}
        try:
            return own[args.level].run_campaign(
                lambda: DriverProcess(command, timeout=args.timeout,
                                      max_line_bytes=args.max_line_bytes),
                DriverError, command=one_line(" ".join(command), 200), examples=args.examples,
                seed_value=seed_value, shrink=not args.no_shrink, as_json=args.json,
                save_trace=args.save_trace, max_events=args.max_events,
                replay=replay_command(args, args.level, seed_value, command))
        except KeyboardInterrupt:
            print("workerjob drive: interrupted (the driver was stopped)", file=sys.stderr)
            return 130
    levels: list[Level] = ["continuations", "job"] if args.level == "all" else [args.level]
    try:
        result = run_drive(command, levels=levels, examples=args.examples,
                           seed_value=seed_value,
                           spec=spec_choice.chosen(args.spec, args.allow), timeout=args.timeout,
                           limits=Limits(max_events=args.max_events),
                           max_line_bytes=args.max_line_bytes, shrink=not args.no_shrink)
    except KeyboardInterrupt:
        print("workerjob drive: interrupted (the driver was stopped)", file=sys.stderr)
        return 130
    failing = result.failing
    if failing is not None and args.save_trace:
        try:
            with open(args.save_trace, "w", encoding="ascii") as f:
                f.write(failing.trace_text())
        except OSError as exc:
            print(f"workerjob drive: cannot write {args.save_trace}: {exc}", file=sys.stderr)
            args.save_trace = None  # the report must not say it was saved
    if args.json:
        print(json.dumps(as_json(result, "" if failing is None else
                                 replay_command(args, failing.level, result.seed, command))))
    else:
        report(result, args, command)
    return result.code


def as_json(result: DriveResult, replay: str = "") -> JsonObject:
    failing = result.failing
    return {
        "command": result.command, "spec": result.spec,
        "departures": sorted(result.departures), "seed": result.seed,
        "exit": result.code,
        "verdict": ["conforms", "violation", "driver broken"][result.code],
        "scenarios": result.scenarios, "events": result.events,
        "seconds": round(result.seconds, 3),
        "levels": [{"level": r.level, "scenarios": r.scenarios,
                    "violation": r.failing is not None, "beyond_v1": sorted(r.extra)}
                   for r in result.levels],
        "broken": result.broken,
        "failing": None if failing is None else {
            "level": failing.level, "steps": failing.steps, "report": failing.violation,
            "violation_line": failing.violation_line, "trace": failing.trace_text(),
            "replay": replay,
        },
    }


def replay_command(args: argparse.Namespace, level: str, seed_value: int,
                   command: Sequence[str]) -> str:
    """The complete command that finds this failure again: the failing level alone
    (each level's scenarios come from the seed alone), every option not at its default,
    and the driver command after `--`, quoted for a POSIX shell."""
    words = ["workerjob", "drive", "--level", level]
    if args.spec != "atomic":
        words += ["--spec", args.spec]
    for departure in args.allow:
        words += ["--allow", departure]
    words += ["--seed", str(seed_value), "--examples", str(args.examples)]
    for option, value, default in (("--timeout", args.timeout, DEFAULT_TIMEOUT),
                                   ("--max-line-bytes", args.max_line_bytes, MAX_LINE_BYTES),
                                   ("--max-events", args.max_events, MAX_EVENTS)):
        if value != default:
            words += [option, f"{value:g}" if isinstance(value, float) else str(value)]
    if args.no_shrink:
        words.append("--no-shrink")
    if args.save_trace:
        words += ["--save-trace", args.save_trace]
    return shlex.join([*words, "--", *command])


def report(result: DriveResult, args: argparse.Namespace, command: Sequence[str]) -> None:
    failing = result.failing
    in_force = ", ".join(sorted(result.departures)) or "none"
    rate = result.scenarios / result.seconds if result.seconds > 0 else 0.0
    summary = (f"{result.scenarios} scenarios, {result.events} events in "
               f"{result.seconds:.1f} s ({rate:.0f} scenarios/s); seed {result.seed}")
    if failing is not None:
        print(f"workerjob drive: {result.command} does not conform to the {result.spec} "
              f"spec ({failing.level} level); departures in force: {in_force}\n")
        print(f"scenario ({len(failing.steps)} steps{', shrunk' if not args.no_shrink else ''}):")
        for step in failing.steps:
            print(f"  {dumps(step)}")
        print("\nthe trace the driver answered with:")
        for n, line in enumerate(failing.trace_text().splitlines(), 1):
            mark = ">>" if n == failing.violation_line else "  "
            print(f"{mark}{n:4d}  {one_line(line, 400)}")
        print(f"\n{failing.violation}\n")
        if result.broken is not None:
            print(f"(the driver broke afterwards: {result.broken})\n")
        if args.save_trace:
            print(f"saved to {args.save_trace}: workerjob check-trace {args.save_trace}")
        print(summary)
        print(f"replay: {replay_command(args, failing.level, result.seed, command)}")
    elif result.broken is not None:
        say(f"workerjob drive: the driver `{result.command}` is broken: {result.broken}\n"
            f"{summary}", sys.stderr)
    else:
        beyond = sorted(set().union(*(r.extra for r in result.levels)))
        print(f"{result.command} conforms to the {result.spec} spec through the driver "
              f"protocol: {summary}; departures in force: {in_force}"
              + (f"; judged beyond v1: {', '.join(beyond)}" if beyond else ""))


if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["drive", *sys.argv[1:]]))
