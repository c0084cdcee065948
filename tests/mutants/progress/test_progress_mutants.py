"""The progress level kills every progress mutant, each by the check it exists for, at
`workerjob verify`'s default budget; the levels that were there before it (which know
nothing of progress or metrics) let every one of them through; and the bundled
implementation conforms at the progress level."""

from __future__ import annotations

import itertools

import pytest

from tests.mutants import assert_conforms
from tests.mutants.progress import MUTANTS
from workerjob.conformance.stateful.campaign import run_campaign
from workerjob.conformance.stateful.subject import load_subject

BUDGET = 200  # examples per level: `workerjob verify`'s default
SEED = 20261129


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_progress_mutant_is_killed_by_its_check(mutant: str) -> None:
    result = run_campaign(load_subject(f"tests.mutants.progress.{mutant}"), examples=BUDGET,
                          seed_value=SEED, levels=("progress",), shrink=False)
    assert not result.conforms, f"{mutant} survived"
    (level,) = result.levels
    assert level.report is not None
    lines = level.report.splitlines()
    # The line after "... does not conform:" names the violated invariant.
    first = next(b for a, b in itertools.pairwise(lines) if a.endswith("conform:"))
    assert MUTANTS[mutant] in first, level.report[:800]


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_only_the_progress_checks_kill_it(mutant: str) -> None:
    result = run_campaign(load_subject(f"tests.mutants.progress.{mutant}"), examples=40,
                          seed_value=SEED, levels=("continuations", "job"), shrink=False)
    assert_conforms(result, ("continuations", "job"), 40)


def test_the_implementation_conforms_at_the_progress_level() -> None:
    result = run_campaign(load_subject(), examples=BUDGET, seed_value=SEED,
                          levels=("progress",))
    assert_conforms(result, ("progress",), BUDGET)


def test_a_subject_without_progress_is_skipped_and_said_so() -> None:
    result = run_campaign(load_subject("tests.mutants.base"), examples=5, seed_value=SEED,
                          levels=("job", "progress"))
    assert result.skipped == ["progress"]
    assert [r.level for r in result.levels] == ["job"]


def test_the_conformance_check_fails_when_the_level_is_wrongly_skipped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: with `levels=("progress",)`, a progress level skipped by mistake left
    no level at all, and a campaign of no level conforms."""
    from workerjob.conformance.stateful.progress import ProgressMachine

    monkeypatch.setattr(ProgressMachine, "supports", classmethod(lambda cls, subject: False))
    with pytest.raises(AssertionError, match="skipped"):
        test_the_implementation_conforms_at_the_progress_level()
