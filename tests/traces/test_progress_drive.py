"""`workerjob drive --level progress`: scenarios, the exchange's checks, and whole
campaigns through the reference driver (the bundled implementation conforms, each
progress mutant is caught by the invariant it breaks, the failing trace saved is one
check-trace fails, an implementation without progress is refused)."""

from __future__ import annotations

import io
import itertools
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.mutants.progress import MUTANTS
from workerjob.conformance.cli import main
from workerjob.conformance.traces.check_trace import check_file
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.progress_drive import (
    MAX_CONTS,
    MAX_READERS,
    PROLOGUE,
    ProgressDriverError,
    exchange,
    scenarios,
)

DRIVER = [sys.executable, "-m", "workerjob.conformance.traces.driver_impl"]


@settings(max_examples=200, deadline=None)
@given(steps=scenarios())
def test_scenarios_keep_to_their_limits(steps: list[JsonObject]) -> None:
    assert steps[:3] == list(PROLOGUE)[:3]  # a trailing settle is dropped
    dos = [s["do"] for s in steps]
    assert dos.count("reader") <= MAX_READERS and dos.count("add") <= MAX_CONTS
    assert all(dos.count(d) <= 1 for d in ("end_run", "hard_cancel", "wait"))
    assert [s["cont"] for s in steps if s["do"] == "add"] == list(
        range(1, dos.count("add") + 1))
    assert all(not (a == b == "settle") for a, b in itertools.pairwise(dos))


class Scripted:
    """A driver process that answers with a fixed list of lines."""

    def __init__(self, answer: list[JsonObject]) -> None:
        self.answer = [json.dumps(a).encode() + b"\n" for a in answer]
        self.sent: list[JsonObject] = []

    def send(self, obj: JsonObject) -> None:
        self.sent.append(obj)

    def read(self) -> tuple[int, bytes, bool]:
        raw = self.answer.pop(0)
        return 1, raw.rstrip(b"\n"), True


STEPS = [dict(s) for s in PROLOGUE]
START: list[JsonObject] = [
    {"event": "reader_started", "reader": 0}, {"event": "invoke", "id": 1, "op": "launch"},
    {"event": "return", "id": 1, "ok": None}, {"event": "run_called"}]


def test_an_answer_is_checked_against_the_model() -> None:
    good = Scripted([*START, {"event": "end", "scenario": 1}])
    run = exchange(good, 1, STEPS)
    assert run.violation is None and good.sent[0]["level"] == "progress"
    early = Scripted([*START, {"event": "reader_ended", "reader": 0},
                      {"event": "end", "scenario": 1}])
    run = exchange(early, 1, STEPS)
    assert run.violation is not None and "ends-at-done" in run.violation
    assert run.violation_line == 6


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([{"event": "reader_ended", "reader": 3}], "reader 3 was never started"),
        ([{"event": "report", "done": 1}], "bad report event"),
        ([{"event": "end", "scenario": 2}], "expected scenario 1"),
        ([{"event": "error", "scenario": 1, "message": "no progress"}],
         "could not run it: no progress"),
    ],
)
def test_a_broken_answer_is_the_driver_s_fault(answer: list[JsonObject], message: str) -> None:
    with pytest.raises(ProgressDriverError, match=message):
        exchange(Scripted(answer), 1, STEPS)


def test_the_bundled_implementation_conforms_through_the_driver(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drive", "--level", "progress", "--examples", "100", "--seed", "3",
                 "--json", "--", *DRIVER, "--schedule", "random"])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["verdict"], out["scenarios"]) == (0, "conforms", 100)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_each_progress_mutant_is_caught_by_its_invariant(
        mutant: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "failing.jsonl"
    code = main(["drive", "--level", "progress", "--examples", "200", "--seed", "1",
                 "--no-shrink", "--json", "--save-trace", str(saved), "--", *DRIVER,
                 "--impl", f"tests.mutants.progress.{mutant}"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["failing"] is not None, out
    assert MUTANTS[mutant] in out["failing"]["report"], out["failing"]["report"]
    again = check_file(str(saved))
    assert again.verdict == "violation" and MUTANTS[mutant] in again.message
    assert again.line == out["failing"]["violation_line"]


def test_an_implementation_without_progress_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drive", "--level", "progress", "--examples", "5", "--seed", "1", "--",
                 *DRIVER, "--impl", "tests.mutants.base"])
    assert code == 2
    assert "does not export report_progress, snapshot" in capsys.readouterr().err


def test_the_trace_text_is_a_progress_trace() -> None:
    run = exchange(Scripted([*START, {"event": "end", "scenario": 1}]), 1, STEPS)
    first = json.loads(io.StringIO(run.trace_text()).readline())
    assert first == {"trace": "workerjob", "version": 1, "level": "progress",
                     "job_worker": "job-worker"}
