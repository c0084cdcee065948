"""`workerjob verify`: exit codes, the JSON summary, the report, and replay by seed."""

from __future__ import annotations

import json
import re

import pytest

from workerjob.conformance.cli import main
from workerjob.conformance.stateful.campaign import run_level
from workerjob.conformance.stateful.subject import load_subject


def test_bundled_implementation_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--examples", "20", "--seed", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["conforms"] is True
    assert summary["seed"] == 3
    assert [lv["level"] for lv in summary["levels"]] == [
        "continuations", "job", "scheduler", "timeouts", "progress"]
    assert summary["skipped"] == []
    assert all(lv["examples"] >= 20 and lv["steps"] > 0 for lv in summary["levels"])
    assert summary["skipped"] == []


def test_examples_are_what_was_asked_and_runs_what_ran(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: "examples" counted every run of the machine, about a fifth over the
    number asked (Hypothesis discards some attempts and runs more). Rounds of 5, 20, 15."""
    assert main(["verify", "--level", "continuations", "--examples", "40", "--seed", "3",
                 "--json", "--no-database"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["examples_asked"] == 40
    [level] = summary["levels"]
    assert level["examples"] == 40
    assert level["runs"] >= level["examples"]
    assert main(["verify", "--level", "continuations", "--examples", "40", "--seed", "3",
                 "--no-database"]) == 0
    table = capsys.readouterr().out
    assert "examples asked per level: 40; departures in force: none" in table
    assert re.search(rf"│ continuations │ +40 │ +{level['runs']} │", table)


def test_a_subject_without_the_enhancements_conforms_with_the_level_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--impl", "tests.mutants.base", "--examples", "10",
                 "--seed", "3"]) == 0
    out = capsys.readouterr().out
    for level in ("scheduler", "timeouts", "progress"):
        assert f"level {level} skipped: tests.mutants.base does not export what it drives" in out
    assert "tests.mutants.base conforms" in out


def test_a_mutant_is_reported_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--impl", "tests.mutants.overwrite_done", "--examples", "50",
                 "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "does not conform" in out
    assert "raises InvalidStateError" in out  # what the model allowed instead
    assert "schedule (one column per task)" in out
    assert "--seed 1" in out  # how to replay it


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--impl", "no.such.module"], "cannot import implementation 'no.such.module'"),
        (["verify", "--impl", "json"], "does not export CompletionType"),
        (["verify", "--impl", "tests.mutants.base", "--level", "scheduler"],
         "does not export what the scheduler level drives"),
    ],
)
def test_bad_subject_is_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["verify", "--examples", "0"], ["verify", "--seed", "x"],
                                  ["verify", "--level", "nope"]])
def test_bad_usage_is_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("workerjob verify: argument ")
    assert err.endswith(" (options: workerjob verify --help)\n")
    assert len(err.splitlines()) == 1


def test_a_failure_replays_from_its_seed() -> None:
    subject = load_subject("tests.mutants.check_then_await")
    first = run_level(subject, "continuations", examples=100, seed_value=5)
    again = run_level(subject, "continuations", examples=100, seed_value=5)
    assert first.report is not None
    assert again.report is not None
    # The violation, the observations, the chart and the rules; not what Hypothesis
    # adds about its own run (a replay from the example database may say less).
    assert _rules(first.report) == _rules(again.report)
    assert first.report.split("shrunk to these rules")[0] == \
        again.report.split("shrunk to these rules")[0]


def _rules(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("state.")]
