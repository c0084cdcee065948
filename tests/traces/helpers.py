"""Shared helpers: the CLI run in-process with its output captured, and commands."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from workerjob.conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "test_vectors"
PYTHON = sys.executable
REFERENCE_DRIVER = [PYTHON, "-m", "workerjob.conformance.traces.driver_impl"]
EXAMPLE_DRIVER = [PYTHON, str(Path(__file__).with_name("example_driver.py"))]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def cli(*argv: str) -> Ran:
    """`workerjob ARGV` in this process, its stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Ran(code, out.getvalue(), err.getvalue())


HEADER_C = '{"trace":"workerjob","version":1,"level":"continuations"}'
HEADER_J = '{"trace":"workerjob","version":1,"level":"job","job_worker":"job-worker"}'


def trace(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()
