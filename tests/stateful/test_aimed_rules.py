"""The job machine's rules aimed at the interleavings that matter: a hard cancel in the
step right after run() returns, and run() ending after the last rule. Each is driven
by hand here, on a mutant it exists for and on correct subjects."""

from __future__ import annotations

import pytest

from workerjob.conformance.stateful.machine import JobMachine, machine_for
from workerjob.conformance.stateful.subject import load_subject

CORRECT = ("tests.mutants.base", "workerjob.impl")


def job_machine(module: str) -> JobMachine:
    machine = machine_for(load_subject(module), "job")()
    assert isinstance(machine, JobMachine)
    return machine


def test_a_hard_cancel_aimed_at_runs_end_catches_a_completion_that_yields() -> None:
    machine = job_machine("tests.mutants.yields_after_run")
    machine.begin(launch=True, run_ends_last=None, wait_last=False)
    machine.finish_run(0, True)  # run() returns normally; a hard cancel as it leaves
    with pytest.raises(AssertionError, match=r"Done\(CANCELLED"):
        machine.teardown()


@pytest.mark.parametrize("module", CORRECT)
def test_the_same_on_correct_subjects_conforms(module: str) -> None:
    machine = job_machine(module)
    machine.begin(launch=True, run_ends_last=None, wait_last=False)
    machine.finish_run(0, True)
    machine.teardown()


@pytest.mark.parametrize("module", CORRECT)
def test_run_ends_last_after_a_hard_cancel(module: str) -> None:
    """Regression (`verify --seed 7` under the ci profile): the hard cancel, settling at
    the end, cancels the task waiting on run()'s outcome; ending run() after that must
    not touch the cancelled outcome (it raised InvalidStateError in the harness)."""
    machine = job_machine(module)
    machine.begin(launch=True, run_ends_last=(3, False), wait_last=True)
    machine.loop.run_until_idle()  # launched: the job's task awaits run()'s outcome
    machine.hard_cancel(None)
    machine.teardown()


def test_run_ends_last_catches_a_job_that_loses_a_failure() -> None:
    machine = job_machine("tests.mutants.lost_on_failure")
    # run() raises ValueError('boom') after the last rule
    machine.begin(launch=True, run_ends_last=(1, False), wait_last=False)
    machine.add_or_run_now("a", "adder-1", "returns")  # due when the job completes
    with pytest.raises(AssertionError, match="does not conform"):
        machine.teardown()


def test_wait_last_catches_a_wait_that_swallows_the_failure() -> None:
    machine = job_machine("tests.mutants.wait_swallows_failure")
    machine.begin(launch=True, run_ends_last=(1, False), wait_last=True)
    with pytest.raises(AssertionError, match="does not conform"):
        machine.teardown()


@pytest.mark.parametrize("module", CORRECT)
def test_wait_last_on_correct_subjects_conforms(module: str) -> None:
    machine = job_machine(module)
    machine.begin(launch=True, run_ends_last=(1, False), wait_last=True)
    machine.teardown()
