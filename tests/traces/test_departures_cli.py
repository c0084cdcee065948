"""`--spec atomic|token-read-early|original` and `--allow DEPARTURE` on check-trace,
verify and drive, and the same choice carried by a trace header."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import HEADER_J, REFERENCE_DRIVER, VECTORS, cli

# The trace of the original that SPEC's departures section describes: the job's own
# completion read the token before cancel() landed, and took effect after a state read
# that followed cancel's return.
ISSUE_TRACE = [
    HEADER_J,
    '{"event":"invoke","id":1,"op":"launch"}',
    '{"event":"return","id":1,"ok":null}',
    '{"event":"run_ended","outcome":"returned"}',
    '{"event":"invoke","id":2,"op":"cancel"}',
    '{"event":"return","id":2,"ok":null}',
    '{"event":"invoke","id":3,"op":"state"}',
    '{"event":"return","id":3,"ok":{"state":"running"}}',
    '{"event":"invoke","id":4,"op":"state"}',
    '{"event":"return","id":4,"ok":{"state":"done","completion_type":"normal",'
    '"error_message":null}}',
]
RAISING = '{"event":"run_ended","outcome":"raised","error":{"type":"ValueError","message":"boom"}}'
FAILED_DONE = ('{"event":"return","id":4,"ok":{"state":"done","completion_type":"failed",'
               '"error_message":"boom"}}')


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("raising", [False, True], ids=["returned", "raised"])
def test_token_read_early_covers_the_job_completion(tmp_path: Path, raising: bool) -> None:
    lines = list(ISSUE_TRACE)
    if raising:
        lines[3], lines[-1] = RAISING, FAILED_DONE
    path = write(tmp_path, lines)
    assert cli("check-trace", "--spec", "token-read-early", path).code == 0
    assert cli("check-trace", "--spec", "original", path).code == 0
    ran = cli("check-trace", "--json", path)  # atomic: rejected at its last line
    verdict = json.loads(ran.out)
    assert ran.code == 1 and verdict["line"] == len(lines), verdict


def test_allow_adds_one_departure(tmp_path: Path) -> None:
    path = str(VECTORS / "allowed-original.jsonl")
    assert cli("check-trace", "--spec", "atomic", path).code == 1
    assert cli("check-trace", "--spec", "atomic", "--allow", "wait-returns-ok", path).code == 1
    ran = cli("check-trace", "--spec", "atomic", "--allow", "wait-returns-ok",
              "--allow", "complete-overwrites-done", path)
    assert ran.code == 0, ran.out
    assert "departures in force: complete-overwrites-done, wait-returns-ok" in ran.out


def test_the_header_carries_the_spec_and_the_command_line_overrides_it() -> None:
    path = str(VECTORS / "allowed-original.jsonl")
    ran = cli("check-trace", path)
    assert ran.code == 0 and "conforms to the original spec" in ran.out
    assert cli("check-trace", "--spec", "atomic", path).code == 1
    allowed = str(VECTORS / "allowed-wait-returns-ok.jsonl")
    ran = cli("check-trace", allowed)
    assert ran.code == 0 and "departures in force: wait-returns-ok" in ran.out


def test_an_unknown_departure_is_bad_usage() -> None:
    path = str(VECTORS / "allowed-original.jsonl")
    with pytest.raises(SystemExit) as exited:
        cli("check-trace", "--allow", "lenient", path)
    assert exited.value.code == 2


def test_verify_allows_a_departure_and_says_so() -> None:
    args = ("verify", "--impl", "tests.mutants.wait_swallows_failure", "--level", "job",
            "--examples", "60", "--seed", "3", "--json")
    assert cli(*args).code == 1  # SPEC: wait() re-raises what run() raised
    ran = cli(*args, "--allow", "wait-returns-ok")
    summary = json.loads(ran.out)
    assert ran.code == 0, summary
    assert summary["spec"] == "atomic+wait-returns-ok"
    assert summary["departures"] == ["wait-returns-ok"]


def test_drive_allows_a_departure_and_says_so() -> None:
    args = ("drive", "--level", "job", "--examples", "200", "--seed", "7", "--no-shrink")
    driver = ("--", *REFERENCE_DRIVER, "--impl", "tests.mutants.wait_swallows_failure")
    assert cli(*args, *driver).code == 1
    ran = cli(*args, "--allow", "wait-returns-ok", *driver)
    assert ran.code == 0, ran.out
    assert "departures in force: wait-returns-ok" in ran.out


@pytest.mark.parametrize("options", [["--spec", "original"], ["--allow", "wait-returns-ok"]])
@pytest.mark.parametrize("trace", ["timeouts/allowed-cancel-during-backoff.jsonl",
                                   "scheduler/rejected-lifo.jsonl"])
def test_spec_options_on_a_level_with_one_model_are_refused(options: list[str],
                                                           trace: str) -> None:
    """Before, check-trace ignored them and said "conforms to the timeouts spec"."""
    ran = cli("check-trace", *options, str(VECTORS / trace))
    assert ran.code == 2 and ran.out == ""
    assert "apply to continuations- and job-level traces only" in ran.err
    assert ran.err.count("\n") == 1


@pytest.mark.parametrize("level", ["scheduler", "timeouts", "progress"])
def test_drive_refuses_spec_options_on_a_level_with_one_model(level: str) -> None:
    ran = cli("drive", "--level", level, "--spec", "original", "--", *REFERENCE_DRIVER)
    assert ran.code == 2 and ran.err == (
        f"workerjob drive: --level {level}: --spec and --allow apply to the continuations "
        "and job levels only (this level has one model)\n")


@pytest.mark.parametrize(("args", "departures"), [
    (["--allow", "wait-returns-ok", "allowed-cancel-wins.jsonl"], ["wait-returns-ok"]),
    (["allowed-cancel-wins.jsonl"], []),
    (["timeouts/allowed-cancel-during-backoff.jsonl"], None),
])
def test_check_trace_json_lists_the_departures(args: list[str], departures: object) -> None:
    """As verify --json does (before: the words "none", or "a, b")."""
    ran = cli("check-trace", "--json", *args[:-1], str(VECTORS / args[-1]))
    assert json.loads(ran.out)["departures"] == departures
