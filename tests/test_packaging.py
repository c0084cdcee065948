"""The README's two fresh-machine commands are the ones CI and a new user run.

`.ci/run` runs the README's second command word for word; the first installs the
project and runs its main job. A README edit that drifts from CI fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_two_sh_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", readme, flags=re.DOTALL)[:2]


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    _install, tests = _first_two_sh_blocks()
    assert tests.strip() in commands, (tests, commands)


def test_the_first_command_installs_and_runs_the_main_job() -> None:
    install, _tests = _first_two_sh_blocks()
    assert "pip install ." in install
    assert install.strip().endswith("workerjob verify")
