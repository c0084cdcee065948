"""The timeouts level's trace events: `workerjob.model.timeouts`' observations as JSON
Lines, both ways, under the v1 header (`"level": "timeouts"`, with `"options"`).

Added to v1 without breaking it: a continuations- or job-level trace is read exactly
as before; only a header that says `timeouts` brings these events, validated against
`trace-timeouts-v1.schema.json` beside this module.

Events (fields; the model's observation):
- `launch`, `cancel`, `deadline` (the job cancelled its own token): `Launched`,
  `Cancelled`, `DeadlineCancel`;
- `hard_cancel` (`msg`): `HardCancelled`;
- `attempt_started` (`n`): `AttemptStarted`;
- `attempt_ended` (`outcome`: `returned`, `raised` or `cancelled`; `error`;
  `retryable`): `AttemptEnded`;
- `start` (`cont`, `completion_type`, `error_message`): `Start`;
- `read` (`attempts`, `timed_out`, `state`): `Read`;
- `wait`, `wait_returned` (`id`; `ok` or `raises`): `WaitCalled`, `WaitReturned`.

Every event may carry `t`, its instant on the run's clock. `InstantChecks` checks those
instants (the deadline, the grace period's cancel, each backoff when the header gives
the policy's `retry`, the end of a job cut short in a backoff) for `drive` and
`check-trace` alike; without `t` the events are judged in order only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.trace_format import (
    VERSION,
    Header,
    TraceFormatError,
    dumps,
    header_to_json,
    phase_to_json,
    result_to_json,
    task_error_to_json,
)
from workerjob.model import (
    CompletionType,
    Done,
    Err,
    Ok,
    Phase,
    Result,
    Running,
    RunOutcome,
    TaskError,
)
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
    State,
    WaitCalled,
    WaitReturned,
    backoff_delay,
    initial,
)

SCHEMA_FILE = "trace-timeouts-v1.schema.json"
TOLERANCE = 0.001  # seconds: instants compared within a millisecond (tokio's timer tick)


@cache
def _schema() -> JsonObject:
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: JsonObject = json.loads(text)
    return loaded


@cache
def _validator(definition: str | None) -> Draft202012Validator:
    root = _schema()
    if definition is None:
        return Draft202012Validator(root)
    return Draft202012Validator({"$schema": root["$schema"], "$defs": root["$defs"],
                                 "$ref": f"#/$defs/{definition}"})


def _problem(obj: object, definition: str | None) -> str | None:
    error = best_match(_validator(definition).iter_errors(obj))
    if error is None:
        return None
    path = ".".join(str(p) for p in error.absolute_path)
    return f"field {path!r}: {error.message}" if path else error.message


# --- the header ---------------------------------------------------------------------------


def header(options: Options, conts: frozenset[int], *, retry: object = None,
           **labels: object) -> Header:
    """A timeouts-level header (`labels`: a test vector's `expect`, `reason`, ...;
    `retry`: the policy's `initial`, `factor`, `max_delay`, for the backoffs' instants)."""
    obj: JsonObject = {"timeout": options.timeout, "grace": options.grace,
                       "max_attempts": options.max_attempts, "continuations": sorted(conts)}
    if retry is not None:
        obj["retry"] = retry
    return Header("timeouts", options=obj, **labels)  # type: ignore[arg-type]


def initial_state(h: Header, line: int = 1) -> State:
    """The model's initial state from a timeouts-level header (its options checked)."""
    problem = _problem(h.options, "options")
    if problem is not None:
        raise TraceFormatError(line, f"bad header: options: {problem}")
    assert h.options is not None
    o = h.options
    if o["grace"] is not None and o["timeout"] is None:
        raise TraceFormatError(line, "bad header: options: grace needs a timeout")
    return initial(Options(o["timeout"], o["grace"], o["max_attempts"]),
                   frozenset(o["continuations"]))


# --- events ---------------------------------------------------------------------------------


def _error(obj: JsonObject | None) -> TaskError | None:
    return None if obj is None else TaskError(obj["type"], obj["message"])


def _phase(obj: JsonObject) -> Phase:
    if obj["state"] == "running":
        return Running()
    return Done(CompletionType(obj["completion_type"]), obj["error_message"])


def observation_from_json(obj: JsonObject) -> Observation:
    """An event already valid against the schema, as the model's observation."""
    match obj["event"]:
        case "launch":
            return Launched()
        case "cancel":
            return Cancelled()
        case "deadline":
            return DeadlineCancel()
        case "hard_cancel":
            return HardCancelled(obj["msg"])
        case "attempt_started":
            return AttemptStarted(obj["n"])
        case "attempt_ended":
            outcome = RunOutcome(_error(obj.get("error")), obj["outcome"] == "cancelled")
            return AttemptEnded(outcome, obj["retryable"])
        case "start":
            return Start(obj["cont"], CompletionType(obj["completion_type"]),
                         obj["error_message"])
        case "read":
            return Read(obj["attempts"], obj["timed_out"], _phase(obj["state"]))
        case "wait":
            return WaitCalled(obj["id"])
        case _:
            result: Result = Ok()
            if "raises" in obj:
                result = Err(obj["raises"]["type"], obj["raises"].get("message"))
            return WaitReturned(obj["id"], result)


def observation_to_json(obs: Observation) -> JsonObject:
    match obs:
        case Launched():
            return {"event": "launch"}
        case Cancelled():
            return {"event": "cancel"}
        case DeadlineCancel():
            return {"event": "deadline"}
        case HardCancelled(msg):
            return {"event": "hard_cancel", "msg": msg}
        case AttemptStarted(n):
            return {"event": "attempt_started", "n": n}
        case AttemptEnded(outcome, retryable):
            kind = ("cancelled" if outcome.hard_cancelled
                    else "returned" if outcome.error is None else "raised")
            obj: JsonObject = {"event": "attempt_ended", "outcome": kind}
            if outcome.error is not None:
                obj["error"] = task_error_to_json(outcome.error)
            obj["retryable"] = retryable
            return obj
        case Start(cont, kind, message):
            return {"event": "start", "cont": cont, "completion_type": kind.value,
                    "error_message": message}
        case Read(attempts, timed_out, phase):
            return {"event": "read", "attempts": attempts, "timed_out": timed_out,
                    "state": phase_to_json(phase)}
        case WaitCalled(op_id):
            return {"event": "wait", "id": op_id}
        case WaitReturned(op_id, result):
            return {"event": "wait_returned", "id": op_id, **result_to_json(result)}


def dump_trace(h: Header, observations: list[Observation],
               times: list[float] | None = None) -> str:
    """A whole timeouts-level trace as text (the level's `history`, a test vector);
    with `times`, each event carries its instant `t`."""
    events = [observation_to_json(o) for o in observations]
    if times is not None:
        events = [{**event, "t": t} for event, t in zip(events, times, strict=True)]
    return "\n".join([dumps(header_to_json(h)), *map(dumps, events)]) + "\n"


@dataclass
class EventParser:
    """Event lines after a timeouts-level header, checked against the schema and the ids
    (a wait returns once, after its invocation; a start names a registered continuation)."""

    conts: frozenset[int]
    waits: set[int] = field(default_factory=set)
    returned: set[int] = field(default_factory=set)

    def parse(self, obj: JsonObject, line: int) -> Observation:
        problem = _problem(obj, None)
        if problem is not None:
            raise TraceFormatError(line, f"bad {obj.get('event', 'event')!s:.40} event: "
                                   f"{problem}")
        obs = observation_from_json(obj)
        match obs:
            case WaitCalled(op_id):
                if op_id in self.waits or op_id in self.returned:
                    raise TraceFormatError(line, f"wait id {op_id} is used twice")
                self.waits.add(op_id)
            case WaitReturned(op_id):
                if op_id not in self.waits:
                    raise TraceFormatError(line, f"return of wait {op_id}, which is not in flight")
                self.waits.discard(op_id)
                self.returned.add(op_id)
            case Start(cont) if cont not in self.conts:
                raise TraceFormatError(line, f"start of continuation {cont}, which the "
                                       "header's options do not register")
        return obs


__all__ = ["VERSION", "EventParser", "dump_trace", "header", "initial_state",
           "observation_from_json", "observation_to_json"]


# --- test vectors ---------------------------------------------------------------------------

_FLAKY = TaskError("FlakyError", "flaky")
_STOPPED = TaskError("RuntimeError", "stopped")
_GRACE = TaskError("CancelledError", "timeout")
_TIMEOUT = "timed out after 1.0s"
_C, _N, _F = CompletionType.CANCELLED, CompletionType.NORMAL, CompletionType.FAILED


def _vector_cases() -> list[tuple[str, Options, str, str, list[Observation]]]:
    """(name, options, expect, reason, observations): each rule of the contract once,
    kept and broken."""
    flaky = AttemptEnded(RunOutcome(_FLAKY), retryable=True)
    none3, t1, t1g = Options(None, None, 3), Options(1.0, None, 1), Options(1.0, 0.5, 1)
    t1r = Options(1.0, None, 3)
    running = Read(0, False, Running())
    return [
        ("allowed-retried-then-returns", none3, "conforms",
         "a retryable error, a backoff, a second attempt that returns: NORMAL, once",
         [Launched(), WaitCalled(1), AttemptStarted(1), flaky, AttemptStarted(2),
          AttemptEnded(RunOutcome()), Start(1, _N, None), WaitReturned(1, Ok())]),
        ("allowed-timed-out-raises", t1, "conforms",
         "the deadline cancels the token; run() raises: CANCELLED with the TimeoutError",
         [Launched(), WaitCalled(1), AttemptStarted(1), DeadlineCancel(),
          AttemptEnded(RunOutcome(_STOPPED)), Start(1, _C, _TIMEOUT),
          WaitReturned(1, Err("TimeoutError", _TIMEOUT))]),
        ("allowed-timed-out-returns", t1, "conforms",
         "run() returns after the deadline: CANCELLED without a message, wait() returns",
         [Launched(), WaitCalled(1), AttemptStarted(1), DeadlineCancel(),
          AttemptEnded(RunOutcome()), Start(1, _C, None), WaitReturned(1, Ok())]),
        ("allowed-grace-cancel", t1g, "conforms",
         "run() ignores the token; the grace period's cancel ends it: the TimeoutError",
         [Launched(), AttemptStarted(1), DeadlineCancel(),
          AttemptEnded(RunOutcome(_GRACE, hard_cancelled=True)), Start(1, _C, _TIMEOUT),
          Read(1, True, Done(_C, _TIMEOUT))]),
        ("allowed-cancel-during-backoff", none3, "conforms",
         "a cancel during the backoff ends the job at once with the last error's message",
         [Launched(), AttemptStarted(1), flaky, Read(1, False, Running()), Cancelled(),
          Start(1, _C, "flaky"), Read(1, False, Done(_C, "flaky"))]),
        ("allowed-deadline-during-backoff", t1r, "conforms",
         "a deadline during the backoff is a timeout like any other",
         [Launched(), AttemptStarted(1), flaky, DeadlineCancel(), Start(1, _C, _TIMEOUT)]),
        ("allowed-run-wins-the-race", t1, "conforms",
         "run() ends before the deadline: no timeout, ever",
         [Launched(), running, AttemptStarted(1), AttemptEnded(RunOutcome()),
          Start(1, _N, None), Read(1, False, Done(_N, None))]),
        ("rejected-deadline-after-run", t1, "violation",
         "the deadline takes effect after run() returned",
         [Launched(), AttemptStarted(1), AttemptEnded(RunOutcome()), DeadlineCancel(),
          Start(1, _C, None)]),
        ("rejected-retry-after-cancel", none3, "violation",
         "an attempt starts after the token was cancelled",
         [Launched(), AttemptStarted(1), Cancelled(), flaky, AttemptStarted(2)]),
        ("rejected-completed-per-attempt", none3, "violation",
         "the continuations complete after a failed attempt that is retried",
         [Launched(), AttemptStarted(1), flaky, Start(1, _F, "flaky")]),
        ("rejected-timeout-failed", t1, "violation",
         "a timed-out job is classified FAILED",
         [Launched(), AttemptStarted(1), DeadlineCancel(), AttemptEnded(RunOutcome(_STOPPED)),
          Start(1, _F, _TIMEOUT)]),
        ("rejected-attempt-beyond-max", Options(None, None, 2), "violation",
         "a third attempt with max_attempts=2",
         [Launched(), AttemptStarted(1), flaky, AttemptStarted(2), flaky, AttemptStarted(3)]),
        ("rejected-wait-before-the-end", none3, "violation",
         "wait() returns while the job waits between attempts",
         [Launched(), WaitCalled(1), AttemptStarted(1), flaky, WaitReturned(1, Ok())]),
    ]


def vectors() -> list[tuple[str, str]]:
    """(file name, text) of every vector, labelled with the verdict and the line the
    oracle gives (computed here, and checked again by `check-trace` in the tests)."""
    from workerjob.model.timeouts import TimeoutsOracle

    out = []
    for name, options, expect, reason, observations in _vector_cases():
        oracle = TimeoutsOracle(initial(options, frozenset({1})))
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
        out.append((f"{name}.jsonl",
                    dump_trace(header(options, frozenset({1}), **labels), observations)))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m workerjob.conformance.traces.timeouts --write DIR | --check DIR`."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m workerjob.conformance.traces.timeouts",
                                     description="Write or check the timeouts-level vectors.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR", type=Path)
    group.add_argument("--check", metavar="DIR", type=Path)
    args = parser.parse_args(argv)
    expected = dict(vectors())
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        for stale in set(p.name for p in args.write.glob("*.jsonl")) - expected.keys():
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


# --- instants --------------------------------------------------------------


@dataclass
class InstantChecks:
    """The instants of a trace whose events carry `t`, checked as the `verify` level
    checks them against its clock (`conformance/stateful/timeouts.py`); each check
    needs the instants it compares (an event without `t` is not checked). The first
    failure is reported, worded as `verify` words it. `options`: `timeout`, `grace`
    and `retry` (`initial`, `factor`, `max_delay`; None: no backoff is checked), as a
    drive scenario or a trace header gives them."""

    options: JsonObject
    launch: float | None = None
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    interrupts: list[float] = field(default_factory=list)  # cancels (any), hard cancels
    hard_cancelled: bool = False  # from outside
    ended: bool = False  # the job's end was seen (a continuation started)

    def feed(self, obj: JsonObject) -> str | None:
        t, kind = obj.get("t"), obj["event"]
        if kind == "hard_cancel":
            self.hard_cancelled = True
        if t is None:
            return None
        timeout, grace, retry = (self.options["timeout"], self.options["grace"],
                                 self.options["retry"])
        match kind:
            case "launch":
                self.launch = t
            case "cancel" | "hard_cancel":
                self.interrupts.append(t)
            case "deadline":
                self.interrupts.append(t)
                if timeout is not None and self.launch is not None:
                    return _at("the deadline", t, self.launch + timeout)
            case "attempt_started":
                self.starts.append(t)
                n = obj["n"]
                if n > 1 and retry is not None and len(self.ends) == n - 1:
                    delay = backoff_delay(retry["initial"], retry["factor"], retry["max_delay"],
                                          n - 1)
                    return _at(f"attempt {n} (attempt {n - 1} ended at t={self.ends[-1]!r}, "
                               f"then a backoff of {delay!r}s)", t, self.ends[-1] + delay)
            case "attempt_ended":
                self.ends.append(t)
                if (obj["outcome"] == "cancelled" and not self.hard_cancelled
                        and timeout is not None and grace is not None
                        and self.launch is not None):
                    return _at("the grace period's cancel", t, self.launch + timeout + grace)
            case "start" if not self.ended:
                self.ended = True
                return self._end(t)
        return None

    def _end(self, t: float) -> str | None:
        """The job ended at `t` (its continuations start then): at its last attempt's
        end, or, when something cut a backoff short, at once at that instant."""
        if not self.starts or len(self.ends) != len(self.starts):
            return None
        last = self.ends[-1]
        after = [i for i in self.interrupts if i >= last - TOLERANCE]
        expected = min(after) if after and t > last + TOLERANCE else last
        if abs(t - expected) > TOLERANCE:
            return (f"the job ended at t={t!r}, during the backoff after attempt "
                    f"{len(self.ends)} (ended at t={last!r}); it had to end at once at "
                    f"t={expected!r}, when the backoff was cut short")
        return None


def _at(what: str, t: float, expected: float) -> str | None:
    if abs(t - expected) <= TOLERANCE:
        return None
    return f"{what} took effect at t={t!r}, expected at t={expected!r} (the driver's clock)"
