"""`workerjob drive`: the bundled implementation conforms through the reference driver,
mutants are caught through it, and misbehaving drivers get a clear message and exit 2,
always reaped."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings

from tests.mutants import KILLS
from workerjob.conformance.traces import drive
from workerjob.conformance.traces.check_trace import check_file
from workerjob.conformance.traces.drive import (
    DriverError,
    DriveResult,
    DriverProcess,
    Limits,
    Session,
    normalize,
    run_drive,
    scenario_message,
    scenarios,
)
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.conformance.traces.trace_format import Level
from workerjob.model import SPECS

from .helpers import EXAMPLE_DRIVER, PYTHON, REFERENCE_DRIVER, ROOT, cli

ATOMIC = SPECS["atomic"]
FAST = {"grace": 0.3}  # misbehaving drivers: do not wait long before SIGTERM and SIGKILL
DRIVER_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "conformance" / "traces" / "driver-v1.schema.json").read_text()))


def drive_with(command: list[str], **options: object) -> DriveResult:
    kwargs: dict[str, object] = {"levels": ["continuations", "job"], "examples": 30,
                                 "seed_value": 7, "spec": ATOMIC, "cwd": str(ROOT)}
    kwargs.update(options)
    return run_drive(command, **kwargs)  # type: ignore[arg-type]


def script(code: str) -> list[str]:
    return [PYTHON, "-c", code]


# --- one driver process for many Hypothesis examples ----------------------------------------


@pytest.fixture(scope="module")
def reference_session() -> Iterator[Session]:
    with DriverProcess(REFERENCE_DRIVER, cwd=str(ROOT)) as process:
        yield Session(process, ATOMIC)
        assert process.proc.poll() is None  # still the same process after every example
    assert process.proc.returncode == 0  # it exits by itself once its stdin closes


@pytest.mark.parametrize("level", ["continuations", "job"])
def test_the_bundled_implementation_conforms_scenario_by_scenario(
    reference_session: Session, level: Level
) -> None:
    before = reference_session.scenarios

    @settings(max_examples=60, deadline=None, database=None)
    @given(steps=scenarios(level))
    def check(steps: list[JsonObject]) -> None:
        run = reference_session.run(level, steps)
        assert run.violation is None, run.violation

    check()
    assert reference_session.scenarios - before >= 60


@settings(max_examples=200, deadline=None)
@given(steps=scenarios("job"))
def test_scenarios_keep_the_promises_the_protocol_makes(steps: list[JsonObject]) -> None:
    DRIVER_SCHEMA.validate(scenario_message(1, "job", steps))
    assert normalize(steps) == steps  # numbering and bounds are already applied
    ids = [s["id"] for s in steps if "id" in s]
    assert ids == list(range(1, len(ids) + 1))
    since, launched, launched_then_settled = 0, False, False
    for s in steps:
        since = 0 if s["do"] == "settle" else since + ("id" in s)
        assert since <= drive.OPS_BETWEEN_SETTLES
        if s["do"] == "hard_cancel":
            assert launched_then_settled
        launched |= s["do"] == "launch"
        launched_then_settled |= launched and s["do"] == "settle"


# --- the command line -----------------------------------------------------------------------


def test_drive_command_line_on_the_reference_driver() -> None:
    ran = cli("drive", "--examples", "25", "--seed", "3", "--", *REFERENCE_DRIVER)
    assert ran.code == 0, ran
    assert "conforms to the atomic spec through the driver protocol: 50 scenarios" in ran.out


def test_drive_without_a_command_is_bad_usage() -> None:
    ran = cli("drive", "--examples", "5")
    assert ran.code == 2 and "no driver command" in ran.err


@pytest.mark.parametrize("option", [["--loop", "asyncio"], ["--schedule", "random"]])
def test_the_reference_driver_on_other_loops_with_json_output(option: list[str]) -> None:
    ran = cli("drive", "--json", "--examples", "20", "--seed", "4", "--",
              *REFERENCE_DRIVER, *option)
    summary = json.loads(ran.out)
    assert (ran.code, summary["verdict"], summary["scenarios"]) == (0, "conforms", 40)


def test_the_example_driver_from_the_readme_conforms() -> None:
    result = drive_with(EXAMPLE_DRIVER, levels=["continuations"], examples=50)
    assert result.code == 0, result.broken
    assert result.exit_code == 0


# --- mutants, caught through the pipe -------------------------------------------------------


def violation_through_the_driver(mutant: str) -> str:
    result = drive_with([*REFERENCE_DRIVER, "--impl", f"tests.mutants.{mutant}"],
                        levels=["continuations"], examples=200, shrink=False)
    assert result.code == 1, result
    failing = result.failing
    assert failing is not None and failing.violation is not None
    assert result.exit_code == 0  # the driver was not to blame: it exited normally
    return failing.violation


@pytest.mark.parametrize("mutant", ["failure_wins", "overwrite_done"])
def test_a_mutant_is_caught_through_the_driver(mutant: str) -> None:
    violation = violation_through_the_driver(mutant)
    # Killed by its own bug, as in the campaign (tests/mutants KILLS), not by any violation.
    assert any(re.search(kind, violation) for kind in KILLS[mutant]), violation


def test_the_driver_kill_check_fails_on_another_mutants_violation() -> None:
    """Regression: any violation counted as the kill. `overwrite_done`'s (a second
    complete returns ok) is not `failure_wins`'s (FAILED where CANCELLED is due)."""
    violation = violation_through_the_driver("overwrite_done")
    assert not any(re.search(kind, violation) for kind in KILLS["failure_wins"]), violation


def test_a_violation_is_shrunk_reported_and_saved_for_check_trace(tmp_path: Path) -> None:
    saved = tmp_path / "failing.jsonl"
    ran = cli("drive", "--level", "continuations", "--seed", "7", "--save-trace", str(saved),
              "--", *REFERENCE_DRIVER, "--impl", "tests.mutants.overwrite_done")
    assert ran.code == 1
    assert "does not conform to the atomic spec (continuations level)" in ran.out
    assert "scenario (2 steps, shrunk)" in ran.out  # two completes: the smallest case
    assert "must return raises InvalidStateError" in ran.out
    outcome = check_file(str(saved))
    assert outcome.verdict == "violation" and outcome.line == 5
    assert f">>{outcome.line:4d}" in ran.out  # the report marks the same line


# --- misbehaving drivers: exit 2, a clear message, reaped ------------------------------------


def test_a_driver_that_cannot_be_started() -> None:
    result = drive_with([str(ROOT / "no-such-driver")])
    assert result.code == 2 and result.broken is not None
    assert "cannot start the driver" in result.broken


def test_a_driver_that_exits_at_once() -> None:
    result = drive_with(script("import sys; sys.stderr.write('no runtime here\\n'); "
                               "sys.exit(3)"), **FAST)
    assert result.code == 2 and result.broken is not None
    assert "exited with code 3" in result.broken
    assert "| no runtime here" in result.broken  # the end of its stderr
    assert result.exit_code == 3


def test_a_driver_that_hangs_is_timed_out_and_killed() -> None:
    started = time.monotonic()
    result = drive_with(script("import time; time.sleep(600)"), timeout=0.5, **FAST)
    assert result.code == 2 and result.broken is not None
    assert "printed nothing for 0.5 s" in result.broken
    assert result.exit_code == -signal.SIGTERM  # it ignored its closed stdin
    assert time.monotonic() - started < 30


def test_a_driver_that_prints_garbage() -> None:
    result = drive_with(script("import sys, time; sys.stdin.readline(); print('hello'); "
                               "sys.stdout.flush(); time.sleep(600)"), **FAST)
    assert result.code == 2 and result.broken is not None
    assert "driver output line 1: not JSON: Expecting value (column 1)" in result.broken
    assert result.exit_code is not None  # reaped


def test_a_driver_that_prints_too_long_a_line() -> None:
    result = drive_with(script("import sys; sys.stdin.readline(); print('x' * 5000); "
                               "sys.stdout.flush(); sys.stdin.read()"), max_line_bytes=1000,
                        **FAST)
    assert result.code == 2 and result.broken is not None
    assert "longer than 1000 bytes" in result.broken


def test_answers_are_bounded() -> None:
    result = drive_with(REFERENCE_DRIVER, levels=["job"], limits=Limits(max_events=3))
    assert result.code == 2 and result.broken is not None
    assert "more than 3 events" in result.broken
    assert result.exit_code == 0


def test_a_driver_that_answers_with_an_error_event() -> None:
    result = drive_with(EXAMPLE_DRIVER, levels=["job"])
    assert result.code == 2 and result.broken is not None
    assert "could not run it: this example drives Continuations only" in result.broken


LIAR = """
import json, sys
for line in sys.stdin:
    s = json.loads(line)
    ops = [t for t in s["steps"] if "id" in t]
    for t in ops:
        print(json.dumps({"event": "invoke", "id": t["id"], "op": "cancel"}))
        print(json.dumps({"event": "return", "id": t["id"], "ok": None}))
    print(json.dumps({"event": "end", "scenario": s["scenario"]}))
    sys.stdout.flush()
"""


def test_a_driver_that_reports_invocations_it_was_not_asked_for() -> None:
    result = drive_with(script(LIAR), levels=["continuations"])
    assert result.code == 2 and result.broken is not None
    assert "but the scenario asked for" in result.broken


FORGETFUL = """
import json, sys
for line in sys.stdin:
    s = json.loads(line)
    print(json.dumps({"event": "end", "scenario": s["scenario"]}))
    sys.stdout.flush()
"""


def test_a_driver_that_leaves_out_invocations() -> None:
    result = drive_with(script(FORGETFUL), levels=["continuations"])
    assert result.code == 2 and result.broken is not None
    assert "never reported the invocation of #1" in result.broken


CRASHES_AFTER_A_VIOLATION = """
import json, sys
seen_ops = False
for line in sys.stdin:
    if seen_ops:
        sys.exit(5)
    s = json.loads(line)
    for t in s["steps"]:
        if "id" in t:
            fields = {k: v for k, v in t.items() if k not in ("do", "behaviour")}
            print(json.dumps({"event": "invoke", "op": t["do"], **fields}))
            if seen_ops:  # the first operation never returns: a violation
                print(json.dumps({"event": "return", "id": t["id"], "ok": None}))
            seen_ops = True
    print(json.dumps({"event": "end", "scenario": s["scenario"]}))
    sys.stdout.flush()
"""


def test_a_violation_found_before_the_driver_broke_is_still_reported() -> None:
    result = drive_with(script(CRASHES_AFTER_A_VIOLATION), levels=["continuations"], **FAST)
    assert result.code == 1
    assert result.failing is not None and result.failing.violation is not None
    assert "impossible" in result.failing.violation or "never returned" in result.failing.violation
    assert result.broken is not None and "exited with code 5" in result.broken


GRANDPARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open(sys.argv[1], "w").write(str(child.pid))
sys.stdin.readline()
print("not json", flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie is dead
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_drivers_own_children_are_killed_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    result = drive_with([*script(GRANDPARENT), str(pid_file)], **FAST)
    assert result.code == 2
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 10  # safety net: SIGKILL has been sent already
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _gone(grandchild)


def test_ctrl_c_reaps_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[DriverProcess] = []

    def interrupted(self: DriverProcess) -> tuple[int, bytes, bool]:
        seen.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(DriverProcess, "read", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drive_with(script("import time; time.sleep(600)"), **FAST)
    assert seen and seen[0].proc.returncode is not None  # reaped before the interrupt left


def test_ctrl_c_on_the_command_line_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> DriveResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(drive, "run_drive", interrupted)
    ran = cli("drive", "--", PYTHON, "-c", "pass")
    assert ran.code == 130 and "interrupted" in ran.err


def test_a_session_refuses_to_go_on_after_its_driver_broke() -> None:
    with DriverProcess(script("pass"), grace=0.3) as process:
        session = Session(process, ATOMIC)
        # The driver is gone at once: the kit either fails to write the scenario or
        # reads the end of its stdout, whichever comes first (a race of the OS's).
        with pytest.raises(DriverError, match=r"closed its stdout|stopped reading its stdin"):
            session.run("continuations", [])
        with pytest.raises(DriverError, match="broke earlier"):
            session.run("continuations", [])
    assert process.proc.returncode == 0
    assert os.name != "posix" or process.proc.pid > 0
