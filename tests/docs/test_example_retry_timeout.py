"""README's "Timeouts and retries": the command it shows is run, and prints exactly the
output it shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shown() -> tuple[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Timeouts and retries", 1)[1]
    match = re.search(r"```sh\n(.+?)\n```\n\n```text\n(.*?)```", section, re.DOTALL)
    assert match, "README's Timeouts and retries section shows no command and output"
    return match.group(1), match.group(2)


def test_the_readme_example_prints_what_the_readme_shows() -> None:
    command, output = shown()
    assert command == ".venv/bin/python examples/retry_and_timeout.py"
    run = subprocess.run([sys.executable, "examples/retry_and_timeout.py"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout == output
    assert run.stderr == ""


def test_the_example_shows_each_policy_at_work() -> None:
    _, output = shown()
    assert "flaky: wait() returned None; attempts=3" in output
    assert "from RuntimeError('stopped half-way'); attempts=1, timed_out=True" in output
    assert "from CancelledError('timeout')" in output
