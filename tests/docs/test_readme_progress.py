"""The README's "Progress and metrics" section: every command it shows is run here, and
the example's output is what the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Progress and metrics")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), re.DOTALL)


def commands() -> list[str]:
    return [line for block in blocks("sh") for line in block.splitlines() if line.strip()]


def run(command: str) -> subprocess.CompletedProcess[str]:
    argv = command.split()
    argv[0] = str(BIN / Path(argv[0]).name)  # .venv/bin/x -> this interpreter's x
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def test_the_section_shows_the_example_the_checks_and_the_benchmark() -> None:
    assert [c.split()[1] for c in commands()] == [
        "examples/progress_bar.py", "verify", "verify", "benchmarks/bench_metrics.py"]


def test_the_example_prints_what_the_readme_shows() -> None:
    (example,) = [c for c in commands() if "examples/" in c]
    done = run(example)
    assert done.returncode == 0, done.stderr
    (shown,) = blocks("text")
    assert done.stdout.rstrip("\n") == shown.rstrip("\n")


@pytest.mark.parametrize("command", [c for c in commands() if "examples/" not in c])
def test_every_other_command_runs(command: str) -> None:
    done = run(command)
    # A mutant is reported with exit 1; everything else succeeds.
    assert done.returncode == (1 if "tests.mutants" in command else 0), done.stderr
