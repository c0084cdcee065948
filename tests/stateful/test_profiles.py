"""The profiles mean the same thing on every machine: `CI=true` in the environment
(which makes Hypothesis load its own "ci" profile as the default) changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_SHOW = """
import json
from hypothesis import settings
from workerjob.conformance.stateful.profiles import load_profile
load_profile()
s = settings()
print(json.dumps({"derandomize": s.derandomize, "database": s.database is not None,
                  "max_examples": s.max_examples}))
"""


def _profile(profile: str, ci: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    env["HYPOTHESIS_PROFILE"] = profile
    if ci:
        env["CI"] = "true"
    out = subprocess.run([sys.executable, "-c", _SHOW], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    loaded: dict[str, object] = json.loads(out.stdout)
    return loaded


@pytest.mark.parametrize("profile", ["dev", "ci", "thorough"])
def test_a_profile_is_the_same_with_ci_set(profile: str) -> None:
    """Regression: on CI, `dev` was derandomized and without a database (so `--seed`
    was ignored and a default-database test failed only there)."""
    assert _profile(profile, ci=True) == _profile(profile, ci=False)


def test_dev_is_random_and_keeps_a_database() -> None:
    assert _profile("dev", ci=True) == {"derandomize": False, "database": True,
                                        "max_examples": 100}
