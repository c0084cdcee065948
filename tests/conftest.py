"""Shared pytest configuration: the subject under test and the Hypothesis profile."""

from __future__ import annotations

import pytest

from workerjob.conformance.stateful.profiles import load_profile
from workerjob.conformance.stateful.subject import Subject, load_subject

load_profile()


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
