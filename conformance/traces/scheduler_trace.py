"""Scheduler trace v1: a scheduler's observations as JSON Lines, both ways, and their
check against the scheduler's model.

Line 1 is the header, `{"workerjob": "scheduler-trace", "version": 1,
"max_concurrent": N, "capacity": {...}}`; each other line is one observation of
`workerjob.model.scheduler` (the schema is `scheduler-trace-v1.schema.json`, beside
this module):

| event | fields | observation |
| --- | --- | --- |
| `submit` | `job`, `priority`, `needs` | `submit()` called |
| `submit_returned` | `job`, `result` ("ok" or the exception's class name) | it returned |
| `launch` | `job` | the scheduler called the job's `launch()` |
| `run_ended` | `job`, `result` (what `wait()` must then give) | the job's `run()` ended |
| `cancel` | `job`, `done` (read `Done(CANCELLED, None)` right after) | `job.cancel()` |
| `close`, `close_returned` | | `aclose()` began, returned |
| `wait_returned` | `job`, `result` | a `wait()` returned |

`workerjob check-trace` reads these too (it tells them by the header). Pure but for
reading the schema file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, BinaryIO

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from workerjob.conformance.traces.jsonl import (
    MAX_LINE_BYTES,
    MAX_LINES,
    JsonlError,
    JsonObject,
    one_line,
    read_lines,
)
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

MARK = "scheduler-trace"
VERSION = 1
SCHEMA_FILE = "scheduler-trace-v1.schema.json"


@dataclass(frozen=True)
class SchedHeader:
    max_concurrent: int
    capacity: dict[str, int]


@cache
def _validator() -> Draft202012Validator:
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def is_scheduler_header(line: bytes) -> bool:
    """Whether a trace's first line (raw) is a scheduler trace's header."""
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and value.get("workerjob") == MARK


# --- writing ---------------------------------------------------------------------------


def header_to_json(header: SchedHeader) -> JsonObject:
    return {"workerjob": MARK, "version": VERSION, "max_concurrent": header.max_concurrent,
            "capacity": dict(sorted(header.capacity.items()))}


def to_json(obs: SchedObservation) -> JsonObject:
    match obs:
        case Submitted(job, priority, needs):
            return {"event": "submit", "job": job, "priority": priority, "needs": dict(needs)}
        case SubmitReturned(job, result):
            return {"event": "submit_returned", "job": job, "result": result}
        case Launched(job):
            return {"event": "launch", "job": job}
        case RunEnded(job, result):
            return {"event": "run_ended", "job": job, "result": result}
        case Cancelled(job, done):
            return {"event": "cancel", "job": job, "done": done}
        case Closed():
            return {"event": "close"}
        case CloseReturned():
            return {"event": "close_returned"}
        case WaitReturned(job, result):
            return {"event": "wait_returned", "job": job, "result": result}
    raise TypeError(f"not a scheduler observation: {obs!r}")


def dumps_line(obj: JsonObject) -> str:
    """One line of a scheduler trace, newline included."""
    return json.dumps(obj, separators=(", ", ": ")) + "\n"


def dump(header: SchedHeader, observations: Iterable[SchedObservation]) -> str:
    lines = [header_to_json(header), *(to_json(o) for o in observations)]
    return "".join(dumps_line(line) for line in lines)


# --- reading ---------------------------------------------------------------------------


def _valid(value: JsonObject, line: int) -> JsonObject:
    error = best_match(_validator().iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the line"
        raise JsonlError(line, f"not a scheduler trace v1 line ({where}: "
                               f"{one_line(error.message)})")
    return value


def from_json(value: JsonObject, line: int) -> SchedObservation:
    value = _valid(value, line)
    if "workerjob" in value:
        raise JsonlError(line, "a second header")
    event: Any = value["event"]
    job: Any = value.get("job")
    match event:
        case "submit":
            return Submitted(job, value["priority"], amounts(dict(value["needs"])))
        case "submit_returned":
            return SubmitReturned(job, value["result"])
        case "launch":
            return Launched(job)
        case "run_ended":
            return RunEnded(job, value["result"])
        case "cancel":
            return Cancelled(job, value["done"])
        case "close":
            return Closed()
        case "close_returned":
            return CloseReturned()
        case "wait_returned":
            return WaitReturned(job, value["result"])
    raise JsonlError(line, f"unknown event {event!r}")  # pragma: no cover - the schema


def read(stream: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES,
         max_lines: int = MAX_LINES) -> tuple[SchedHeader, Iterator[tuple[int, SchedObservation]]]:
    """The header, then the observations lazily, each with its line number. Every
    problem is a `JsonlError` naming its line."""
    lines = read_lines(stream, max_line_bytes=max_line_bytes, max_lines=max_lines)
    first = next(lines, None)
    if first is None:
        raise JsonlError(1, "empty input (expected a scheduler trace header)")
    head = _valid(first.value, first.number)
    if head.get("workerjob") != MARK:
        raise JsonlError(first.number, "the first line is not a scheduler trace header")
    header = SchedHeader(head["max_concurrent"], dict(head["capacity"]))

    def events() -> Iterator[tuple[int, SchedObservation]]:
        for line in lines:
            yield line.number, from_json(line.value, line.number)

    return header, events()


@dataclass(frozen=True)
class SchedVerdict:
    """What checking one scheduler trace found: `violation` None when it conforms;
    `line` the line of the event the model could not explain (None: at the end)."""

    events: int
    violation: SchedViolation | None
    line: int | None


def check(stream: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES,
          max_lines: int = MAX_LINES) -> SchedVerdict:
    """Check a scheduler trace against the model; `JsonlError` when it cannot be read."""
    header, events = read(stream, max_line_bytes=max_line_bytes, max_lines=max_lines)
    oracle = SchedOracle(header.max_concurrent, header.capacity)
    count = 0
    for number, obs in events:
        count += 1
        if (violation := oracle.observe(obs)) is not None:
            return SchedVerdict(count, violation, number)
    return SchedVerdict(count, oracle.finish(), None)
