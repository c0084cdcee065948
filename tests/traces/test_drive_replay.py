"""`workerjob drive`'s replay line is a complete command: run as printed (by a shell),
it finds the same failure. Run as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT

CLI = [sys.executable, "-m", "workerjob.conformance.cli"]
# A driver command with a word a shell must quote, and a mutant only the job level sees
# (so the replay is of the failing level alone, not of the level asked for).
DRIVER = [sys.executable, "-c",
          "import runpy, sys; sys.argv[1:] = ['--impl', 'tests.mutants.lost_on_failure']; "
          "runpy.run_module('workerjob.conformance.traces.driver_impl', run_name='__main__')"]


def _drive(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    return subprocess.run([*CLI, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _failure(out: str) -> str:
    """The report from the scenario on, but its counts and timing (the replay runs one
    level, not both) and the replay line."""
    report = out[out.index("scenario ("):].splitlines()
    return "\n".join(x for x in report if not re.match(r"\d+ scenarios[, ]|replay: ", x))


def test_the_replay_line_is_a_command_that_finds_the_same_failure(tmp_path: Path) -> None:
    saved = tmp_path / "a trace.jsonl"
    first = _drive(["drive", "--seed", "12", "--examples", "300", "--allow", "wait-returns-ok",
                    "--timeout", "25", "--max-events", "4000", "--save-trace", str(saved),
                    "--", *DRIVER])
    assert first.returncode == 1, first.stdout + first.stderr
    assert "(job level)" in first.stdout
    [line] = [x for x in first.stdout.splitlines() if x.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    assert words[:4] == ["workerjob", "drive", "--level", "job"]
    for option in ("--seed", "12", "--examples", "300", "--allow", "wait-returns-ok",
                   "--timeout", "25", "--max-events", "4000", "--save-trace", str(saved)):
        assert option in words, option
    assert words[words.index("--") + 1:] == DRIVER
    saved.unlink()
    again = _drive(words[1:])  # `workerjob` is CLI
    assert again.returncode == 1, again.stdout + again.stderr
    assert _failure(again.stdout) == _failure(first.stdout)
    assert saved.exists()
    assert again.stdout.splitlines()[-1] == line  # and it replays itself


def _mutant_driver(mutant: str) -> list[str]:
    return [sys.executable, "-m", "workerjob.conformance.traces.driver_impl", "--impl", mutant]


@pytest.mark.parametrize(("level", "mutant"), [
    ("scheduler", "tests.mutants.scheduler.one_too_many"),
    ("timeouts", "tests.mutants.timeouts.retry_after_cancel"),
    ("progress", "tests.mutants.progress.out_of_order"),
])
def test_each_level_with_its_own_scenarios_prints_a_replay_that_finds_it_again(
        level: str, mutant: str) -> None:
    # A read may wait 60 s, not 10: on a loaded machine the driver's start-up (its
    # imports) has taken longer, and the campaign then ends as "driver broken" (exit 2).
    first = _drive(["drive", "--level", level, "--seed", "1", "--timeout", "60", "--",
                    *_mutant_driver(mutant)])
    assert first.returncode == 1, first.stdout + first.stderr
    [line] = [x for x in first.stdout.splitlines() if x.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    assert words[:4] == ["workerjob", "drive", "--level", level]
    again = _drive(words[1:])
    assert again.returncode == 1, again.stdout + again.stderr
    assert _failure(again.stdout) == _failure(first.stdout)


def test_drive_writes_no_hypothesis_folder_in_the_current_directory(tmp_path: Path) -> None:
    """Before, `.hypothesis/constants/` appeared wherever drive ran (verify wrote none)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([*CLI, "drive", "--level", "continuations", "--seed", "1",
                           "--examples", "5", "--", sys.executable,
                           str(ROOT / "tests" / "traces" / "example_driver.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / ".hypothesis").exists()


def test_a_driver_that_prints_something_else_and_exits_is_named_by_what_it_printed() -> None:
    """Before: "the driver stopped reading its stdin (it exited with code 0)", and what
    it printed was never shown. The driver has exited before the kit writes to it."""
    from workerjob.conformance.traces.drive import DriverError, DriverProcess

    process = DriverProcess([sys.executable, "-c", "print('garbage')"])
    try:
        process.proc.wait(30)
        with pytest.raises(DriverError) as error:
            for _ in range(100):  # the first writes may still land in the pipe's buffer
                process.send({"scenario": 1})
        assert "stopped reading its stdin; its stdout began with 'garbage'" in str(error.value)
    finally:
        process.close()
