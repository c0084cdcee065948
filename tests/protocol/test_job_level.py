"""The explorer at the job level: `complete` is the job's own completion (the launch
wrapper calls it once run() ended, and its call is seen as run() ending). The verdict
"the original has exactly the traces of token-read-early" holds there too."""

from __future__ import annotations

from functools import cache

from tests.traces.helpers import cli
from workerjob.model import ATOMIC, TOKEN_READ_EARLY, RunEnded
from workerjob.model.protocol.explorer import Report, explore
from workerjob.model.protocol.explorer_inclusion import spec_traces_included
from workerjob.model.protocol.protocol import CLASSIFY_AT_EFFECT, GUARD_DROPPED, ORIGINAL, Config

JOB = Config(adders=1, job=True)


@cache
def original_vs_atomic() -> Report:
    return explore(ORIGINAL, JOB, ATOMIC)


def test_the_original_fails_atomic_at_the_job_level() -> None:
    report = original_vs_atomic()
    assert not report.holds
    cx = report.counterexample
    assert cx is not None and cx.kind == "refinement"
    assert any(isinstance(o, RunEnded) for o in cx.trace)  # run() ending, not an invoke


def test_the_original_refines_token_read_early_at_the_job_level() -> None:
    assert explore(ORIGINAL, JOB, TOKEN_READ_EARLY).holds


def test_token_read_early_is_exactly_the_original_at_the_job_level() -> None:
    assert spec_traces_included(ORIGINAL, JOB, TOKEN_READ_EARLY).holds


def test_the_variants_keep_their_verdicts_at_the_job_level() -> None:
    assert explore(CLASSIFY_AT_EFFECT, JOB, ATOMIC).holds
    assert not explore(GUARD_DROPPED, JOB, TOKEN_READ_EARLY).holds


def test_explore_takes_the_job_level_from_the_command_line() -> None:
    ran = cli("explore", "--job", "--adders", "1", "--spec", "token-read-early", "--converse")
    assert ran.code == 0, ran.out
    assert "the job's own completion" in ran.out
    assert cli("explore", "--job", "--adders", "1").code == 1
