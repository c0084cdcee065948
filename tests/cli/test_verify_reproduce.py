"""`workerjob verify`'s replay line names the reported example itself (Hypothesis'
`@reproduce_failure` blob, `--reproduce VERSION BLOB`): shrinking stops at a time
budget, so a replay by the seed alone, with no database, may shrink to another example
of the same violation; the blob runs the one that was reported."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import hypothesis
import pytest

from workerjob.conformance.stateful.campaign import run_level
from workerjob.conformance.stateful.subject import load_subject

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "workerjob.conformance.cli"]
MUTANT = "tests.mutants.check_then_await"
BUDGET_NOTE = "(shrinking stopped at its budget"


def _verify(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cwd / "cache"),
           "COLUMNS": "200"}
    env.pop("HYPOTHESIS_PROFILE", None)
    return subprocess.run([*CLI, "verify", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def _replay(stdout: str) -> list[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("replay: "))
    words = shlex.split(line.removeprefix("replay: "))
    assert words[:2] == ["workerjob", "verify"], line
    return words[2:]


def _report(stdout: str) -> str:
    """The violation and its rules (the table after them counts what ran)."""
    lines = stdout.split("┏")[0].splitlines()
    return "\n".join(x for x in lines if not x.startswith(BUDGET_NOTE))


def test_the_replay_line_replays_the_reported_example_with_no_database(
        tmp_path: Path) -> None:
    # A shrink budget far too short to finish: where shrinking stops depends on the
    # machine's speed, run to run; the replay must not depend on it.
    first = _verify(["--impl", MUTANT, "--seed", "5", "--no-database",
                     "--shrink-time", "0.05"], tmp_path)
    assert first.returncode == 1, first.stderr
    replay = _replay(first.stdout)
    at = replay.index("--reproduce")
    assert replay[at + 1] == hypothesis.__version__ and replay[at + 2]
    assert "--no-database" in replay
    again = _verify(replay, tmp_path)
    assert again.returncode == 1, again.stderr
    assert _report(again.stdout) == _report(first.stdout)
    assert _replay(again.stdout) == replay  # and its own replay line is the same


def test_a_reproduced_example_is_the_reported_one() -> None:
    subject = load_subject(MUTANT)
    first = run_level(subject, "continuations", examples=200, seed_value=5,
                      shrink_seconds=0.05)
    assert first.report is not None and first.reproduce is not None
    again = run_level(subject, "continuations", examples=200, seed_value=5,
                      reproduce=first.reproduce)
    assert again.report is not None
    assert again.report == "\n".join(x for x in first.report.splitlines()
                                     if not x.startswith(BUDGET_NOTE))
    assert "@reproduce_failure" not in first.report  # kept aside, not in the report
    assert (again.examples, again.runs) == (1, 1)


def test_a_reproduced_example_that_passes_now_says_so(tmp_path: Path) -> None:
    first = run_level(load_subject(MUTANT), "continuations", examples=200, seed_value=5)
    assert first.reproduce is not None
    fixed = _verify(["--impl", "workerjob.impl", "--level", "continuations", "--no-database",
                     "--reproduce", *first.reproduce], tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "--reproduce ran one example, the reported one, and it passes now" in fixed.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--reproduce", hypothesis.__version__, "AXic"],
     "--reproduce replays one example: name its --level"),
    (["--level", "job", "--reproduce", "0.0.1", "AXic"],
     "--reproduce 0.0.1 ...: the example was printed by Hypothesis 0.0.1, this is "),
    (["--level", "job", "--reproduce", hypothesis.__version__, "!!"],
     "--reproduce: '!!' is not an example Hypothesis printed"),
])
def test_a_bad_reproduce_is_one_line_exit_2(tmp_path: Path, args: list[str],
                                            message: str) -> None:
    out = _verify(args, tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"workerjob verify: {message}")
    assert len(out.stderr.splitlines()) == 1
