"""The suite kills every mutant in the catalogue, at the default budget, without being
told where its bug is, and each dies of its own bug: the violation `KILLS` names for it,
on several seeds. A crash of the harness or another violation is not a kill. It accepts
the catalogue's correct base and every correct variant."""

from __future__ import annotations

import re

import pytest

from tests.mutants import (
    CORRECT,
    KILLS,
    MUTANTS,
    assert_conforms,
    explanation,
    killed_by_its_bug,
)
from workerjob.conformance.stateful.campaign import run_campaign
from workerjob.conformance.stateful.subject import load_subject

BUDGET = 200  # examples per level: `workerjob verify`'s default
SEED = 20261128  # fixed, so the verdicts replay; the Hypothesis runs differ by seed
SEEDS = (SEED, 1, 2)

def report_of(subject: str, seed_value: int) -> str | None:
    result = run_campaign(load_subject(subject), examples=BUDGET, seed_value=seed_value,
                          shrink=False)
    return next((r.report for r in result.levels if r.report is not None), None)


@pytest.mark.parametrize(("mutant", "seed_value"),
                         [(m, s) for m in MUTANTS for s in SEEDS])
def test_mutant_is_killed(mutant: str, seed_value: int) -> None:
    report = report_of(f"tests.mutants.{mutant}", seed_value)
    assert report is not None, f"{mutant} survived: {MUTANTS[mutant]}"
    assert killed_by_its_bug(mutant, report), (
        f"{mutant} failed, but not of its bug ({MUTANTS[mutant]}):\n{report[:2000]}")


@pytest.mark.parametrize("name", ["base", *CORRECT])
def test_correct_variant_conforms(name: str) -> None:
    result = run_campaign(load_subject(f"tests.mutants.{name}"), examples=BUDGET,
                          seed_value=SEED)
    assert_conforms(result, ("continuations", "job"), BUDGET)


def test_correct_base_conforms() -> None:  # cited by proofs_notes; the same check as above
    test_correct_variant_conforms("base")


# --- the kill check itself can fail ---------------------------------------------------


def test_every_mutant_declares_its_violations() -> None:
    assert set(KILLS) == set(MUTANTS)
    for kinds in KILLS.values():
        assert kinds and all(re.compile(k) for k in kinds)


def test_a_crash_of_the_harness_is_not_a_kill() -> None:
    crash = "TypeError: 'NoneType' object is not callable\n\nshrunk to these rules:\n..."
    assert explanation(crash) is None
    assert not any(killed_by_its_bug(m, crash) for m in MUTANTS)


def test_another_mutants_violation_is_not_a_kill() -> None:
    """Each mutant's declared kill is refused for the report of another mutant whose
    violations are of other kinds (a report taken from a real run)."""
    report = report_of("tests.mutants.overwrite_done", SEED)
    assert report is not None and killed_by_its_bug("overwrite_done", report)
    others = [m for m in MUTANTS if m != "overwrite_done"]
    assert not any(killed_by_its_bug(m, report) for m in others)


# --- a correct variant's verdict is not vacuous -----------------------------------------


def test_the_correct_variant_check_fails_on_a_campaign_that_skips_a_level(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A level the harness wrongly skips also "conforms": the job level, here, as if the
    subject did not export what it drives. The correct-variant check must notice."""
    from workerjob.conformance.stateful.machine import JobMachine

    monkeypatch.setattr(JobMachine, "supports", classmethod(lambda cls, subject: False))
    with pytest.raises(AssertionError, match="job"):
        test_correct_variant_conforms("base")


def test_the_correct_variant_check_fails_on_a_campaign_that_runs_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A campaign whose levels run no example conforms too."""
    from workerjob.conformance.stateful import campaign

    monkeypatch.setattr(campaign, "run_level",
                        lambda subject, level, **_: campaign.LevelResult(level))
    with pytest.raises(AssertionError, match="examples"):
        test_correct_variant_conforms("base")
