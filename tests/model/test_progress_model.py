"""The progress and metrics model: the channel's rules, a reader's rules, and the metric
invariants on every job state reachable within a bound (each of them able to fail)."""

from __future__ import annotations

from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from workerjob.model import ATOMIC
from workerjob.model.environment import Bound, World, transitions
from workerjob.model.progress import (
    Accepted,
    Channel,
    Reader,
    Refused,
    Report,
    deliver,
    end_of_updates,
    metrics_of,
    reader_must_end,
    report,
)
from workerjob.model.progress.metrics import (
    METRIC_INVARIANTS,
    METRIC_STEP_INVARIANTS,
    Metrics,
)
from workerjob.model.vocabulary import RUNNING, CompletionType, Done

from .traces import BOOM

DONE = Done(CompletionType.NORMAL, None)


def test_reports_are_monotone_and_each_is_a_new_version() -> None:
    ch = Channel()
    for done in (0, 1, 1, 3):
        out = report(ch, RUNNING, Report(done, 3))
        assert isinstance(out, Accepted)
        ch = out.channel
    assert ch == Channel(4, Report(3, 3))
    back = Refused("ValueError", "monotone: progress 2/3 goes back from 3")
    assert report(ch, RUNNING, Report(2, 3)) == back


def test_the_order_of_the_checks() -> None:
    ch = Channel(1, Report(5))
    assert isinstance(report(ch, DONE, Report(6)), Refused)
    assert report(ch, DONE, Report(6)).error == "RuntimeError"  # type: ignore[union-attr]
    assert report(ch, DONE, Report(4)).error == "RuntimeError"  # type: ignore[union-attr]
    assert report(ch, DONE, Report(7, 6)).error == "ValueError"  # type: ignore[union-attr]
    assert report(ch, RUNNING, Report(-1)).error == "ValueError"  # type: ignore[union-attr]


def test_a_reader_sees_the_latest_in_order_and_ends_after_the_last() -> None:
    ch = Channel(3, Report(3))
    r = deliver(ch, Reader(), 3)
    assert r == Reader(3)
    assert isinstance(deliver(ch, Reader(), 2), str)  # not the latest
    assert isinstance(deliver(Channel(4, Report(4)), Reader(4), 4), str)  # repeated
    assert isinstance(deliver(Channel(5, Report(5)), Reader(6), 5), str)  # out of order
    assert isinstance(end_of_updates(ch, RUNNING, Reader(3)), str)  # not Done
    assert isinstance(end_of_updates(ch, DONE, Reader(2)), str)  # last report lost
    assert end_of_updates(ch, DONE, Reader(3)) == Reader(3, ended=True)
    assert reader_must_end(DONE, Reader(3)) is not None
    assert reader_must_end(RUNNING, Reader(3)) is None


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=12))
def test_any_run_of_deliveries_allowed_is_increasing(events: list[tuple[int, bool]]) -> None:
    """`in-order`: whatever reports and deliveries interleave, what a reader is allowed
    to be given is strictly increasing, and always the latest at that instant."""
    ch, reader, given_ = Channel(), Reader(), []
    for done, deliver_now in events:
        out = report(ch, RUNNING, Report(done))
        if isinstance(out, Accepted):
            ch = out.channel
        if deliver_now and ch.version > reader.seen:
            nxt = deliver(ch, reader, ch.version)
            assert isinstance(nxt, Reader)
            reader = nxt
            given_.append(ch.version)
    assert given_ == sorted(set(given_))


def reachable_metrics() -> int:
    bound = Bound(keys=("a",), errors=(None, BOOM), max_ops=3, job=True)
    start = bound.initial()
    seen: set[World] = {start}
    todo = deque([start])
    while todo:
        world = todo.popleft()
        before = metrics_of(world.state)
        for action, nxt in transitions(ATOMIC, bound, world):
            after = metrics_of(nxt.state)
            for step in METRIC_STEP_INVARIANTS:
                assert step.holds(before, after), (step.name, world.state, action)
            if nxt not in seen:
                for inv in METRIC_INVARIANTS:
                    assert inv.holds(after), (inv.name, nxt.state)
                seen.add(nxt)
                todo.append(nxt)
    return len(seen)


def test_metric_invariants_hold_on_a_job_within_bound() -> None:
    assert reachable_metrics() > 10_000


BAD: dict[str, Metrics] = {
    "balance": Metrics(jobs_launched=1),
    "completed-cover-ended": Metrics(jobs_launched=1, run_duration_count=1),
    "gauges-non-negative": Metrics(jobs_queued=-1),
    "raised-were-started": Metrics(continuations_raised=1),
}


def test_every_metric_invariant_can_fail() -> None:
    assert {i.name for i in METRIC_INVARIANTS} == set(BAD)
    for inv in METRIC_INVARIANTS:
        assert not inv.holds(BAD[inv.name]), inv.name
    (monotone,) = METRIC_STEP_INVARIANTS
    assert not monotone.holds(Metrics(jobs_completed=(1, 0, 0)), Metrics())
