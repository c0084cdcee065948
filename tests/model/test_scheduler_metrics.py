"""What a scheduler's own metrics must read (`model/scheduler/metrics.py`), and the
oracle's check of a snapshot: gauges between two steps, every instrument at the end."""

from __future__ import annotations

from dataclasses import replace

from workerjob.model.progress.metrics import Metrics
from workerjob.model.scheduler import (
    Cancelled,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SubmitReturned,
    Submitted,
    cancel,
    end,
    initial,
    submit,
)
from workerjob.model.scheduler.metrics import metrics_of, run_kind
from workerjob.model.vocabulary import CompletionType

GPU = (("gpu", 1),)


def oracle(*observations: SchedObservation) -> SchedOracle:
    o = SchedOracle(2, {"gpu": 1, "cpu": 2})
    for obs in observations:
        assert o.observe(obs) is None, o.violation
    return o


def test_the_queue_and_the_running_set_are_the_gauges() -> None:
    s = initial(1)
    for job in range(3):
        s = submit(s, job)[0]
    m = metrics_of(s)
    assert (m.jobs_queued, m.jobs_running, m.jobs_launched, m.queue_wait_count) == (2, 1, 1, 1)
    s = cancel(s, 2)[0]  # cancelled while queued: completed cancelled, never launched
    s = end(s, 0)[0]  # job 1 starts
    m = metrics_of(s, kinds={0: CompletionType.NORMAL})
    assert m == Metrics(jobs_launched=2, jobs_completed=(1, 1, 0), attempts=2,
                        jobs_running=1, jobs_queued=0, run_duration_count=1,
                        queue_wait_count=2)


def test_a_run_ended_unheard_of_no_longer_runs() -> None:
    s = submit(initial(1), 0)[0]
    assert metrics_of(s, ended=frozenset({0}),
                      kinds={0: CompletionType.FAILED}).jobs_running == 0
    assert metrics_of(s, ended=frozenset({0}),
                      kinds={0: CompletionType.FAILED}).jobs_completed == (0, 0, 1)


def test_the_kind_of_an_ended_run_is_the_classification() -> None:
    assert run_kind(False, None) is CompletionType.NORMAL
    assert run_kind(False, "RunFailed") is CompletionType.FAILED
    assert run_kind(True, "RunFailed") is CompletionType.CANCELLED


def test_right_gauges_pass_and_wrong_ones_are_named() -> None:
    o = oracle(Submitted(0, 0, GPU), Launched(0), SubmitReturned(0, "ok"),
               Submitted(1, 0, GPU), SubmitReturned(1, "ok"))
    right = Metrics(jobs_launched=1, attempts=1, jobs_running=1, jobs_queued=1,
                    queue_wait_count=1)
    assert o.check_metrics(right) is None
    assert o.check_metrics(replace(right, attempts=0)) is None  # a counter: at the end
    v = o.check_metrics(replace(right, jobs_queued=2))
    assert v is not None and v.name == "gauges-exact" and o.violation is None
    assert "jobs_queued reads 2" in v.explain() and "after observation 4" in v.explain()


def test_at_the_end_every_instrument_counts() -> None:
    o = oracle(Submitted(0, 0, GPU), Launched(0), SubmitReturned(0, "ok"),
               Submitted(1, 0, GPU), SubmitReturned(1, "ok"), Cancelled(1, True),
               Cancelled(0, False), RunEnded(0, "RunFailed"))
    assert o.finish() is None
    right = Metrics(jobs_launched=1, jobs_completed=(0, 2, 0), attempts=1,
                    run_duration_count=1, queue_wait_count=1)
    assert o.check_metrics(right, at_end=True) is None
    v = o.check_metrics(replace(right, jobs_launched=2), at_end=True)
    assert v is not None and v.name == "counters-exact"
    assert "jobs_launched reads 2" in v.explain()
