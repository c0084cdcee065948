"""Test vectors: small v1 traces, each labelled with the verdict the oracle gives it.

    python -m workerjob.conformance.traces.vectors --write DIR    # (re)generate DIR
    python -m workerjob.conformance.traces.vectors --check DIR    # exit 1 if DIR is stale

For implementers who want fixed cases before running a driver: each file is a trace
whose header says `"expect": "conforms"` or `"expect": "violation"`, with a `reason`
and, for a violation at an event, its `violation_line`. `workerjob check-trace` gives
each file its label (exit 0 or 1). The repository keeps a generated copy in
`test_vectors/`; an installed kit regenerates the same files with `--write`.

Where they come from:
- `walk-*`: walks of the model's own transitions (`model/environment.py`), seeded, so
  every run of the generator gives the same files. Whatever the model does conforms.
- `allowed-*` and `rejected-*`: written by hand, one rule of SPEC each.
- `perturbed-*`: a walk with one event changed, dropped, duplicated or moved, the
  change named in the reason, which says why the result is a violation whatever the
  walk; the generator applies every perturbation to every walk and fails where the
  oracle accepts the result.

Every label is checked against the oracle when the vectors are generated.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from workerjob.conformance.traces.trace_format import LEVELS, Header, Level, dump_trace
from workerjob.model import (
    NAMED_SPECS,
    SPECS,
    AddOrRunNow,
    Cancel,
    Complete,
    CompletionType,
    Done,
    Err,
    HardCancel,
    Invoke,
    Launch,
    Observation,
    Ok,
    Oracle,
    ReadState,
    Result,
    Return,
    RunEnded,
    Running,
    RunOutcome,
    Start,
    TaskError,
    Wait,
    spec_with,
)
from workerjob.model.actions import Action
from workerjob.model.environment import Bound, transitions

NORMAL, CANCELLED, FAILED = CompletionType.NORMAL, CompletionType.CANCELLED, CompletionType.FAILED
BOOM = TaskError("ValueError", "boom")
JOB_WORKER = "job-worker"
WALKS_PER_LEVEL = 8
WALK_STEPS = 40
INDEX = "README.md"


@dataclass(frozen=True)
class Vector:
    name: str
    level: Level
    observations: tuple[Observation, ...]
    expect: str  # "conforms" | "violation"
    reason: str
    spec: str | None = None
    job_worker: str | None = None
    violation_line: int | None = None
    allow: tuple[str, ...] = ()

    def header(self) -> Header:
        return Header(self.level, self.job_worker, self.spec, self.allow,
                      expect="conforms" if self.expect == "conforms" else "violation",
                      reason=self.reason, violation_line=self.violation_line)

    def text(self) -> str:
        return dump_trace(self.header(), list(self.observations))


def verdict(level: Level, job_worker: str | None, spec: str | None,
            observations: tuple[Observation, ...],
            allow: tuple[str, ...] = ()) -> tuple[str, int | None]:
    """What the oracle says: ("conforms", None), or ("violation", line or None)."""
    header = Header(level, job_worker)
    oracle = Oracle(header.initial_state(), spec_with(NAMED_SPECS[spec or "atomic"], allow))
    for index, obs in enumerate(observations):
        if oracle.observe(obs) is not None:
            return "violation", index + 2  # line 1 is the header
    return ("conforms", None) if oracle.finish() is None else ("violation", None)


def labelled(name: str, level: Level, observations: list[Observation], expect: str,
             reason: str, spec: str | None = None, allow: tuple[str, ...] = ()) -> Vector:
    """A vector whose label is checked against the oracle here and now."""
    job_worker = JOB_WORKER if level == "job" else None
    obs = tuple(observations)
    found, line = verdict(level, job_worker, spec, obs, allow)
    if found != expect:
        raise AssertionError(f"vector {name}: labelled {expect}, but the oracle says {found}")
    return Vector(name, level, obs, expect, reason, spec, job_worker, line, allow)


# --- walks of the model ---------------------------------------------------------------------


def _kind(action: Action) -> str:
    return type(action).__name__


def walk(level: Level, seed: int, steps: int = WALK_STEPS) -> list[Observation]:
    """A seeded walk of the model's transitions, then a drain (no new invocations, run()
    left as it is) until nothing more happens by itself. At each step a kind of action
    is picked first, then one action of that kind, so returns and starts are not
    drowned by the many possible invocations."""
    rng = random.Random(seed)
    bound = Bound(keys=("a", "b"), workers=(JOB_WORKER, "w2") if level == "job"
                  else ("w1", "w2"), max_ops=5, job=level == "job")
    spec = SPECS["atomic"]
    world = bound.initial()
    actions: list[Action] = []
    for _ in range(steps):
        options = list(transitions(spec, bound, world))
        if not options:
            break
        kinds = sorted({_kind(a) for a, _ in options})
        kind = kinds[rng.randrange(len(kinds))]
        of_kind = [o for o in options if _kind(o[0]) == kind]
        action, world = of_kind[rng.randrange(len(of_kind))]
        actions.append(action)
    while True:
        options = [(a, w) for a, w in transitions(spec, bound, world)
                   if not isinstance(a, Invoke | RunEnded)]
        if not options:
            break
        action, world = options[0]
        actions.append(action)
    return [a for a in actions if isinstance(a, Invoke | Return | Start | RunEnded)]


def _summary(observations: list[Observation]) -> str:
    ops = sorted({_op_name(o.op) for o in observations if isinstance(o, Invoke)})
    starts = sum(isinstance(o, Start) for o in observations)
    return (f"{sum(isinstance(o, Invoke) for o in observations)} operations "
            f"({', '.join(ops) or 'none'}), {starts} continuation start(s)")


def _op_name(op: object) -> str:
    return {AddOrRunNow: "add_or_run_now", Complete: "complete", Cancel: "cancel",
            ReadState: "state", Launch: "launch", HardCancel: "hard_cancel",
            Wait: "wait"}[type(op)]


def walks() -> list[Vector]:
    out = []
    for level in LEVELS:
        for n in range(1, WALKS_PER_LEVEL + 1):
            obs = walk(level, n)
            out.append(labelled(
                f"walk-{level}-{n:02d}", level, obs, "conforms",
                f"a walk of the model's own transitions (seed {n}): {_summary(obs)}"))
    return out


# --- perturbations of walks -----------------------------------------------------------------

Perturbation = Callable[[list[Observation]], list[Observation] | None]


def _last_index(obs: list[Observation], kind: type) -> int | None:
    found = [i for i, o in enumerate(obs) if isinstance(o, kind)]
    return found[-1] if found else None


def drop_start(obs: list[Observation]) -> list[Observation] | None:
    i = _last_index(obs, Start)
    return None if i is None else obs[:i] + obs[i + 1:]


def duplicate_start(obs: list[Observation]) -> list[Observation] | None:
    i = _last_index(obs, Start)
    return None if i is None else [*obs[:i + 1], obs[i], *obs[i + 1:]]


def start_other_type(obs: list[Observation]) -> list[Observation] | None:
    """The last start receives a completion type that contradicts its message: NORMAL
    comes with no message, FAILED always with one."""
    i = _last_index(obs, Start)
    if i is None:
        return None
    s = obs[i]
    assert isinstance(s, Start)
    other = FAILED if s.error_message is None else NORMAL
    return [*obs[:i], replace(s, completion_type=other), *obs[i + 1:]]


def start_other_worker(obs: list[Observation]) -> list[Observation] | None:
    i = _last_index(obs, Start)
    if i is None:
        return None
    s = obs[i]
    assert isinstance(s, Start)
    return [*obs[:i], replace(s, worker=s.worker + "-impostor"), *obs[i + 1:]]


def start_first(obs: list[Observation]) -> list[Observation] | None:
    """The last start whose add was invoked before anything could complete (no
    complete, hard cancel or run() ending before it) moved to just after that
    invocation: the phase is still Running there, so nothing had made it due."""
    for i in reversed(range(len(obs))):
        s = obs[i]
        if not isinstance(s, Start):
            continue
        add = next(j for j, o in enumerate(obs) if isinstance(o, Invoke)
                   and isinstance(o.op, AddOrRunNow) and o.op.cont == s.cont)
        if any(isinstance(o, RunEnded) or (isinstance(o, Invoke)
                                           and isinstance(o.op, Complete | HardCancel))
               for o in obs[:add]):
            continue
        rest = obs[:i] + obs[i + 1:]
        return [*rest[:add + 1], s, *rest[add + 1:]]
    return None


def state_goes_back(obs: list[Observation]) -> list[Observation] | None:
    """The last state read invoked once Done was reached (after a continuation started
    or a complete returned ok) returns Running instead."""
    completes = {o.op_id for o in obs if isinstance(o, Invoke) and isinstance(o.op, Complete)}
    first_done = next((i for i, o in enumerate(obs) if isinstance(o, Start) or (
        isinstance(o, Return) and o.op_id in completes and o.result == Ok())), None)
    if first_done is None:
        return None
    reads = {o.op_id for o in obs[first_done:]
             if isinstance(o, Invoke) and isinstance(o.op, ReadState)}
    found = [i for i, o in enumerate(obs) if isinstance(o, Return) and o.op_id in reads]
    if not found:
        return None
    i = found[-1]
    r = obs[i]
    assert isinstance(r, Return)
    return [*obs[:i], Return(r.op_id, Ok(Running())), *obs[i + 1:]]


def _returns_of(obs: list[Observation], kind: type) -> list[int]:
    ids = {o.op_id for o in obs if isinstance(o, Invoke) and isinstance(o.op, kind)}
    return [i for i, o in enumerate(obs) if isinstance(o, Return) and o.op_id in ids]


def second_complete_succeeds(obs: list[Observation]) -> list[Observation] | None:
    """A complete that raised returns ok, where another complete returned ok: two
    completes would both have completed."""
    returns = [(i, obs[i]) for i in _returns_of(obs, Complete)]
    if not any(isinstance(r, Return) and r.result == Ok() for _, r in returns):
        return None
    raising = [i for i, r in returns if isinstance(r, Return) and isinstance(r.result, Err)]
    if not raising:
        return None
    i = raising[-1]
    r = obs[i]
    assert isinstance(r, Return)
    return [*obs[:i], Return(r.op_id, Ok()), *obs[i + 1:]]


def lone_complete_refused(obs: list[Observation]) -> list[Observation] | None:
    """The one complete of a trace without a job raises InvalidStateError although
    nothing else could have completed."""
    if any(isinstance(o, RunEnded) or (isinstance(o, Invoke) and o.op.__class__ in
                                       (Launch, HardCancel, Wait)) for o in obs):
        return None
    returns = _returns_of(obs, Complete)
    if len(returns) != 1:
        return None
    i = returns[0]
    r = obs[i]
    assert isinstance(r, Return)
    return [*obs[:i], Return(r.op_id, Err("InvalidStateError")), *obs[i + 1:]]


def drop_last_return(obs: list[Observation]) -> list[Observation] | None:
    i = _last_index(obs, Return)
    return None if i is None else obs[:i] + obs[i + 1:]


PERTURBATIONS: tuple[tuple[str, str, Perturbation], ...] = (
    ("dropped-start", "the last continuation start is dropped: a due continuation never "
     "starts", drop_start),
    ("duplicated-start", "the last continuation start is repeated: a continuation runs "
     "twice", duplicate_start),
    ("start-other-type", "the last start receives a completion type that contradicts its "
     "message (NORMAL has none, FAILED always one)", start_other_type),
    ("start-other-worker", "the last start receives a worker nobody handed over",
     start_other_worker),
    ("start-too-early", "a start is moved to just after its add's invocation, invoked "
     "before anything could complete: nothing had made it due", start_first),
    ("state-goes-back", "the last state read invoked once Done was reached (a start, or "
     "complete returned ok) returns Running: Done is absorbing", state_goes_back),
    ("second-complete-succeeds", "a complete that raised returns ok where another "
     "already returned ok: only one complete completes", second_complete_succeeds),
    ("lone-complete-refused", "the one complete of a trace without a job raises "
     "InvalidStateError: nothing else completed", lone_complete_refused),
    ("truncated", "the trace stops before the last return: an operation never returns",
     drop_last_return),
)
"""Each perturbation is a violation by its own reason (its description), whatever the
walk it applies to: the oracle must reject every result, and the generator fails where
it does not (`perturbed`)."""


def perturbations(base: list[Vector]) -> Iterator[tuple[str, Vector]]:
    """Every perturbation applied to every walk it applies to, labelled a violation by
    its own reason: `labelled` raises where the oracle disagrees. Yields (the
    perturbation's name, the vector)."""
    for vector in base:
        for name, what, perturb in PERTURBATIONS:
            changed = perturb(list(vector.observations))
            if changed is not None:
                yield name, labelled(f"perturbed-{vector.level}-{name}", vector.level, changed,
                                     "violation", f"{vector.name} with one change: {what}")


def perturbed(base: list[Vector]) -> list[Vector]:
    """The vectors written: per level, each perturbation on the first walk it applies
    to. Every other application is checked too, and any the oracle accepts fails."""
    out: dict[str, Vector] = {}
    for _, vector in perturbations(base):
        out.setdefault(vector.name, vector)
    return [out[f"perturbed-{level}-{name}"] for level in LEVELS for name, _, _ in PERTURBATIONS
            if f"perturbed-{level}-{name}" in out]


# --- by hand --------------------------------------------------------------------------------


def add(i: int, key: str, worker: str = "adder") -> Invoke:
    return Invoke(i, AddOrRunNow(key, i, worker))


def complete(i: int, error: TaskError | None = None, worker: str = "completer") -> Invoke:
    return Invoke(i, Complete(error, worker))


def call(i: int, op: Cancel | ReadState | Launch | HardCancel | Wait) -> Invoke:
    return Invoke(i, op)


def ret(i: int, result: Result | None = None) -> Return:
    return Return(i, Ok() if result is None else result)


def saw(i: int, ctype: CompletionType, message: str | None = None) -> Return:
    return Return(i, Ok(Done(ctype, message)))


def start(c: int, worker: str, ctype: CompletionType, message: str | None = None) -> Start:
    return Start(c, worker, ctype, message)


def ended(error: TaskError | None = None, hard: bool = False) -> RunEnded:
    return RunEnded(RunOutcome(error, hard_cancelled=hard))


STATE, CANCEL, LAUNCH, WAIT = ReadState(), Cancel(), Launch(), Wait()

_C: Level = "continuations"
_J: Level = "job"

ALLOWED: tuple[tuple[str, Level, str, list[Observation]], ...] = (
    ("registered-then-completed", _C,
     "a continuation registered while Running starts once complete takes effect, with the "
     "completer's worker",
     [add(1, "a"), ret(1), complete(2), ret(2), start(1, "completer", NORMAL)]),
    ("added-after-done", _C,
     "added after Done, a continuation starts at once with the adder's worker and the "
     "stored outcome",
     [complete(1, BOOM), ret(1), add(2, "a"), ret(2), start(2, "adder", FAILED, "boom")]),
    ("start-before-add-returns", _C,
     "the start may come before add_or_run_now returns: the caller does not wait for it",
     [complete(1), ret(1), add(2, "a"), start(2, "adder", NORMAL), ret(2)]),
    ("overlap-add-first", _C,
     "add_or_run_now overlapping complete may take effect before it (completer's worker)",
     [add(1, "a"), complete(2), ret(2), ret(1), start(1, "completer", NORMAL)]),
    ("overlap-add-second", _C,
     "add_or_run_now overlapping complete may take effect after it (adder's worker)",
     [add(1, "a"), complete(2), ret(2), ret(1), start(1, "adder", NORMAL)]),
    ("same-key-replaced", _C,
     "a later add under the same key replaces the earlier continuation, which never runs",
     [add(1, "a"), ret(1), add(2, "a"), ret(2), complete(3), ret(3),
      start(2, "completer", NORMAL)]),
    ("cancel-wins", _C,
     "cancel before complete: CANCELLED, and the error's message is kept",
     [call(1, CANCEL), ret(1), complete(2, BOOM), ret(2), call(3, STATE),
      saw(3, CANCELLED, "boom")]),
    ("empty-message", _C,
     "an error with an empty message: the message is the error's type name",
     [complete(1, TaskError("ValueError", "")), ret(1), call(2, STATE),
      saw(2, FAILED, "ValueError")]),
    ("second-complete-raises", _C,
     "a second complete raises InvalidStateError and changes nothing",
     [complete(1), ret(1), complete(2, BOOM), ret(2, Err("InvalidStateError")),
      call(3, STATE), saw(3, NORMAL)]),
    ("failed-run", _J,
     "run() raises: the job ends FAILED with the job's worker, and wait() re-raises",
     [add(1, "a"), ret(1), call(2, LAUNCH), ret(2), call(3, WAIT), ended(BOOM),
      ret(3, Err("ValueError", "boom")), start(1, JOB_WORKER, FAILED, "boom")]),
    ("hard-cancel", _J,
     "a hard cancel ends the job CANCELLED with the cancel's message",
     [call(1, LAUNCH), ret(1), call(2, HardCancel("stop")), ret(2), call(3, WAIT),
      ended(TaskError("CancelledError", "stop"), hard=True), ret(3, Err("CancelledError")),
      call(4, STATE), saw(4, CANCELLED, "stop")]),
    ("wait-misuse", _J,
     "wait before launch, launch twice, wait twice: each raises RuntimeError",
     [call(1, WAIT), ret(1, Err("RuntimeError", "Task not launched")), call(2, LAUNCH), ret(2),
      call(3, LAUNCH), ret(3, Err("RuntimeError")), ended(), call(4, WAIT), ret(4),
      call(5, WAIT), ret(5, Err("RuntimeError"))]),
    ("wait-in-flight", _J,
     "a wait() on a job whose run() never ends may stay in flight at the end",
     [call(1, LAUNCH), ret(1), call(2, WAIT)]),
)

# complete reads the token, then cancel lands and returns, a state read still sees
# Running, and the job ends NORMAL: what the Rust original does.
ORIGINAL_ANOMALY: list[Observation] = [
    complete(1), call(2, CANCEL), ret(2), call(3, STATE), ret(3, Ok(Running())), ret(1),
    call(4, STATE), saw(4, NORMAL),
]

# The same window in the job's own completion (the launch wrapper calls the same
# complete): run() ended, the wrapper read the token, cancel() landed and returned, a
# state read saw Running, and the job still ended NORMAL (FAILED when run() raised).
def job_token_read_early(error: TaskError | None) -> list[Observation]:
    done = saw(4, NORMAL) if error is None else saw(4, FAILED, error.text)
    return [call(1, LAUNCH), ret(1), ended(error), call(2, CANCEL), ret(2), call(3, STATE),
            ret(3, Ok(Running())), call(4, STATE), done]


# What the original does, departures and all: run() raises, wait() returns ok anyway
# (wait-returns-ok), the continuation runs FAILED, and a later complete returns ok and
# overwrites Done (complete-overwrites-done).
ORIGINAL_RUN: list[Observation] = [
    add(1, "a"), ret(1), call(2, LAUNCH), ret(2), call(3, WAIT), ended(BOOM), ret(3),
    start(1, JOB_WORKER, FAILED, "boom"), complete(4), ret(4), call(5, STATE), saw(5, NORMAL),
]

DEPARTING: tuple[tuple[str, Level, str, list[Observation], str, tuple[str, ...]], ...] = (
    ("token-read-early-job", _J,
     "the job's own completion read the token before cancel() landed, and took effect "
     "after a state read that followed cancel's return: the token-read-early spec "
     "allows it", job_token_read_early(None), "token-read-early", ()),
    ("token-read-early-job-failed", _J,
     "as allowed-token-read-early-job, with run() raising: FAILED although cancel() "
     "returned first", job_token_read_early(BOOM), "token-read-early", ()),
    ("original", _J,
     "what the original does: wait() returns ok although run() raised, and a second "
     "complete returns ok and overwrites Done; the header names the original spec",
     ORIGINAL_RUN, "original", ()),
    ("wait-returns-ok", _J,
     "wait() returns ok although run() raised: the header allows that one departure",
     [call(1, LAUNCH), ret(1), call(2, WAIT), ended(BOOM), ret(2)], "atomic",
     ("wait-returns-ok",)),
)

REJECTED: tuple[tuple[str, Level, str, list[Observation]], ...] = (
    ("started-while-running", _C,
     "a continuation registered while Running starts before any complete",
     [add(1, "a"), ret(1), start(1, "adder", NORMAL)]),
    ("replaced-starts", _C,
     "a continuation replaced under its key starts",
     [add(1, "a"), ret(1), add(2, "a"), ret(2), complete(3), ret(3),
      start(1, "completer", NORMAL)]),
    ("normal-after-cancel", _C,
     "NORMAL although cancel returned before complete was invoked",
     [call(1, CANCEL), ret(1), complete(2), ret(2), call(3, STATE), saw(3, NORMAL)]),
    ("message-dropped", _C,
     "the error's message is dropped when the outcome is CANCELLED",
     [call(1, CANCEL), ret(1), complete(2, BOOM), ret(2), call(3, STATE), saw(3, CANCELLED)]),
    ("done-changes", _C,
     "two state reads after completion see two different Done values",
     [complete(1, BOOM), ret(1), call(2, STATE), saw(2, FAILED, "boom"), call(3, STATE),
      saw(3, NORMAL)]),
    ("never-started", _C,
     "a due continuation never starts (judged at the end of the trace)",
     [add(1, "a"), ret(1), complete(2), ret(2)]),
    ("lost-on-failure", _J,
     "run() raises and the registered continuation never starts",
     [add(1, "a"), ret(1), call(2, LAUNCH), ret(2), ended(BOOM)]),
    ("wait-swallows-failure", _J,
     "wait() returns ok although run() raised",
     [call(1, LAUNCH), ret(1), call(2, WAIT), ended(BOOM), ret(2)]),
    ("wait-too-early", _J,
     "wait() returns before run() ended",
     [call(1, LAUNCH), ret(1), call(2, WAIT), ret(2)]),
    ("hard-cancel-normal", _J,
     "a hard cancel, yet the job ends NORMAL",
     [call(1, LAUNCH), ret(1), call(2, HardCancel(None)), ret(2), call(3, WAIT),
      ret(3, Err("CancelledError")), call(4, STATE), saw(4, NORMAL)]),
    ("token-read-early", _C,
     "complete read the token before cancel landed, yet took effect after a state read "
     "that followed cancel's return: allowed by the token-read-early spec only",
     ORIGINAL_ANOMALY),
    ("token-read-early-job", _J,
     "the job's own completion ends NORMAL although cancel() returned, and a state read "
     "after it saw Running: the token read early, allowed by token-read-early only",
     job_token_read_early(None)),
    ("token-read-early-job-failed", _J,
     "as rejected-token-read-early-job, with run() raising: FAILED where SPEC says "
     "CANCELLED", job_token_read_early(BOOM)),
    ("original", _J,
     "the original's run under SPEC: wait() must re-raise run()'s error",
     ORIGINAL_RUN),
)


def by_hand() -> list[Vector]:
    out = [labelled(f"allowed-{name}", level, obs, "conforms", reason)
           for name, level, reason, obs in ALLOWED]
    out.append(labelled(
        "allowed-token-read-early", _C, ORIGINAL_ANOMALY, "conforms",
        "the Rust original's window, checked against the token-read-early spec (the "
        "header names it): complete reads the token before it takes effect",
        spec="token-read-early"))
    out += [labelled(f"allowed-{name}", level, obs, "conforms", reason, spec, allow)
            for name, level, reason, obs, spec, allow in DEPARTING]
    out += [labelled(f"rejected-{name}", level, obs, "violation", reason)
            for name, level, reason, obs in REJECTED]
    return out


def all_vectors() -> list[Vector]:
    base = walks()
    return [*base, *by_hand(), *perturbed(base)]


# --- files ----------------------------------------------------------------------------------


def files() -> Iterator[tuple[str, str]]:
    """(file name, content) of every vector, and the index."""
    vectors = all_vectors()
    rows = ["# workerjob trace vectors (v1)", "",
            "Generated by `python -m workerjob.conformance.traces.vectors --write test_vectors`;",
            "do not edit. `workerjob check-trace FILE` exits 0 for `conforms` and 1 for",
            "`violation`, at the line given (`end`: judged at the end of the trace).", "",
            "| file | expect | line | reason |", "| --- | --- | --- | --- |"]
    for v in vectors:
        yield f"{v.name}.jsonl", v.text()
        line = "" if v.expect == "conforms" else str(v.violation_line or "end")
        rows.append(f"| {v.name}.jsonl | {v.expect} | {line} | {v.reason} |")
    yield INDEX, "\n".join(rows) + "\n"


def write(directory: Path) -> list[str]:
    """Write every file into `directory` (created) and remove stale `.jsonl` files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files():
        (directory / name).write_text(text, encoding="ascii", newline="\n")
        written.append(name)
    for stale in directory.glob("*.jsonl"):
        if stale.name not in written:
            stale.unlink()
    return written


def differences(directory: Path) -> list[str]:
    """What differs between `directory` and freshly generated vectors."""
    expected = dict(files())
    present = {p.name for p in directory.glob("*.jsonl")} | (
        {INDEX} if (directory / INDEX).exists() else set())
    out = [f"missing: {n}" for n in sorted(expected.keys() - present)]
    out += [f"stale: {n}" for n in sorted(present - expected.keys())]
    out += [f"differs: {n}" for n in sorted(expected.keys() & present)
            if (directory / n).read_bytes() != expected[n].encode("ascii")]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workerjob.conformance.traces.vectors",
                                     description="Generate or check the trace test vectors.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR", type=Path, help="write the vectors into DIR")
    group.add_argument("--check", metavar="DIR", type=Path,
                       help="exit 1 unless DIR holds exactly the vectors generated now")
    args = parser.parse_args(argv)
    if args.write is not None:
        names = write(args.write)
        print(f"wrote {len(names) - 1} vectors and {INDEX} to {args.write}")
        return 0
    problems = differences(args.check)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
