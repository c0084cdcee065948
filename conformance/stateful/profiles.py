"""Hypothesis profiles for the conformance campaign, chosen by $HYPOTHESIS_PROFILE.

- `dev` (default): quick, for the edit-test loop.
- `ci`: what CI runs: more examples, no database writes, derandomized so CI is stable.
- `thorough`: many examples and longer runs, for a release or a new implementation.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# On Hypothesis' own "default" profile, not on whatever is loaded at import: where the
# environment says CI (`CI=true`), Hypothesis loads its built-in "ci" profile as the
# default (derandomized, no database), and a profile built on it would make `dev` mean
# another thing on a CI machine: other examples, no database, `--seed` ignored.
_COMMON = settings(
    settings.get_profile("default"),
    deadline=None,  # steps of a controlled loop have no meaningful wall time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

settings.register_profile("dev", max_examples=100, stateful_step_count=30, parent=_COMMON)
settings.register_profile(
    "ci", max_examples=300, stateful_step_count=30, derandomize=True, database=None,
    print_blob=True, parent=_COMMON,
)
settings.register_profile("thorough", max_examples=5000, stateful_step_count=60, parent=_COMMON)

PROFILES = ("dev", "ci", "thorough")


class ProfileError(ValueError):
    """$HYPOTHESIS_PROFILE names no profile of ours (a usage error: exit 2)."""


def load_profile() -> str:
    """Load the profile named by $HYPOTHESIS_PROFILE (default `dev`) and return its name."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "dev")
    if name not in PROFILES:
        raise ProfileError(
            f"HYPOTHESIS_PROFILE={name!r} is not a workerjob profile; use one of "
            + ", ".join(PROFILES)
        )
    settings.load_profile(name)
    return name
