"""The `timeouts` level kills each mutant of tests/mutants/timeouts at the default
budget, each by the violation it exists for; the SPEC levels cannot tell them from the
implementation; and the implementation itself conforms."""

from __future__ import annotations

import re

import pytest

from tests.mutants.timeouts import MUTANTS
from workerjob.conformance.stateful.campaign import run_campaign, run_level
from workerjob.conformance.stateful.subject import load_subject

BUDGET = 200  # examples per level: `workerjob verify`'s default
SEED = 20261128

VIOLATIONS = {
    "late_deadline": r"the deadline took effect after the job's run\(\) ended",
    "retry_after_cancel": r"attempt \d started after the token was cancelled",
    "settle_per_attempt": r"(c\d is not due \(Running\(\), the job is "
                          r"|the model reads .* Running\(\) \()waiting between attempts\)",
    "timer_kept": r"timer\(s\) of it are left scheduled on the loop: "
                  r"Attempts\._on_(deadline|grace)",
    "backoff_off_by_one": r"attempt \d \(attempt \d ended at t=\S+, then a backoff of \S+\) "
                          r"took effect at t=\S+, expected at",
    "timeout_failed": r"(c\d is due with|the model reads .*) Done\(CANCELLED, 'timed out after",
    "deadline_early": r"^the deadline took effect at t=\S+, expected at",
    "grace_from_launch": r"^the grace period's cancel took effect at t=\S+, expected at",
    "backoff_ignores_cancel": r"^the job ended at t=\S+, during the backoff after attempt \d "
                              r".* it had to end at once",
}


def test_every_mutant_has_its_violation() -> None:
    assert set(VIOLATIONS) == set(MUTANTS)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutant_is_killed_by_its_own_violation(mutant: str) -> None:
    result = run_campaign(load_subject(f"tests.mutants.timeouts.{mutant}"), examples=BUDGET,
                          seed_value=SEED, shrink=False)
    assert not result.conforms, f"{mutant} survived: {MUTANTS[mutant]}"
    reports = {r.level: r.report for r in result.levels if r.report is not None}
    assert list(reports) == ["timeouts"], reports
    head = reports["timeouts"].split("\n\noptions:")[0].split(":\n", 1)[1]
    assert re.search(VIOLATIONS[mutant], head, re.MULTILINE), head


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_the_spec_levels_accept_the_mutant(mutant: str) -> None:
    # Without options the broken code never runs: only the timeouts level can see it.
    result = run_campaign(load_subject(f"tests.mutants.timeouts.{mutant}"), examples=20,
                          seed_value=SEED, levels=("continuations", "job"))
    assert result.conforms, [r.report for r in result.levels]


def test_the_implementation_conforms_at_the_timeouts_level() -> None:
    result = run_level(load_subject("workerjob.impl"), "timeouts", examples=BUDGET,
                       seed_value=SEED)
    assert result.report is None, result.report
    assert result.examples >= BUDGET


def test_a_subject_without_the_options_skips_the_level() -> None:
    result = run_campaign(load_subject("tests.mutants.base"), examples=5, seed_value=SEED)
    assert "timeouts" in result.skipped and result.conforms
    assert [r.level for r in result.levels] == ["continuations", "job"]


def test_the_level_imports_on_its_own() -> None:
    # Regression: machine.py registers the level at its end, and the level imported
    # machine.py at run time: importing the level first was a circular ImportError.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import workerjob.conformance.stateful.timeouts"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_only_the_job_differs(mutant: str) -> None:
    """Each mutant is a subject of its own (its names shared through `_base`): SPEC's
    names and RetryPolicy, all the bundled implementation's but its WorkerJob."""
    import workerjob.impl

    module = load_subject(f"tests.mutants.timeouts.{mutant}").module
    assert set(module.__all__) == {
        "CancellationToken", "CompletionType", "ContinuationFn", "Continuations", "Done",
        "JobState", "RetryPolicy", "Running", "Worker", "WorkerJob", "WorkerTask"}
    differ = {name for name in module.__all__
              if getattr(module, name) is not getattr(workerjob.impl, name)}
    assert differ == {"WorkerJob"}
