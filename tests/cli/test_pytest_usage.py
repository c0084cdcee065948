"""The suite's own entry (`pytest`, with `--impl` or $WORKERJOB_IMPL and a profile in
$HYPOTHESIS_PROFILE, as the README shows) answers a bad choice as `workerjob verify`
does: one line naming it, and pytest's usage exit (4), before anything is collected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOME_TESTS = "tests/model/test_classify.py"


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("HYPOTHESIS_PROFILE", "WORKERJOB_IMPL", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co", SOME_TESTS,
         *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120, check=False)


@pytest.mark.parametrize(("args", "env", "line"), [
    ((), {"HYPOTHESIS_PROFILE": "bogus"},
     "ERROR: HYPOTHESIS_PROFILE='bogus' is not a workerjob profile; use one of dev, ci, "
     "thorough"),
    (("--impl", "no_such_module"), {},
     "ERROR: cannot import implementation 'no_such_module': "),
    ((), {"WORKERJOB_IMPL": "tests.fixtures.bad_exports"},
     "ERROR: 'tests.fixtures.bad_exports' is not a workerjob implementation: "),
])
def test_a_bad_choice_is_one_line_and_pytests_usage_exit(
        args: tuple[str, ...], env: dict[str, str], line: str) -> None:
    out = _pytest(*args, **env)
    assert out.returncode == pytest.ExitCode.USAGE_ERROR, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert out.stdout == ""
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert out.stderr.startswith(line)


def test_a_good_profile_collects() -> None:  # the check above is not always failing
    out = _pytest(HYPOTHESIS_PROFILE="ci")
    assert out.returncode == 0, out.stdout + out.stderr
