"""The timeouts level's trace events (conformance/traces/timeouts.py): the committed
vectors are what the generator writes and check-trace gives each its label; the level's
own runs, written as traces, pass check-trace; v1 traces of the other levels are read
as before, and a bad timeouts trace is refused with its line."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from workerjob.conformance.stateful.machine import machine_for
from workerjob.conformance.stateful.subject import load_subject
from workerjob.conformance.stateful.timeouts import CONTS
from workerjob.conformance.traces import timeouts as traces
from workerjob.conformance.traces.check_trace import check_file, check_stream
from workerjob.model.timeouts import Options

from .helpers import VECTORS, cli

DIRECTORY = VECTORS / "timeouts"
FILES = sorted(DIRECTORY.glob("*.jsonl"))


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert traces.main(["--check", str(DIRECTORY)]) == 0, (
        "regenerate with: python -m workerjob.conformance.traces.timeouts "
        "--write test_vectors/timeouts")


def test_there_are_vectors_of_both_verdicts() -> None:
    labels = [json.loads(p.read_text().splitlines()[0])["expect"] for p in FILES]
    assert labels.count("conforms") >= 6 and labels.count("violation") >= 6


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_check_trace_gives_each_vector_its_label(path: Path) -> None:
    header = json.loads(path.read_text().splitlines()[0])
    outcome = check_file(str(path))
    assert outcome.verdict == header["expect"], outcome.message
    assert outcome.line == header.get("violation_line")
    assert outcome.level == "timeouts"


@functools.cache
def level_runs(timed: bool, examples: int) -> list[str]:
    """The level's runs on `workerjob.impl` as traces. `timed`: the events carry their
    instant on the loop's clock, and the header the retry policy when it has the
    contract's formula."""
    texts: list[str] = []
    base = machine_for(load_subject("workerjob.impl"), "timeouts")

    class Writing(base):  # type: ignore[valid-type, misc]
        written: ClassVar[list[str]] = texts

        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                if self.oracle is not None:
                    p = self.policy
                    options = Options(self.timeout, self.grace, 1 if p is None else p.max_attempts)
                    retry = None if not timed or p is None or p.linear else {
                        "initial": p.initial, "factor": p.factor, "max_delay": p.max_delay}
                    times = [t for t, _ in self.history] if timed else None
                    self.written.append(traces.dump_trace(
                        traces.header(options, CONTS, retry=retry),
                        [obs for _, obs in self.history], times))

    run_state_machine_as_test(Writing, settings=settings(max_examples=examples, database=None,
                                                         derandomize=True))
    return texts


def timed_runs() -> list[str]:
    return level_runs(True, 150)


def test_the_levels_runs_written_as_traces_pass_check_trace() -> None:
    texts = level_runs(False, 30)
    assert len(texts) >= 20
    for text in texts:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "conforms", (outcome.message, text)


def test_the_levels_runs_with_their_instants_pass_check_trace() -> None:
    texts = timed_runs()
    assert sum('"retry":{' in text for text in texts) >= 5
    for text in texts:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "conforms", (outcome.message, text)


def _moved(text: str, event: str, by: float, nth: int = 1) -> str | None:
    """`text` with the `nth` `event` (and every event after it) `by` seconds later, or
    None when it has no such event."""
    lines = [json.loads(line) for line in text.splitlines()]
    if event == "attempt_started" and lines[0]["options"].get("retry") is None:
        return None  # a backoff without the contract's formula: not checked to the instant
    seen = [i for i, obj in enumerate(lines) if obj.get("event") == event
            and (event != "attempt_started" or obj["n"] > 1)]
    if len(seen) < nth:
        return None
    for obj in lines[seen[nth - 1]:]:
        obj["t"] += by
    return "".join(json.dumps(obj) + "\n" for obj in lines)


@pytest.mark.parametrize(("event", "by", "message"), [
    ("deadline", 0.25, "the deadline took effect at"),
    ("deadline", -0.25, "the deadline took effect at"),
    ("attempt_started", 0.1, "then a backoff of"),
])
def test_check_trace_catches_an_instant_moved(event: str, by: float, message: str) -> None:
    """The same conforming runs, one instant moved (and what follows it, so the order is
    unchanged): each is a violation of the instant's own check; the runs as they were
    conform (the test above)."""
    moved = [m for text in timed_runs() if (m := _moved(text, event, by)) is not None]
    assert len(moved) >= 3
    for text in moved:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "violation", text
        assert message in outcome.message, outcome.message


def test_the_grace_periods_instant_is_checked() -> None:
    header = {"trace": "workerjob", "version": 1, "level": "timeouts", "options": {
        "timeout": 1.0, "grace": 0.5, "max_attempts": 1, "continuations": [1]}}
    events: list[dict[str, Any]] = [
        {"event": "launch", "t": 0.0}, {"event": "attempt_started", "n": 1, "t": 0.0},
        {"event": "deadline", "t": 1.0},
        {"event": "attempt_ended", "outcome": "cancelled",
         "error": {"type": "CancelledError", "message": "timeout"}, "retryable": False,
         "t": 1.5},
        {"event": "start", "cont": 1, "completion_type": "cancelled",
         "error_message": "timed out after 1.0s", "t": 1.5}]

    def check(at: float) -> Any:
        events[3]["t"] = events[4]["t"] = at
        text = "".join(json.dumps(obj) + "\n" for obj in [header, *events])
        return check_stream(io.BytesIO(text.encode()))

    assert check(1.5).verdict == "conforms"
    late = check(2.0)
    assert late.verdict == "violation"
    assert "the grace period's cancel took effect at t=2.0, expected at t=1.5" in late.message
    assert late.line == 5


@pytest.mark.parametrize(("lines", "message"), [
    ([{"trace": "workerjob", "version": 1, "level": "timeouts"}], "options"),
    ([{"trace": "workerjob", "version": 1, "level": "continuations", "options": {}}],
     "options belong in timeouts-level traces only"),
    ([{"trace": "workerjob", "version": 1, "level": "timeouts",
       "options": {"timeout": None, "grace": 1.0, "max_attempts": 1, "continuations": []}}],
     "grace needs a timeout"),
    ([{"trace": "workerjob", "version": 1, "level": "timeouts",
       "options": {"timeout": 1.0, "grace": None, "max_attempts": 1, "continuations": [1]}},
      {"event": "launch"}, {"event": "attempt_started", "n": 0}], "line 3"),
    ([{"trace": "workerjob", "version": 1, "level": "timeouts",
       "options": {"timeout": 1.0, "grace": None, "max_attempts": 1, "continuations": [1]}},
      {"event": "wait_returned", "id": 4, "ok": None}], "not in flight"),
])
def test_a_bad_timeouts_trace_is_unreadable_with_one_line(tmp_path: Path,
                                                          lines: list[dict[str, Any]],
                                                          message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ran = cli("check-trace", str(path))
    assert ran.code == 2 and message in ran.err, ran.err
    assert "Traceback" not in ran.err and ran.err.count("\n") == 1


def test_a_violation_names_its_line_and_the_reason() -> None:
    ran = cli("check-trace", str(DIRECTORY / "rejected-deadline-after-run.jsonl"))
    assert ran.code == 1
    assert "line 5" in ran.out and "after the job's run() ended" in ran.out


def test_the_example_in_driver_md_conforms() -> None:
    text = (VECTORS.parent / "conformance" / "traces" / "DRIVER.md").read_text(encoding="utf-8")
    section = text.split("## The timeouts level", 1)[1]
    block = section.split("```jsonl\n", 1)[1].split("```", 1)[0]
    outcome = check_stream(io.BytesIO(block.encode()))
    assert outcome.verdict == "conforms" and outcome.level == "timeouts", outcome.message
