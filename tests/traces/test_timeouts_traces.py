"""The timeouts level's trace events (conformance/traces/timeouts.py): the committed
vectors are what the generator writes and check-trace gives each its label; the level's
own runs, written as traces, pass check-trace; v1 traces of the other levels are read
as before, and a bad timeouts trace is refused with its line."""

from __future__ import annotations

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


def test_the_levels_runs_written_as_traces_pass_check_trace() -> None:
    texts: list[str] = []
    base = machine_for(load_subject("workerjob.impl"), "timeouts")

    class Writing(base):  # type: ignore[valid-type, misc]
        written: ClassVar[list[str]] = texts

        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                if self.oracle is not None:
                    options = Options(self.timeout, self.grace,
                                      1 if self.policy is None else self.policy.max_attempts)
                    history = [obs for _, obs in self.history]
                    self.written.append(traces.dump_trace(traces.header(options, CONTS),
                                                          history))

    run_state_machine_as_test(Writing, settings=settings(max_examples=30, database=None))
    assert len(texts) >= 20
    for text in texts:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "conforms", (outcome.message, text)


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
