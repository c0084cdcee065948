"""The progress level's trace events: a job's trace (the job level's events) with
progress reports, readers and metric snapshots, as JSON Lines, both ways, under the v1
header (`"level": "progress"`, with `"job_worker"` as at the job level).

Added to v1 without breaking it: a continuations-, job- or timeouts-level trace is
read exactly as before; only a header that says `progress` brings these events,
validated against `trace-progress-v1.schema.json` beside this module, and checked by
`workerjob.model.progress.ProgressOracle` (the atomic spec's oracle for the job's
events, the progress model for the others).

Events (fields; the model's observation), each one instant:
- the job level's `invoke`, `return`, `start`, `run_ended` (trace-v1.schema.json);
- `report` (`done`, `total`, `note`; `outcome` `accepted`, or `raised` with `error`,
  the exception's class name): `Reported`;
- `reader_started`, `reader_ended` (`reader`, a number given by the trace's writer):
  `ReaderStarted`, `ReaderEnded`;
- `reader_got` (`reader`, `value`: the item, `{done, total, note}`): `ReaderGot`;
- `latest` (`value`: the item or null): `LatestRead`;
- `metrics` (the keys of `snapshot()`, relative to the start of the run; of a
  histogram only `count` is judged): `MetricsRead`;
- `run_called`, `continuation_raised` (`cont`): `RunCalled`, `ContinuationRaised`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from workerjob.conformance.traces.jsonl import JsonlError, JsonObject, one_line
from workerjob.conformance.traces.trace_format import EventParser as JobEventParser
from workerjob.conformance.traces.trace_format import (
    Header,
    TraceFormatError,
    TraceReader,
    dumps,
    header_to_json,
)
from workerjob.conformance.traces.trace_format import (
    observation_to_json as job_observation_to_json,
)
from workerjob.model import (
    AddOrRunNow,
    CompletionType,
    Done,
    Err,
    HardCancel,
    Invoke,
    Launch,
    Ok,
    ReadState,
    Return,
    RunEnded,
    RunOutcome,
    Start,
    TaskError,
    Wait,
)
from workerjob.model.actions import Observation as JobObservation
from workerjob.model.progress import (
    ContinuationRaised,
    LatestRead,
    Metrics,
    MetricsRead,
    ProgressObservation,
    ProgressOracle,
    ReaderEnded,
    ReaderGot,
    ReaderStarted,
    Report,
    Reported,
    RunCalled,
)

SCHEMA_FILE = "trace-progress-v1.schema.json"
EVENTS = frozenset({"report", "reader_started", "reader_got", "reader_ended", "latest",
                    "metrics", "run_called", "continuation_raised"})
KINDS = ("normal", "cancelled", "failed")  # jobs_completed's keys, in CompletionType order

AnyObservation = JobObservation | ProgressObservation


@cache
def _validator() -> Draft202012Validator:
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def _problem(obj: object) -> str | None:
    error = best_match(_validator().iter_errors(obj))
    if error is None:
        return None
    path = ".".join(str(p) for p in error.absolute_path)
    return f"field {path!r}: {error.message}" if path else error.message


# --- JSON <-> observations ------------------------------------------------------------------


def _report(obj: JsonObject) -> Report:
    return Report(obj["done"], obj["total"], obj["note"])


def _report_json(r: Report) -> JsonObject:
    return {"done": r.done, "total": r.total, "note": r.note}


def metrics_from_json(obj: JsonObject) -> Metrics:
    """A `metrics` event (or a snapshot's differences) as the model's `Metrics`."""
    completed = obj["jobs_completed"]
    return Metrics(
        obj["jobs_launched"], tuple(completed[k] for k in KINDS),
        obj["attempts"], obj["timeouts"], obj["continuations_started"],
        obj["continuations_raised"], obj["jobs_running"], obj["jobs_queued"],
        obj["continuations_registered"], obj["run_duration"]["count"],
        obj["queue_wait"]["count"])


def metrics_to_json(m: Metrics) -> JsonObject:
    return {"jobs_launched": m.jobs_launched,
            "jobs_completed": dict(zip(KINDS, m.jobs_completed, strict=True)),
            "attempts": m.attempts, "timeouts": m.timeouts,
            "continuations_started": m.continuations_started,
            "continuations_raised": m.continuations_raised, "jobs_running": m.jobs_running,
            "jobs_queued": m.jobs_queued,
            "continuations_registered": m.continuations_registered,
            "run_duration": {"count": m.run_duration_count},
            "queue_wait": {"count": m.queue_wait_count}}


def observation_from_json(obj: JsonObject) -> ProgressObservation:
    """A progress event already valid against the schema, as the model's observation."""
    match obj["event"]:
        case "report":
            return Reported(_report(obj), obj.get("error", "accepted"))
        case "reader_started":
            return ReaderStarted(obj["reader"])
        case "reader_got":
            return ReaderGot(obj["reader"], _report(obj["value"]))
        case "reader_ended":
            return ReaderEnded(obj["reader"])
        case "latest":
            return LatestRead(None if obj["value"] is None else _report(obj["value"]))
        case "metrics":
            return MetricsRead(metrics_from_json(obj))
        case "run_called":
            return RunCalled()
        case _:
            return ContinuationRaised(obj["cont"])


def observation_to_json(obs: AnyObservation) -> JsonObject:
    match obs:
        case Reported(r, outcome):
            out: JsonObject = {"event": "report", **_report_json(r)}
            if outcome == "accepted":
                out["outcome"] = "accepted"
            else:
                out.update(outcome="raised", error=outcome)
            return out
        case ReaderStarted(i):
            return {"event": "reader_started", "reader": i}
        case ReaderGot(i, r):
            return {"event": "reader_got", "reader": i, "value": _report_json(r)}
        case ReaderEnded(i):
            return {"event": "reader_ended", "reader": i}
        case LatestRead(r):
            return {"event": "latest", "value": None if r is None else _report_json(r)}
        case MetricsRead(m):
            return {"event": "metrics", **metrics_to_json(m)}
        case RunCalled():
            return {"event": "run_called"}
        case ContinuationRaised(cont):
            return {"event": "continuation_raised", "cont": cont}
        case _:
            return job_observation_to_json(obs)


def dump_trace(h: Header, observations: list[AnyObservation]) -> str:
    """A whole progress-level trace as text (a test vector, a driver's run)."""
    lines = [dumps(header_to_json(h)), *(dumps(observation_to_json(o)) for o in observations)]
    return "\n".join(lines) + "\n"


# --- reading ----------------------------------------------------------------------------------


@dataclass
class EventParser:
    """Event lines after a progress-level header: the job's events through the job
    level's parser (schema and ids), the others through this level's schema and the
    readers' numbers (a reader starts once, before its items and its end; it ends once)."""

    header: Header
    max_in_flight: int
    started: set[int] = field(default_factory=set)
    ended: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.job = JobEventParser(Header("job", self.header.job_worker), self.max_in_flight)

    def parse(self, obj: JsonObject, line: int) -> AnyObservation:
        if obj.get("event") not in EVENTS:
            return self.job.parse(obj, line)
        problem = _problem(obj)
        if problem is not None:
            raise TraceFormatError(line, f"bad {obj['event']} event: {problem}")
        obs = observation_from_json(obj)
        match obs:
            case ReaderStarted(i):
                if i in self.started:
                    raise TraceFormatError(line, f"reader {i} is started twice")
                self.started.add(i)
            case ReaderGot(i) | ReaderEnded(i) if i not in self.started:
                raise TraceFormatError(line, f"reader {i} was never started")
            case ReaderGot(i) if i in self.ended:
                raise TraceFormatError(line, f"reader {i} is given an item after its end")
            case ReaderEnded(i):
                if i in self.ended:
                    raise TraceFormatError(line, f"reader {i} ends twice")
                self.ended.add(i)
        return obs


@dataclass(frozen=True)
class Verdict:
    events: int
    line: int | None = None  # of the violating event; None: the end of the trace
    message: str | None = None  # None: conforms


def check(reader: TraceReader, header: Header) -> Verdict:
    """A progress-level trace (its header read) against the model. A `JsonlError` for
    input that is not such a trace."""
    oracle = ProgressOracle(header.initial_state())
    parser = EventParser(header, reader.max_in_flight)
    events = 0
    for number, obj in reader.raw_events():
        events += 1
        obs = parser.parse(obj, number)
        violation = oracle.observe(obs)
        if violation is not None:
            line = one_line(dumps(observation_to_json(obs)))
            return Verdict(events, number, f"at this event:\n  {line}\n{violation.explain()}")
    violation = oracle.finish()
    if violation is not None:
        where = f"at the end of the trace (after line {reader.last_line})"
        return Verdict(events, None, f"{where}:\n{violation.explain()}")
    return Verdict(events)


__all__ = ["SCHEMA_FILE", "EventParser", "JsonlError", "Verdict", "check", "dump_trace",
           "metrics_from_json", "metrics_to_json", "observation_from_json",
           "observation_to_json"]


# --- test vectors -----------------------------------------------------------------------------

JOB_WORKER = "job-worker"
_N, _C = CompletionType.NORMAL, CompletionType.CANCELLED


def _m(**counts: object) -> MetricsRead:
    return MetricsRead(Metrics(**counts))  # type: ignore[arg-type]


def _vector_cases() -> list[tuple[str, str, str, list[AnyObservation]]]:
    """(name, expect, reason, observations): each rule once, kept and broken."""
    r1, r2, r3 = Report(1, 3, "r1"), Report(2, 3, "r2"), Report(3, 3, "r3")
    head: list[AnyObservation] = [
        Invoke(1, AddOrRunNow("a", 1, "adder")), Return(1, Ok()), ReaderStarted(0),
        Invoke(2, Launch()), Return(2, Ok()), RunCalled(),
    ]
    launched = _m(jobs_launched=1, attempts=1, jobs_running=1, continuations_registered=1)
    ended = _m(jobs_launched=1, jobs_completed=(1, 0, 0), attempts=1,
               continuations_started=1, run_duration_count=1)
    done_ok: list[AnyObservation] = [RunEnded(RunOutcome()), Start(1, JOB_WORKER, _N, None)]
    return [
        ("allowed-reports-seen-in-order", "conforms",
         "three reports, a reader that sees each, ends after the last; the metrics agree",
         [*head, Reported(r1, "accepted"), ReaderGot(0, r1), launched,
          Reported(r2, "accepted"), ReaderGot(0, r2), Reported(r3, "accepted"),
          ReaderGot(0, r3), LatestRead(r3), *done_ok, ReaderEnded(0), ended]),
        ("allowed-slow-reader-skips", "conforms",
         "a slow reader is given only the latest report: it skips r1 and r2",
         [*head, Reported(r1, "accepted"), Reported(r2, "accepted"), Reported(r3, "accepted"),
          ReaderGot(0, r3), *done_ok, ReaderEnded(0), ended]),
        ("allowed-report-after-done-refused", "conforms",
         "a task run() spawned reports after Done: RuntimeError, nothing changes",
         [*head, Reported(r1, "accepted"), *done_ok, Reported(r2, "RuntimeError"),
          LatestRead(r1), ReaderGot(0, r1), ReaderEnded(0), ended]),
        ("allowed-going-back-refused", "conforms",
         "a report that goes back is a ValueError; the reader still sees the last accepted",
         [*head, Reported(r2, "accepted"), Reported(r1, "ValueError"), ReaderGot(0, r2),
          *done_ok, ReaderEnded(0)]),
        ("allowed-continuation-raised", "conforms",
         "a continuation that raises counts in continuations_raised, once",
         [*head, *done_ok, ContinuationRaised(1), ReaderEnded(0),
          _m(jobs_launched=1, jobs_completed=(1, 0, 0), attempts=1, continuations_started=1,
             continuations_raised=1, run_duration_count=1)]),
        ("allowed-hard-cancel-gauges", "conforms",
         "a hard cancel ends the job CANCELLED: no gauge stays up",
         [*head, Invoke(3, HardCancel("stop")), Return(3, Ok()), Invoke(4, Wait()),
          RunEnded(RunOutcome(TaskError("CancelledError", "stop"), hard_cancelled=True)),
          Return(4, Err("CancelledError")), Start(1, JOB_WORKER, _C, "stop"),
          ReaderEnded(0),
          _m(jobs_launched=1, jobs_completed=(0, 1, 0), attempts=1, continuations_started=1,
             run_duration_count=1)]),
        ("rejected-out-of-order", "violation",
         "an update delivered out of order: r1 after r2 (in-order)",
         [*head, Reported(r1, "accepted"), Reported(r2, "accepted"), ReaderGot(0, r2),
          ReaderGot(0, r1)]),
        ("rejected-not-the-latest", "violation",
         "a reader given r1 while r2 is the latest (latest-only)",
         [*head, Reported(r1, "accepted"), Reported(r2, "accepted"), ReaderGot(0, r1)]),
        ("rejected-last-report-lost", "violation",
         "the reader's iteration ends without the last report (last-seen)",
         [*head, Reported(r1, "accepted"), ReaderGot(0, r1), Reported(r2, "accepted"),
          *done_ok, ReaderEnded(0)]),
        ("rejected-report-after-done", "violation",
         "a report accepted after Done (closed-at-done)",
         [*head, *done_ok, Reported(r1, "accepted")]),
        ("rejected-reader-ends-early", "violation",
         "the reader's iteration ends while the job is still Running (ends-at-done)",
         [*head, ReaderEnded(0)]),
        ("rejected-reader-never-ends", "violation",
         "the job is Done and the reader's iteration never ended (reader-ends)",
         [*head, Reported(r1, "accepted"), ReaderGot(0, r1), *done_ok]),
        ("rejected-counter-off-by-one", "violation",
         "continuations_started reads 2 after one continuation started (gauges-exact)",
         [*head, *done_ok, ReaderEnded(0),
          _m(jobs_launched=1, jobs_completed=(1, 0, 0), attempts=1, continuations_started=2,
             run_duration_count=1)]),
        ("rejected-gauge-drifts", "violation",
         "jobs_running stays at 1 after a hard cancel ended the job (gauges-exact)",
         [*head, Invoke(3, HardCancel("stop")), Return(3, Ok()),
          RunEnded(RunOutcome(TaskError("CancelledError", "stop"), hard_cancelled=True)),
          Start(1, JOB_WORKER, _C, "stop"), ReaderEnded(0),
          _m(jobs_launched=1, jobs_completed=(0, 1, 0), attempts=1, continuations_started=1,
             jobs_running=1, run_duration_count=1)]),
        ("rejected-gauge-up-at-the-end", "violation",
         "the run ends with a snapshot where jobs_running still reads 1: run() has ended, "
         "so once the run is quiet the job has completed",
         [ReaderStarted(0), Invoke(2, Launch()), Return(2, Ok()), RunCalled(),
          Reported(r1, "accepted"), ReaderGot(0, r1), RunEnded(RunOutcome()),
          _m(jobs_launched=1, attempts=1, jobs_running=1)]),
        ("rejected-latest-stale", "violation",
         "progress.latest reads an older report than the last accepted",
         [*head, Reported(r1, "accepted"), Reported(r2, "accepted"), LatestRead(r1)]),
        ("rejected-state-read-early", "violation",
         "a state read says Done while run() has not ended: the job level's oracle",
         [*head, Invoke(3, ReadState()), Return(3, Ok(Done(_N, None)))]),
    ]


def vectors() -> list[tuple[str, str]]:
    """(file name, text) of every vector, labelled with the verdict and the line the
    oracle gives (computed here, and checked again by `check-trace` in the tests)."""
    out = []
    for name, expect, reason, observations in _vector_cases():
        oracle = ProgressOracle(Header("job", JOB_WORKER).initial_state())
        line: int | None = None
        for i, obs in enumerate(observations):
            if oracle.observe(obs) is not None:
                line = i + 2  # line 1 is the header
                break
        verdict = "violation" if line is not None or oracle.finish() is not None else "conforms"
        assert verdict == expect, (name, oracle.violation)
        labels: dict[str, object] = {"expect": expect, "reason": reason}
        if line is not None:
            labels["violation_line"] = line
        header = Header("progress", JOB_WORKER, **labels)  # type: ignore[arg-type]
        out.append((f"{name}.jsonl", dump_trace(header, observations)))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m workerjob.conformance.traces.progress --write DIR | --check DIR`."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m workerjob.conformance.traces.progress",
                                     description="Write or check the progress-level vectors.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR", type=Path)
    group.add_argument("--check", metavar="DIR", type=Path)
    args = parser.parse_args(argv)
    expected = dict(vectors())
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        for stale in {p.name for p in args.write.glob("*.jsonl")} - expected.keys():
            (args.write / stale).unlink()
        for name, text in expected.items():
            (args.write / name).write_text(text, encoding="ascii")
        print(f"wrote {len(expected)} vectors to {args.write}")
        return 0
    present = {p.name: p.read_text(encoding="ascii") for p in args.check.glob("*.jsonl")}
    problems = sorted(set(present) ^ set(expected)) + sorted(
        n for n in set(present) & set(expected) if present[n] != expected[n])
    for problem in problems:
        print(f"differs: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
