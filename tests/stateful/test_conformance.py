"""The subject (default: the bundled implementation) conforms to the model, at both
levels, under drawn interleavings."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from workerjob.conformance.stateful.machine import LEVELS, machine_for
from workerjob.conformance.stateful.subject import Subject


@pytest.mark.parametrize("level", list(LEVELS))
def test_subject_conforms(subject: Subject, level: str) -> None:
    run_state_machine_as_test(machine_for(subject, level))
