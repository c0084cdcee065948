"""`workerjob drive --level scheduler`: scenarios, the exchange's checks, and whole
campaigns through the reference driver (the bundled scheduler conforms, a broken one is
caught by its own violation, an implementation without a scheduler is refused)."""

from __future__ import annotations

import json
import re
import shlex
import sys

import pytest
from hypothesis import given, settings

from workerjob.conformance.cli import main
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.scheduler_drive import (
    MAX_JOBS,
    SchedDriverError,
    exchange,
    scenarios,
)

DRIVER = [sys.executable, "-m", "workerjob.conformance.traces.driver_impl"]


@settings(max_examples=200, deadline=None)
@given(steps=scenarios())
def test_scenarios_refer_only_to_submitted_jobs(steps: list[JsonObject]) -> None:
    jobs = 0
    ends: list[int] = []
    waits: list[int] = []
    for step in steps:
        if step["do"] == "submit":
            assert step["job"] == jobs
            jobs += 1
        elif step["do"] in ("resubmit", "end_run", "cancel", "wait"):
            assert 0 <= step["job"] < jobs
            (ends if step["do"] == "end_run" else waits if step["do"] == "wait" else []).append(
                step["job"])
    assert jobs <= MAX_JOBS and len(set(ends)) == len(ends) and len(set(waits)) == len(waits)
    assert sum(s["do"] == "close" for s in steps) <= 1
    assert not steps or steps[-1]["do"] != "settle"


class Scripted:
    """A fake driver process that answers with fixed lines."""

    def __init__(self, answer: list[JsonObject]) -> None:
        self.lines = [json.dumps(obj).encode() for obj in answer]
        self.sent: list[JsonObject] = []

    def send(self, obj: JsonObject) -> None:
        self.sent.append(obj)

    def read(self) -> tuple[int, bytes, bool]:
        return 1, self.lines.pop(0), True


STEPS: list[JsonObject] = [{"do": "submit", "job": 0, "priority": 0, "needs": {"gpu": 1}}]


def test_an_answer_is_checked_against_the_model() -> None:
    good = Scripted([
        {"event": "submit", "job": 0, "priority": 0, "needs": {"gpu": 1}},
        {"event": "launch", "job": 0},
        {"event": "submit_returned", "job": 0, "result": "ok"},
        {"event": "run_ended", "job": 0, "result": "ok"},
        {"event": "end", "scenario": 1}])
    run = exchange(good, 1, STEPS)
    assert run.violation is None and good.sent[0]["level"] == "scheduler"
    late = Scripted([
        {"event": "submit", "job": 0, "priority": 0, "needs": {"gpu": 1}},
        {"event": "submit_returned", "job": 0, "result": "ok"},
        {"event": "end", "scenario": 1}])
    run = exchange(late, 1, STEPS)
    assert run.violation is not None and "`stranded`" in run.violation
    assert run.violation_line == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([{"event": "submit", "job": 0, "priority": 7, "needs": {}}],
         "which the scenario did not ask for"),
        ([{"event": "launch"}], "not a scheduler trace v1 line"),
        ([{"event": "end", "scenario": 2}], "expected scenario 1"),
        ([{"event": "error", "scenario": 1, "message": "no JobScheduler"}],
         "could not run it: no JobScheduler"),
    ],
)
def test_a_broken_answer_is_the_driver_s_fault(answer: list[JsonObject], message: str) -> None:
    with pytest.raises(SchedDriverError, match=message):
        exchange(Scripted(answer), 1, STEPS)


def test_the_bundled_scheduler_conforms_through_the_driver(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drive", "--level", "scheduler", "--examples", "40", "--seed", "3",
                 "--json", "--", *DRIVER])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["verdict"], out["scenarios"]) == (0, "conforms", 40)


def test_a_broken_scheduler_is_caught_by_its_own_violation(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drive", "--level", "scheduler", "--examples", "400", "--seed", "1",
                 "--no-shrink", "--json", "--", *DRIVER,
                 "--impl", "tests.mutants.scheduler.one_too_many"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["failing"] is not None
    assert re.findall(r"invariant `([\w-]+)`", out["failing"]["report"])[:1] == [
        "max-concurrent"]
    assert out["failing"]["trace"].startswith('{"workerjob": "scheduler-trace"')
    assert out["failing"]["replay"] == shlex.join([  # a complete command (it had none)
        "workerjob", "drive", "--level", "scheduler", "--seed", "1", "--examples", "400",
        "--no-shrink", "--", *DRIVER, "--impl", "tests.mutants.scheduler.one_too_many"])


def test_an_implementation_without_a_scheduler_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drive", "--level", "scheduler", "--examples", "5", "--seed", "1", "--",
                 *DRIVER, "--impl", "tests.mutants.base"])
    assert code == 2
    assert "does not export JobScheduler" in capsys.readouterr().err
