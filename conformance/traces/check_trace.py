"""`workerjob check-trace FILE|-`: check a v1 trace against a spec.

Exit 0 when the trace conforms, 1 on a violation (the line of the event that left the
oracle no consistent state, and the oracle's explanation), 2 when the input cannot be
read as a v1 trace (one message on stderr, with the line number).

Truncation. A trace that stops early but whose lines are all whole (operations that
never returned, a due continuation that never started) is a run that ended there: the
oracle's end-of-run check judges it, a violation if something still had to happen
(exit 1). A last line cut in the middle of its JSON is unreadable (exit 2). A last line
without its newline that is complete JSON is accepted.

The spec: `--spec`, else the header's `spec`, else `atomic`; plus each `--allow`, and
the header's `allow` when `--spec` is not given (`stateful/spec_choice.py`). A scheduler
trace (`conformance/traces/scheduler_trace.py`, told by its header) is checked against
the scheduler's model instead; a progress-level trace (`conformance/traces/progress.py`)
against the atomic spec and the progress model.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import BinaryIO, Literal, TextIO, cast

from workerjob.conformance.stateful import spec_choice
from workerjob.conformance.traces.jsonl import MAX_LINE_BYTES, MAX_LINES, JsonlError, one_line
from workerjob.conformance.traces.trace_format import (
    MAX_IN_FLIGHT,
    Header,
    TraceReader,
    dumps,
    observation_to_json,
)
from workerjob.model import Oracle
from workerjob.model.timeouts import TimeoutsOracle

from . import progress as progress_trace
from . import scheduler_trace
from . import timeouts as timeouts_trace

Verdict = Literal["conforms", "violation", "unreadable"]
EXIT: dict[Verdict, int] = {"conforms": 0, "violation": 1, "unreadable": 2}


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    message: str
    line: int | None = None  # the line of the violating event, or of the bad input
    spec: str | None = None
    level: str | None = None
    events: int = 0
    departures: tuple[str, ...] | None = None  # in force, sorted; None: a one-model level

    def in_force(self) -> str:
        """The departures in force, in words, as `Spec.in_force` says them."""
        return ", ".join(self.departures or ()) or "none"

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]


@dataclass(frozen=True)
class Limits:
    max_line_bytes: int = MAX_LINE_BYTES
    max_lines: int = MAX_LINES
    max_in_flight: int = MAX_IN_FLIGHT


def check_stream(
    stream: BinaryIO, *, spec: str | None = None, allow: tuple[str, ...] = (),
    limits: Limits = Limits()
) -> Outcome:
    """Read and check one trace; never raises for anything the input does."""
    try:
        first = stream.readline(limits.max_line_bytes + 1)
    except OSError as exc:
        return Outcome("unreadable", f"cannot read the input: {exc}")
    stream = cast(BinaryIO, _Replay(first, stream))
    # --spec and --allow choose among SPEC's variants: the enhancements' levels have one
    # model each, and an option that changes nothing must not be taken as applied.
    chooses = spec is not None or bool(allow)
    if scheduler_trace.is_scheduler_header(first):
        if chooses:
            return _one_model("scheduler")
        return _check_scheduler(stream, limits)
    reader = TraceReader(stream, limits.max_line_bytes, limits.max_lines, limits.max_in_flight)
    events = 0
    try:
        header = reader.header()
        if header.level in ("timeouts", "progress") and chooses:
            return _one_model(header.level)
        if header.level == "timeouts":
            return _check_timeouts(reader, header)
        if header.level == "progress":
            return _check_progress(reader, header)
        chosen = spec_choice.chosen(spec, allow, header_spec=header.spec,
                                    header_allow=header.allow)
        name, in_force = chosen.name, tuple(sorted(chosen.departures))
        oracle = Oracle(header.initial_state(), chosen)
        for event in reader.events():
            events += 1
            violation = oracle.observe(event.observation)
            if violation is not None:
                line = one_line(dumps(observation_to_json(event.observation)))
                return Outcome("violation", f"at this event:\n  {line}\n{violation.explain()}",
                               event.line, name, header.level, events, in_force)
        violation = oracle.finish()
    except JsonlError as exc:
        return Outcome("unreadable", str(exc), exc.line, events=events)
    except OSError as exc:
        return Outcome("unreadable", f"cannot read the input: {exc}", events=events)
    if violation is not None:
        where = f"at the end of the trace (after line {reader.last_line})"
        return Outcome("violation", f"{where}:\n{violation.explain()}", None, name,
                       header.level, events, in_force)
    return Outcome("conforms", f"{events} events", None, name, header.level, events, in_force)


class _Replay:
    """`stream` with its first line, already read to tell the kind of trace, put back.
    The readers only call `readline`."""

    def __init__(self, first: bytes, stream: BinaryIO) -> None:
        self._first: bytes | None = first
        self._stream = stream

    def readline(self, size: int | None = -1) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._stream.readline(-1 if size is None else size)


def _check_scheduler(stream: BinaryIO, limits: Limits) -> Outcome:
    """A scheduler trace (conformance/traces/scheduler_trace.py), against its model."""
    try:
        verdict = scheduler_trace.check(stream, max_line_bytes=limits.max_line_bytes,
                                        max_lines=limits.max_lines)
    except JsonlError as exc:
        return Outcome("unreadable", str(exc), exc.line)
    except OSError as exc:
        return Outcome("unreadable", f"cannot read the input: {exc}")
    if verdict.violation is None:
        return Outcome("conforms", f"{verdict.events} events", None, "scheduler", "scheduler",
                       verdict.events)
    v = verdict.violation
    if v.observation is None:
        message = f"at the end of the trace (after line {verdict.events + 1}):\n{v.explain()}"
    else:
        event = one_line(dumps(scheduler_trace.to_json(v.observation)))
        message = f"at this event:\n  {event}\n{v.explain()}"
    return Outcome("violation", message, verdict.line, "scheduler", "scheduler",
                   verdict.events)


def _one_model(level: str) -> Outcome:
    return Outcome("unreadable", f"a {level}-level trace: --spec and --allow apply to "
                   "continuations- and job-level traces only (this level has one model)")


def _check_timeouts(reader: TraceReader, header: Header) -> Outcome:
    """A timeouts-level trace, against `workerjob.model.timeouts` (its one spec)."""
    events = 0
    try:
        start = timeouts_trace.initial_state(header)
        oracle = TimeoutsOracle(start)
        parser = timeouts_trace.EventParser(start.registered)
        assert header.options is not None  # initial_state checked it
        instants = timeouts_trace.InstantChecks({
            "timeout": header.options["timeout"], "grace": header.options["grace"],
            "retry": header.options.get("retry")})
        for number, obj in reader.raw_events():
            events += 1
            obs = parser.parse(obj, number)
            # The order first (the model), then the instants of events that carry `t`.
            violation = oracle.observe(obs)
            problem = None if violation is not None else instants.feed(obj)
            if violation is not None or problem is not None:
                shown = obj if problem is not None else timeouts_trace.observation_to_json(obs)
                line = one_line(dumps(shown))
                why = violation.explain() if violation is not None else problem
                return Outcome("violation", f"at this event:\n  {line}\n{why}",
                               number, "timeouts", header.level, events)
        violation = oracle.finish()
    except JsonlError as exc:
        return Outcome("unreadable", str(exc), exc.line, events=events)
    if violation is not None:
        where = f"at the end of the trace (after line {reader.last_line})"
        return Outcome("violation", f"{where}:\n{violation.explain()}", None, "timeouts",
                       header.level, events)
    return Outcome("conforms", f"{events} events", None, "timeouts", header.level, events)


def _check_progress(reader: TraceReader, header: Header) -> Outcome:
    """A progress-level trace: the job's events against the atomic spec, the progress
    and metrics events against `workerjob.model.progress` (conformance/traces/progress.py)."""
    try:
        verdict = progress_trace.check(reader, header)
    except JsonlError as exc:
        return Outcome("unreadable", str(exc), exc.line)
    spec = "atomic+progress"  # the job's events against the atomic spec, the rest the model's
    if verdict.message is None:
        return Outcome("conforms", f"{verdict.events} events", None, spec, header.level,
                       verdict.events)
    return Outcome("violation", verdict.message, verdict.line, spec, header.level,
                   verdict.events)


def check_file(path: str, *, spec: str | None = None, allow: tuple[str, ...] = (),
               limits: Limits = Limits()) -> Outcome:
    """`path` ("-" for stdin) read and checked."""
    if path == "-":
        return check_stream(sys.stdin.buffer, spec=spec, allow=allow, limits=limits)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, errors reported plainly
    except OSError as exc:
        return Outcome("unreadable", f"cannot open {path}: {exc.strerror or exc}")
    with stream:
        return check_stream(stream, spec=spec, allow=allow, limits=limits)


# --- command line -------------------------------------------------------------------------


def say(text: str, stream: TextIO) -> None:
    """Print `text`, whatever the stream's encoding (names in a trace may be any text)."""
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        stream.write(text.encode("ascii", "backslashreplace").decode("ascii") + "\n")
    stream.flush()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE|-", help="the trace (JSON Lines); - reads stdin")
    spec_choice.add_options(parser, default=None)
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("--max-line-bytes", type=_positive, default=MAX_LINE_BYTES, metavar="N",
                        help=f"longest line accepted (default: {MAX_LINE_BYTES})")
    parser.add_argument("--max-lines", type=_positive, default=MAX_LINES, metavar="N",
                        help=f"most lines accepted (default: {MAX_LINES})")
    parser.add_argument("--max-in-flight", type=_positive, default=MAX_IN_FLIGHT, metavar="N",
                        help="most operations in flight at once (default: "
                        f"{MAX_IN_FLIGHT}; the oracle's work grows exponentially with it)")


def run(args: argparse.Namespace) -> int:
    limits = Limits(args.max_line_bytes, args.max_lines, args.max_in_flight)
    name = "stdin" if args.file == "-" else args.file
    # Ctrl-C is not bad input: it goes up to the command line (exit 130, interrupts.py)
    outcome = check_file(args.file, spec=args.spec, allow=tuple(args.allow), limits=limits)
    if args.json:
        say(json.dumps({"file": name, "verdict": outcome.verdict, "exit": outcome.exit_code,
                        "line": outcome.line, "spec": outcome.spec, "level": outcome.level,
                        # a list, as verify's and drive's (null: a level with one model)
                        "departures": None if outcome.departures is None else
                        list(outcome.departures),
                        "events": outcome.events, "message": outcome.message}), sys.stdout)
    elif outcome.verdict == "conforms":
        # a scheduler trace has its own model, with no departures to name
        in_force = "" if outcome.departures is None else \
            f"; departures in force: {outcome.in_force()}"
        say(f"{name}: conforms to the {outcome.spec} spec "
            f"({outcome.level} level, {outcome.message}{in_force})", sys.stdout)
    elif outcome.verdict == "violation":
        where = f"{name}, line {outcome.line}" if outcome.line is not None else name
        in_force = "" if outcome.departures is None else \
            f" (departures in force: {outcome.in_force()})"
        say(f"{where}: does not conform to the {outcome.spec} spec{in_force} "
            f"{outcome.message}", sys.stdout)
    else:
        where = f"{name}, " if outcome.line is not None else ""
        say(f"workerjob check-trace: {where}{outcome.message}", sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["check-trace", *sys.argv[1:]]))
