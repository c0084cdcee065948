"""The scheduler's oracle on hand-written runs: what it accepts, and the violation it
names for each kind of wrong behaviour (the names the mutants are killed by)."""

from __future__ import annotations

import pytest

from workerjob.model.scheduler import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SubmitReturned,
    Submitted,
    WaitReturned,
)

GPU = (("gpu", 1),)
CPU1 = (("cpu", 1),)
CPU2 = (("cpu", 2),)


def run(*observations: SchedObservation, finish: bool = True) -> str | None:
    """The name of the first violation (None: the run conforms)."""
    oracle = SchedOracle(2, {"gpu": 1, "cpu": 2})
    for obs in observations:
        if (v := oracle.observe(obs)) is not None:
            return v.name
    if finish and (v := oracle.finish()) is not None:
        return v.name
    return None


def submitted(job: int, priority: int = 0, needs: tuple[tuple[str, int], ...] = (),
              *, starts: tuple[int, ...] = (), result: str = "ok") -> list[SchedObservation]:
    return [Submitted(job, priority, needs), *(Launched(j) for j in starts),
            SubmitReturned(job, result)]


def test_a_plain_run_conforms() -> None:
    assert run(*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU),
               RunEnded(0), Launched(1), RunEnded(1), WaitReturned(1, "ok")) is None


def test_the_end_may_be_noticed_late() -> None:
    """Job 1 is submitted after job 0's run ended, and waits: the scheduler has not yet
    heard of the end. It starts when the scheduler does."""
    assert run(*submitted(0, needs=GPU, starts=(0,)), RunEnded(0), *submitted(1, needs=GPU),
               Launched(1), RunEnded(1), WaitReturned(0, "ok")) is None


def test_bad_submissions() -> None:
    assert run(*submitted(0, needs=(("gpu", 2),), result="ValueError"),
               *submitted(1, needs=(("tpu", 1),), result="ValueError"),
               *submitted(2, starts=(2,)), *submitted(2, result="RuntimeError"),
               RunEnded(2)) is None
    assert run(*submitted(0, needs=(("gpu", 2),)), finish=False) == "submit-result"


def test_a_job_cancelled_before_its_submission_never_starts() -> None:
    """Regression: the first model started it; the contract says a job whose token is
    cancelled is completed, not started, at the latest when it would start."""
    assert run(Cancelled(0, False), *submitted(0), WaitReturned(0, "CancelledError")) is None
    assert run(Cancelled(0, False), *submitted(0, starts=(0,)), finish=False) == (
        "cancelled-never-runs")


@pytest.mark.parametrize(
    ("observations", "name"),
    [
        # three jobs without needs, max_concurrent 2
        ([*submitted(0, starts=(0,)), *submitted(1, starts=(1,)), *submitted(2, starts=(2,))],
         "max-concurrent"),
        # a second gpu job while the first runs
        ([*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU, starts=(1,))],
         "capacity"),
        # job 2 (cpu 1) fits behind job 1 (cpu 2), which does not: it must start
        ([*submitted(0, needs=CPU1, starts=(0,)), *submitted(1, 1, CPU2), *submitted(2, 0, CPU1)],
         "no-head-of-line-blocking"),
        # equal priorities: job 1 was first
        ([*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU),
          *submitted(2, needs=GPU), RunEnded(0), Launched(2)], "fifo-among-equals"),
        # job 2 has the higher priority
        ([*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU),
          *submitted(2, 1, GPU), RunEnded(0), Launched(1)], "priority-order"),
        # cancelled while queued, then started
        ([*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU), Cancelled(1, True),
          RunEnded(0), Launched(1)], "cancelled-never-runs"),
        # cancelled while queued, and not completed at once
        ([*submitted(0, needs=GPU, starts=(0,)), *submitted(1, needs=GPU), Cancelled(1, False)],
         "cancelled-cleanly"),
        # accepted and started after aclose() began
        ([Closed(), Submitted(0, 0, ()), Launched(0)], "closed-starts-nothing"),
        # aclose() returns while a job runs
        ([*submitted(0, starts=(0,)), Closed(), CloseReturned()], "close-waits"),
        # a wait() that returns before the job ended
        ([*submitted(0, starts=(0,)), WaitReturned(0, "ok")], "wait-returns-at-end"),
        # started twice
        ([*submitted(0, needs=GPU, starts=(0,)), RunEnded(0), Launched(0)], "runs-once"),
    ],
)
def test_each_wrong_behaviour_is_named(observations: list[SchedObservation], name: str) -> None:
    assert run(*observations, finish=False) == name


def test_a_job_never_started_after_the_ends_is_stranded() -> None:
    """The room of job 0 never given back: job 1 stays queued, which only the end of
    the run shows (until then the scheduler may not have heard of the end)."""
    observations = [*submitted(0, needs=GPU, starts=(0,)), RunEnded(0), *submitted(1, needs=GPU)]
    assert run(*observations, finish=False) is None
    assert run(*observations) == "stranded"
