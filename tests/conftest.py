"""Shared pytest configuration: the subject under test and the Hypothesis profile."""

from __future__ import annotations

import os

import pytest

from workerjob.conformance.stateful.profiles import ProfileError, load_profile
from workerjob.conformance.stateful.subject import ENV_VAR, Subject, SubjectError, load_subject


def pytest_configure(config: pytest.Config) -> None:
    """A bad $HYPOTHESIS_PROFILE, `--impl` or $WORKERJOB_IMPL is the user's mistake, said
    in one line with pytest's usage exit (4), before any test is collected: loaded at
    import, it was a conftest ImportError with a traceback (and a bad `--impl` an error
    with a traceback per test). Loaded here, still before the test modules are imported,
    so their `@settings` are built on the profile."""
    try:
        load_profile()
        if config.getoption("--impl") is not None or os.environ.get(ENV_VAR):
            load_subject(config.getoption("--impl"))
    except (ProfileError, SubjectError) as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        default=None,
        metavar="MODULE",
        help="implementation module to check (default: $WORKERJOB_IMPL, else workerjob.impl)",
    )


@pytest.fixture(scope="session")
def subject(request: pytest.FixtureRequest) -> Subject:
    name: str | None = request.config.getoption("--impl")
    return load_subject(name)
