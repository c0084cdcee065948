"""The suite kills every mutant in the catalogue, at the default budget, without being
told where its bug is; and it accepts the catalogue's correct base."""

from __future__ import annotations

import pytest

from tests.mutants import MUTANTS
from workerjob.conformance.stateful.campaign import run_campaign
from workerjob.conformance.stateful.subject import load_subject

BUDGET = 200  # examples per level: `workerjob verify`'s default
SEED = 20261128  # fixed, so the verdicts replay; the Hypothesis runs differ by seed


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutant_is_killed(mutant: str) -> None:
    result = run_campaign(load_subject(f"tests.mutants.{mutant}"), examples=BUDGET,
                          seed_value=SEED, shrink=False)
    assert not result.conforms, f"{mutant} survived: {MUTANTS[mutant]}"


def test_correct_base_conforms() -> None:
    result = run_campaign(load_subject("tests.mutants.base"), examples=BUDGET, seed_value=SEED)
    assert result.conforms, [r.report for r in result.levels]
