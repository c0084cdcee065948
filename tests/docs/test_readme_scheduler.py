"""The README's scheduler section: its command runs, and prints what the README shows;
it says where the user reads it that a large job can starve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from workerjob.conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section() -> str:
    match = re.search(r"^## Scheduling jobs: `JobScheduler`\n(.*?)^## ", README,
                      re.MULTILINE | re.DOTALL)
    assert match, "README.md has no section `## Scheduling jobs: `JobScheduler``"
    return match.group(1)


def test_the_example_prints_what_the_readme_shows() -> None:
    text = section()
    assert "```sh\n.venv/bin/python examples/scheduler.py\n```" in text
    shown = re.search(r"```text\n(.*?)```", text, re.DOTALL)
    assert shown
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "scheduler.py")],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown.group(1)


def test_the_urgent_job_jumps_the_queue_in_the_output() -> None:
    starts = [line.split()[1] for line in section().splitlines() if line.startswith("start ")]
    assert starts.index("urgent-fix") < starts.index("train-1") < starts.index("train-2")


def test_the_readme_says_a_large_job_can_starve() -> None:
    assert "**A large job can starve.**" in section()


def test_the_readme_check_trace_command_prints_what_it_shows(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    command = "workerjob check-trace test_vectors/scheduler/rejected-lifo.jsonl"
    match = re.search(rf"```sh\n{re.escape(command)}\n```\n\n```text\n(.*?)```", README,
                      re.DOTALL)
    assert match, "README.md no longer shows the scheduler's check-trace example"
    monkeypatch.chdir(ROOT)
    assert main(command.split()[1:]) == 1
    assert capsys.readouterr().out == match.group(1)
