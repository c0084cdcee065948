"""The scheduler's model: every named invariant on every state reachable within a bound,
each shown able to fail on a broken dispatch, and the starvation it does not prevent.

The bound: max_concurrent 2, capacity gpu=1 and cpu=2, three jobs, each submitted with
a priority in {0, 1} and needs in {none, gpu 1, cpu 1, cpu 2}, plus refused
submissions (more gpu than there is, an unknown resource, a job submitted twice, after
close); a queued job cancelled, a running job ending, close; in every order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from workerjob.model.scheduler import (
    STATE_INVARIANTS,
    STEP_INVARIANTS,
    Entry,
    Sched,
    cancel,
    close,
    dispatch,
    end,
    enqueue,
    first_that_fits,
    fits,
    initial,
    release,
    submit,
)
from workerjob.model.scheduler.invariants import Step
from workerjob.model.scheduler.spec import OK, RUNTIME_ERROR, VALUE_ERROR, start

Dispatch = Callable[[Sched], tuple[Sched, tuple[int, ...]]]

JOBS = (0, 1, 2)
PRIORITIES = (0, 1)
NEEDS: tuple[dict[str, int], ...] = ({}, {"gpu": 1}, {"cpu": 1}, {"cpu": 2})
BAD_NEEDS: tuple[dict[str, int], ...] = ({"gpu": 2}, {"tpu": 1})


def start_state() -> Sched:
    return initial(2, {"gpu": 1, "cpu": 2})


def steps(s: Sched, dispatch_fn: Dispatch = dispatch) -> Iterator[Step]:
    """Every operation the environment may do in `s`, as steps."""
    submitted = {e.job for e in s.queue} | s.started | s.completed
    for job in JOBS:
        # A job not submitted yet (or, once, a job submitted again: refused).
        if job in submitted and job != min(submitted):
            continue
        for priority in PRIORITIES:
            for needs in NEEDS:
                mid, verdict = enqueue(s, job, priority, needs)
                after, started = dispatch_fn(mid) if verdict == OK else (mid, ())
                yield Step(f"submit {job} p{priority} {needs} -> {verdict}", s, mid, started,
                           after)
                if job in submitted:
                    break  # one refused resubmission is enough
            if job in submitted:
                break
    for needs in BAD_NEEDS:
        mid, verdict = enqueue(s, 9, 0, needs)
        yield Step(f"submit 9 {needs} -> {verdict}", s, mid, (), mid)
    # Cancel a queued job, or the next job before its submission (a running job's
    # token is not the scheduler's business: `cancel` leaves the state as it is).
    unsubmitted = [j for j in JOBS if j not in submitted][:1]
    for job in [*(e.job for e in s.queue), *unsubmitted]:
        if job not in s.tokens:
            mid, _ = cancel(s, job)
            yield Step(f"cancel {job}", s, mid, (), mid)
    for e in s.running:
        mid = release(s, e.job)
        after, started = dispatch_fn(mid)
        yield Step(f"end {e.job}", s, mid, started, after)
    if not s.closing:
        mid, _ = close(s)
        yield Step("close", s, mid, (), mid)


def explore(dispatch_fn: Dispatch = dispatch) -> tuple[set[Sched], list[Step]]:
    seen = {start_state()}
    todo = [start_state()]
    all_steps: list[Step] = []
    while todo:
        for step in steps(todo.pop(), dispatch_fn):
            all_steps.append(step)
            if step.after not in seen:
                seen.add(step.after)
                todo.append(step.after)
    return seen, all_steps


@pytest.fixture(scope="module")
def reachable() -> tuple[set[Sched], list[Step]]:
    return explore()


def test_the_bound_is_not_trivial(reachable: tuple[set[Sched], list[Step]]) -> None:
    states, all_steps = reachable
    assert len(states) > 1000
    labels = " ".join(s.label for s in all_steps)
    for verdict in (OK, VALUE_ERROR, RUNTIME_ERROR):
        assert f"-> {verdict}" in labels
    assert any(len(s.started) >= 2 for s in all_steps)  # one end starting two jobs
    assert any(len(s.queue) == 2 for s in states)  # two wait behind a running one


@pytest.mark.parametrize("inv", STATE_INVARIANTS, ids=lambda i: i.name)
def test_state_invariant(inv: object, reachable: tuple[set[Sched], list[Step]]) -> None:
    from workerjob.model.scheduler import Invariant

    assert isinstance(inv, Invariant)
    bad = [s for s in reachable[0] if not inv.holds(s)]
    assert not bad, f"{inv.name} fails in {bad[0]}"


@pytest.mark.parametrize("inv", STEP_INVARIANTS, ids=lambda i: i.name)
def test_step_invariant(inv: object, reachable: tuple[set[Sched], list[Step]]) -> None:
    from workerjob.model.scheduler import StepInvariant

    assert isinstance(inv, StepInvariant)
    bad = [s for s in reachable[1] if not inv.holds(s)]
    assert not bad, f"{inv.name} fails on {bad[0].label} from {bad[0].before}"


def test_every_job_can_complete(reachable: tuple[set[Sched], list[Step]]) -> None:
    """From every reachable state, ending the running jobs one by one empties the
    scheduler: nothing is stranded once the runs end."""
    for s in reachable[0]:
        while s.running:
            s, _ = dispatch(release(s, s.running[0].job))
        assert not s.queue, s


# --- each invariant can fail: broken dispatches -------------------------------------------


def head_of_line(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    """Stops at the first queued job that does not fit."""
    started: list[int] = []
    while not s.closing and s.queue and fits(s, s.queue[0]):
        e = s.queue[0]
        s = start(s, e)
        started.append(e.job)
    return s, tuple(started)


def lifo_among_equals(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    """Keys the queue on the priority, the latest submitted first among equals."""
    started: list[int] = []
    while not s.closing:
        order = sorted(s.queue, key=lambda e: (-e.priority, -e.seq))
        e = next((q for q in order if fits(s, q)), None)
        if e is None:
            break
        s = start(s, e)
        started.append(e.job)
    return s, tuple(started)


def one_too_many(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    """Counts the running jobs with `>` where `>=` belongs."""
    big = replace(s, config=replace(s.config, max_concurrent=s.config.max_concurrent + 1))
    out, started = dispatch(big)
    return replace(out, config=s.config), started


def ignores_capacity(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    started: list[int] = []
    while not s.closing and s.queue and len(s.running) < s.config.max_concurrent:
        e = s.queue[0]
        s = start(s, e)
        started.append(e.job)
    return s, tuple(started)


def ignores_closing(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    return dispatch(replace(s, closing=False)) if s.closing else dispatch(s)


@pytest.mark.parametrize(
    ("broken", "invariant"),
    [
        (head_of_line, "no-head-of-line-blocking"),
        (lifo_among_equals, "fifo-among-equals"),
        (one_too_many, "max-concurrent"),
        (ignores_capacity, "capacity"),
    ],
)
def test_a_broken_dispatch_is_caught(broken: Dispatch, invariant: str) -> None:
    """The same exploration, with the dispatch broken, stops at the first step or state
    that breaks `invariant` (it must find one)."""
    state_inv = {i.name: i for i in STATE_INVARIANTS}.get(invariant)
    step_inv = {i.name: i for i in STEP_INVARIANTS}.get(invariant)
    seen = {start_state()}
    todo = [start_state()]
    while todo:
        for step in steps(todo.pop(), broken):
            if step_inv is not None and not step_inv.holds(step):
                return
            if state_inv is not None and not state_inv.holds(step.after):
                return
            if step.after not in seen:
                seen.add(step.after)
                todo.append(step.after)
    pytest.fail(f"no reachable state or step breaks {invariant}")


def test_closed_starts_nothing_can_fail() -> None:
    s, _ = close(start_state())
    queued = replace(s, queue=(Entry(0, 0, 0),))
    after, started = ignores_closing(queued)
    step = Step("dispatch after close", queued, queued, started, after)
    inv = next(i for i in STEP_INVARIANTS if i.name == "closed-starts-nothing")
    assert started and not inv.holds(step)


def test_cancelled_cleanly_can_fail() -> None:
    s, _, _ = submit(start_state(), 0, 0, {"gpu": 1})
    s, _, _ = submit(s, 1, 0, {"gpu": 1})  # queued behind job 0
    kept = replace(s, cancelled=s.cancelled | {1}, completed=s.completed | {1})  # still queued
    inv = next(i for i in STEP_INVARIANTS if i.name == "cancelled-cleanly")
    assert inv.holds(Step("cancel 1", s, cancel(s, 1)[0], (), cancel(s, 1)[0]))
    assert not inv.holds(Step("cancel 1 (kept)", s, kept, (), kept))


# --- what the scheduler does not give: no starvation --------------------------------------


def test_a_large_job_can_starve() -> None:
    """cpu=2: a job needing both waits behind a stream of one-cpu jobs that overlap. The
    state repeats (up to renaming) every round, so the stream can go on for ever while
    the large job stays queued: the rule that a job that does not fit never blocks a
    smaller one is exactly what lets it starve."""
    s = initial(2, {"cpu": 2})
    s, _, started = submit(s, 0, 0, {"cpu": 1})
    s, _, _ = submit(s, 100, 5, {"cpu": 2})  # large and urgent: still waits
    shapes = []
    for i in range(1, 6):
        s, _, started = submit(s, i, 0, {"cpu": 1})  # the next small one fits at once
        assert started == (i,)
        s, started = end(s, i - 1)  # the previous one ends: one cpu free, not two
        assert started == ()
        assert first_that_fits(s) is None and [e.job for e in s.queue] == [100]
        shapes.append((len(s.running), tuple(e.needs for e in s.running), s.queue[0].needs))
    assert len(set(shapes)) == 1  # the same state every round, up to the jobs' names

