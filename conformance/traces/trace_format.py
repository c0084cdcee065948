"""Trace format v1: the model's observations as JSON Lines, both ways.

A trace is what an implementation that cannot be imported from Python hands the kit
(SPEC, "Traces"). Line 1 is a header; each other line is one observation, mapped 1:1
onto the model's `Invoke`, `Return`, `Start` and `RunEnded`. The schema is published as
`trace-v1.schema.json` beside this module and documented in `DRIVER.md`.

Pure: no I/O beyond reading the schema file; the streams come from the caller.

- `header_to_json` / `observation_to_json` and `dump_trace` write traces (the harness's
  `Recorder.history`, the test vectors, the driver's answers).
- `parse_header` and `EventParser.parse` read them, validating each line against the
  schema and then the ids that tie the events together. Every problem is a
  `TraceFormatError` naming its line.
- `read_trace` reads a whole stream through `jsonl` (the limits live there).

What is the format's business (a `TraceFormatError`) and what is the oracle's (a
`Violation`)? The reader refuses what no implementation could have done and only a
broken trace writer can produce: a return whose id was never invoked (or already
returned), an id invoked twice, a continuation id carried by two adds, the start of a
continuation that no add carried, a job operation in a continuations-level trace. It
also refuses more than `max_in_flight` operations in flight at once, which the oracle's
search cannot afford. Everything else is a claim about the implementation, judged by
the oracle against the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, BinaryIO, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from workerjob.conformance.traces.jsonl import (
    MAX_LINE_BYTES,
    MAX_LINES,
    JsonlError,
    JsonObject,
    one_line,
    read_lines,
)
from workerjob.model import (
    AddOrRunNow,
    Cancel,
    Complete,
    CompletionType,
    Done,
    Err,
    HardCancel,
    Invoke,
    IsActive,
    IsComplete,
    Launch,
    Observation,
    Ok,
    Op,
    Phase,
    ReadState,
    Result,
    Return,
    RunEnded,
    Running,
    RunOutcome,
    Start,
    State,
    TaskError,
    Wait,
    initial_continuations,
    initial_job,
)

VERSION = 1
SCHEMA_FILE = "trace-v1.schema.json"
TRACE_MARK = "workerjob"
MAX_IN_FLIGHT = 8  # beyond this the oracle's closure grows past a second per event

Level = Literal["continuations", "job", "timeouts", "progress"]
LEVELS: tuple[Level, ...] = ("continuations", "job")  # the atomic spec's levels
JOB_OPS = frozenset({"launch", "hard_cancel", "wait", "is_active", "is_complete"})


class TraceFormatError(JsonlError):
    """A line that is not a v1 trace line (or breaks the ids); `line` is 1-based."""


class TooManyInFlight(TraceFormatError):
    """More operations in flight at once than the reader accepts."""


# --- the schema ---------------------------------------------------------------------------


@cache
def schema() -> JsonObject:
    """The published JSON Schema (one line of a trace)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: JsonObject = json.loads(text)
    return loaded


@cache
def _validator(definition: str) -> Draft202012Validator:
    """A validator for one of the schema's definitions (`header`, `event`), with the
    other definitions in reach of its `$ref`s."""
    root = schema()
    part = {"$schema": root["$schema"], "$defs": root["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(part)


def _describe(error: ValidationError) -> str:
    """A schema failure in one sentence: the field, then the schema's own wording (or
    its `x-message` where it has one)."""
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    path = ".".join(str(p) for p in error.absolute_path)
    message = custom if isinstance(custom, str) else error.message
    return f"field {path!r}: {message}" if path else message


def validation_problem(obj: JsonObject, definition: str) -> str | None:
    """Why `obj` does not match `#/$defs/<definition>`, or None.

    Validation costs about 250 us a line, and trace lines repeat but for their ids, so
    the verdict "valid" is remembered for short lines with the ids left out: an `id` or
    `cont` that is an integer in range is valid whichever integer it is. A line found
    invalid is validated again as it is, for a message quoting its own values."""
    key = obj
    if any(type(obj.get(k)) is int and 0 <= obj[k] <= _max_id() for k in _ID_KEYS):
        key = {k: 0 if k in _ID_KEYS and type(v) is int and 0 <= v <= _max_id() else v
               for k, v in obj.items()}
    text = json.dumps(key, sort_keys=True)
    if len(text) <= _CACHED_TEXT and _cached_problem(text, definition) is None:
        return None
    return _problem(obj, definition)


_CACHED_TEXT = 1024
_ID_KEYS = ("id", "cont")


@cache
def _max_id() -> int:
    maximum: int = schema()["$defs"]["id"]["maximum"]
    return maximum


@lru_cache(maxsize=1 << 13)
def _cached_problem(text: str, definition: str) -> str | None:
    return _problem(json.loads(text), definition)


def _problem(obj: JsonObject, definition: str) -> str | None:
    error = best_match(_validator(definition).iter_errors(obj))
    return None if error is None else _describe(error)


# --- the header ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """Line 1: what was driven, and (for the kit's test vectors) what to expect."""

    level: Level
    job_worker: str | None = None
    spec: str | None = None
    allow: tuple[str, ...] = ()  # departures allowed besides the spec's (model/departures.py)
    expect: Literal["conforms", "violation"] | None = None
    reason: str | None = None
    violation_line: int | None = None
    options: JsonObject | None = None  # timeouts level only (conformance/traces/timeouts.py)

    def initial_state(self) -> State:
        if self.level in ("job", "progress"):  # progress: a job's trace, and more
            assert self.job_worker is not None
            return initial_job(self.job_worker)
        return initial_continuations()


def header_to_json(header: Header) -> JsonObject:
    obj: JsonObject = {"trace": TRACE_MARK, "version": VERSION, "level": header.level}
    if header.job_worker is not None:
        obj["job_worker"] = header.job_worker
    if header.spec is not None:
        obj["spec"] = header.spec
    if header.allow:
        obj["allow"] = list(header.allow)
    if header.options is not None:
        obj["options"] = header.options
    for name in ("expect", "reason", "violation_line"):
        value = getattr(header, name)
        if value is not None:
            obj[name] = value
    return obj


def parse_header(obj: JsonObject, line: int = 1) -> Header:
    if obj.get("trace") != TRACE_MARK:
        raise TraceFormatError(
            line, 'not a workerjob trace: line 1 must be a header such as '
            '{"trace": "workerjob", "version": 1, "level": "continuations"}'
        )
    version = obj.get("version")
    if version != VERSION:
        raise TraceFormatError(
            line, f"trace format version {one_line(repr(version), 40)} is not supported "
            f"(this kit reads version {VERSION})"
        )
    problem = validation_problem(obj, "header")
    if problem is not None:
        raise TraceFormatError(line, f"bad header: {problem}")
    line_of_violation = obj.get("violation_line")
    return Header(obj["level"], obj.get("job_worker"), obj.get("spec"),
                  tuple(obj.get("allow", ())), obj.get("expect"), obj.get("reason"),
                  None if line_of_violation is None else int(line_of_violation),
                  obj.get("options"))


# --- events: JSON to observations ---------------------------------------------------------


def _task_error(obj: JsonObject | None) -> TaskError | None:
    return None if obj is None else TaskError(obj["type"], obj["message"])


def _phase(obj: JsonObject) -> Phase:
    if obj["state"] == "running":
        return Running()
    return Done(CompletionType(obj["completion_type"]), obj["error_message"])


def _op(obj: JsonObject) -> Op:
    match obj["op"]:
        case "add_or_run_now":
            return AddOrRunNow(obj["key"], int(obj["cont"]), obj["worker"])
        case "complete":
            return Complete(_task_error(obj["error"]), obj["worker"])
        case "cancel":
            return Cancel()
        case "state":
            return ReadState()
        case "launch":
            return Launch()
        case "hard_cancel":
            return HardCancel(obj["msg"])
        case "is_active":
            return IsActive()
        case "is_complete":
            return IsComplete()
        case _:
            return Wait()


def observation_from_json(obj: JsonObject) -> Observation:
    """An event already valid against the schema, as the model's observation."""
    match obj["event"]:
        case "invoke":
            return Invoke(int(obj["id"]), _op(obj))
        case "return":
            result: Result
            if "raises" in obj:
                raised = obj["raises"]
                result = Err(raised["type"], raised.get("message"))
            else:
                ok = obj["ok"]
                result = Ok(ok if ok is None or isinstance(ok, bool) else _phase(ok))
            return Return(int(obj["id"]), result)
        case "start":
            return Start(int(obj["cont"]), obj["worker"], CompletionType(obj["completion_type"]),
                         obj["error_message"])
        case _:
            outcome = obj["outcome"]
            error = _task_error(obj.get("error"))
            return RunEnded(RunOutcome(error, hard_cancelled=outcome == "cancelled",
                                       panicked=outcome == "panicked"))


# --- observations to JSON -----------------------------------------------------------------


def task_error_to_json(error: TaskError | None) -> JsonObject | None:
    return None if error is None else {"type": error.type_name, "message": error.text}


def phase_to_json(phase: Phase) -> JsonObject:
    if isinstance(phase, Running):
        return {"state": "running"}
    return {"state": "done", "completion_type": phase.completion_type.value,
            "error_message": phase.error_message}


def op_to_json(op: Op) -> JsonObject:
    """The operation's name and arguments (the `op` part of an invoke event)."""
    match op:
        case AddOrRunNow(key, cont, worker):
            return {"op": "add_or_run_now", "key": key, "cont": cont, "worker": worker}
        case Complete(error, worker):
            return {"op": "complete", "error": task_error_to_json(error), "worker": worker}
        case Cancel():
            return {"op": "cancel"}
        case ReadState():
            return {"op": "state"}
        case Launch():
            return {"op": "launch"}
        case HardCancel(msg):
            return {"op": "hard_cancel", "msg": msg}
        case Wait():
            return {"op": "wait"}
        case IsActive():
            return {"op": "is_active"}
        case IsComplete():
            return {"op": "is_complete"}


def result_to_json(result: Result) -> JsonObject:
    if isinstance(result, Ok):
        value = result.value
        return {"ok": value if value is None or isinstance(value, bool) else phase_to_json(value)}
    raised: JsonObject = {"type": result.type_name}
    if result.text is not None:
        raised["message"] = result.text
    return {"raises": raised}


def observation_to_json(obs: Observation) -> JsonObject:
    match obs:
        case Invoke(op_id, op):
            return {"event": "invoke", "id": op_id, **op_to_json(op)}
        case Return(op_id, result):
            return {"event": "return", "id": op_id, **result_to_json(result)}
        case Start(cont, worker, ctype, message):
            return {"event": "start", "cont": cont, "worker": worker,
                    "completion_type": ctype.value, "error_message": message}
        case RunEnded(outcome):
            if outcome.error is None and not outcome.hard_cancelled:
                return {"event": "run_ended", "outcome": "returned"}
            if outcome.error is None:
                raise ValueError(f"{obs}: a hard cancel's outcome carries its CancelledError")
            kind = ("cancelled" if outcome.hard_cancelled
                    else "panicked" if outcome.panicked else "raised")
            return {"event": "run_ended", "outcome": kind,
                    "error": task_error_to_json(outcome.error)}


def dumps(obj: JsonObject) -> str:
    """One line of a trace: compact, ASCII, keys in the order written."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def dump_trace(header: Header, observations: list[Observation]) -> str:
    """A whole trace as text, one line per event, each ending with a newline. Write a
    harness run with `dump_trace(Header("job", JOB_WORKER), recorder.history)`."""
    lines = [dumps(header_to_json(header))]
    lines.extend(dumps(observation_to_json(obs)) for obs in observations)
    return "\n".join(lines) + "\n"


# --- reading events: schema, then the ids ---------------------------------------------------


@dataclass
class EventParser:
    """Turns the event lines after a header into observations, checking each against the
    schema and the ids against the lines before it."""

    header: Header
    max_in_flight: int = MAX_IN_FLIGHT
    open: dict[int, Op] = field(default_factory=dict)  # invoked, not yet returned
    returned: set[int] = field(default_factory=set)
    conts: set[int] = field(default_factory=set)  # carried by an add so far

    def parse(self, obj: JsonObject, line: int) -> Observation:
        event = obj.get("event")
        if event not in ("invoke", "return", "start", "run_ended"):
            if "event" not in obj:
                raise TraceFormatError(line, "not an event: it has no 'event' field")
            raise TraceFormatError(
                line, f"unknown event {one_line(repr(event), 60)} "
                "(expected invoke, return, start or run_ended)"
            )
        problem = validation_problem(obj, "event")
        if problem is not None:
            raise TraceFormatError(line, f"bad {event} event: {problem}")
        obs = observation_from_json(obj)
        problem = self._link(obj, obs)
        if problem is not None:
            raise TraceFormatError(line, problem)
        if isinstance(obs, Invoke) and obs.op_id not in self.open:
            raise TooManyInFlight(
                line, f"more than {self.max_in_flight} operations in flight at once (the "
                "oracle's work grows exponentially with them)")
        return obs

    def _link(self, obj: JsonObject, obs: Observation) -> str | None:
        job = self.header.level == "job"
        match obs:
            case Invoke(op_id, op):
                if op_id in self.open or op_id in self.returned:
                    return f"operation id {op_id} is invoked twice (ids are unique in a trace)"
                if obj["op"] in JOB_OPS and not job:
                    return (f"{obj['op']} is a WorkerJob operation: it belongs in a job-level "
                            "trace, and the header says level 'continuations'")
                if isinstance(op, AddOrRunNow):
                    if op.cont in self.conts:
                        return (f"continuation id {op.cont} is carried by two adds "
                                "(continuation ids are unique in a trace)")
                    self.conts.add(op.cont)
                if len(self.open) >= self.max_in_flight:
                    return None  # raised by `parse`, as its own kind of error
                self.open[op_id] = op
            case Return(op_id):
                if op_id not in self.open:
                    if op_id in self.returned:
                        return f"return of operation {op_id}, which has already returned"
                    return f"return of operation {op_id}, which was never invoked"
                del self.open[op_id]
                self.returned.add(op_id)
            case Start(cont):
                if cont not in self.conts:
                    return (f"start of continuation {cont}, which no add_or_run_now "
                            "invoked before it carries")
            case RunEnded():
                if not job:
                    return ("run_ended belongs in a job-level trace, and the header says "
                            "level 'continuations'")
        return None


@dataclass(frozen=True, slots=True)
class Event:
    line: int
    observation: Observation


@dataclass
class TraceReader:
    """A stream read as a trace, lazily: `header` first, then `events()`. Every problem
    (limits, JSON, schema, ids) is a `JsonlError` with its line number."""

    stream: BinaryIO
    max_line_bytes: int = MAX_LINE_BYTES
    max_lines: int = MAX_LINES
    max_in_flight: int = MAX_IN_FLIGHT
    last_line: int = 0  # the number of the last line read
    _lines: Iterator[Any] | None = None
    _parser: EventParser | None = None

    def header(self) -> Header:
        self._lines = read_lines(self.stream, max_line_bytes=self.max_line_bytes,
                                 max_lines=self.max_lines)
        first = next(self._lines, None)
        if first is None:
            raise TraceFormatError(1, "empty input: a trace starts with its header line")
        self.last_line = first.number
        header = parse_header(first.value, first.number)
        self._parser = EventParser(header, self.max_in_flight)
        return header

    def raw_events(self) -> Iterator[tuple[int, JsonObject]]:
        """The event lines as JSON objects, unparsed (for another level's parser)."""
        assert self._lines is not None, "read the header first"
        for line in self._lines:
            self.last_line = line.number
            yield line.number, line.value

    def events(self) -> Iterator[Event]:
        assert self._lines is not None and self._parser is not None, "read the header first"
        for line in self._lines:
            self.last_line = line.number
            yield Event(line.number, self._parser.parse(line.value, line.number))


def read_trace(stream: BinaryIO) -> tuple[Header, list[Event]]:
    """A whole trace at once (for tests and small files)."""
    reader = TraceReader(stream)
    header = reader.header()
    return header, list(reader.events())
