"""Choosers: whatever they pick, asyncio's promises hold.

Each task's steps stay in order, plain callbacks stay FIFO, locks exclude, and
every program finishes.  The choosers themselves: random explores, PCT follows
its priorities and states its bound, Hypothesis draws only real choices and
shrinks a failing schedule towards FIFO.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workerjob.conformance.loop.choosers import (
    Candidate,
    Chooser,
    FifoChooser,
    HypothesisChooser,
    PCTChooser,
    RandomChooser,
    ReplayChooser,
    ScheduleDiverged,
)
from workerjob.conformance.loop.loop import ControlledLoop, Step

from .conftest import TASK_FACTORIES, MakeLoop, make_loop
from .programs import LogEntry, Op, Program, check_log, programs, run_program


class AuditingChooser:
    """Checks the loop's promises about the candidates, then defers to ``inner``."""

    def __init__(self, inner: Chooser) -> None:
        self.inner = inner
        self.calls = 0

    def choose(self, candidates: Sequence[Candidate]) -> int:
        self.calls += 1
        assert len(candidates) >= 1
        tasks = [c.task for c in candidates if c.is_task]
        assert len(tasks) == len(set(tasks)), "a task offered twice"
        assert sum(not c.is_task for c in candidates) <= 1, "two plain callbacks offered"
        assert list(candidates) == [candidates[i] for i in range(len(candidates))]
        return self.inner.choose(candidates)


def run_checked(kind: str, program: Program, chooser: Chooser) -> tuple[list[LogEntry], list[Step]]:
    audit = AuditingChooser(chooser)
    loop = make_loop(kind, audit)
    try:
        log = run_program(loop, program)
        # Callbacks a finished task scheduled may still be ready: run them too.
        loop.run_until_idle()
        schedule = loop.schedule
    finally:
        loop.shutdown()
    check_log(log)
    assert audit.calls == len(schedule)  # one consultation per step
    assert all(0 <= s.index < s.candidates for s in schedule)
    return log, schedule


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs(timers=True), seed=st.integers(0, 2**32 - 1))
def test_random_chooser_keeps_asyncio_semantics(kind: str, program: Program, seed: int) -> None:
    run_checked(kind, program, RandomChooser(seed))


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs(timers=True), seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 4))
def test_pct_chooser_keeps_asyncio_semantics(
    kind: str, program: Program, seed: int, depth: int
) -> None:
    run_checked(kind, program, PCTChooser(seed, depth=depth, expected_steps=60))


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs(timers=True), data=st.data())
def test_hypothesis_chooser_keeps_asyncio_semantics(
    kind: str, program: Program, data: st.DataObject
) -> None:
    chooser = HypothesisChooser(data, max_draws=30)
    _, schedule = run_checked(kind, program, chooser)
    # It drew exactly at the steps with a real choice, up to its budget.
    real_choices = sum(1 for s in schedule if s.candidates >= 2)
    assert chooser.draws == min(real_choices, 30)


def three_workers() -> Program:
    step = (Op("log"), Op("yield"), Op("log"), Op("call_soon"), Op("yield"), Op("log"))
    return Program((step, step, step), release_after=1)


def test_random_chooser_explores_other_orders() -> None:
    program = three_workers()
    fifo, _ = run_checked("c", program, FifoChooser())
    logs = {tuple(run_checked("c", program, RandomChooser(seed))[0]) for seed in range(20)}
    assert len(logs) > 5
    assert tuple(fifo) in logs or len(logs) > 5


def test_random_chooser_is_deterministic_per_seed() -> None:
    program = three_workers()
    first, schedule1 = run_checked("c", program, RandomChooser(7))
    second, schedule2 = run_checked("c", program, RandomChooser(7))
    assert first == second
    assert schedule1 == schedule2


@pytest.mark.parametrize("shared_name", [False, True])
def test_pct_with_depth_one_runs_by_strict_priority(new_loop: MakeLoop, shared_name: bool) -> None:
    # No change points: the highest-priority task runs until it finishes, so
    # each task's log entries are contiguous.  PCT tells tasks apart by the
    # loop's task number, so this holds when they all share one name too.
    log: list[int] = []

    async def worker(i: int) -> None:
        for _ in range(3):
            log.append(i)
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(
            *(
                asyncio.create_task(worker(i), name="w" if shared_name else f"w{i}")
                for i in range(4)
            )
        )

    for seed in range(10):
        log.clear()
        new_loop(PCTChooser(seed, depth=1, expected_steps=100)).run_until_complete(main())
        runs = [i for k, i in enumerate(log) if k == 0 or log[k - 1] != i]
        assert sorted(runs) == [0, 1, 2, 3], log


def test_pct_bound_and_description() -> None:
    chooser = PCTChooser(0, depth=3, expected_steps=100, expected_tasks=4)
    assert chooser.bound() == pytest.approx(1 / (4 * 100**2))
    text = chooser.describe()
    assert "1/(n*k^(d-1))" in text
    assert "2.5e-05" in text
    assert str(chooser) == text
    # Without expected_tasks, n is the number of threads seen so far.
    seen = PCTChooser(0, depth=2, expected_steps=10)
    assert seen.bound() == 1 / 10
    seen.choose([Candidate("a", "a", 1), Candidate("b", "b", 2), Candidate("cb", None, None)])
    assert seen.threads_seen == 3
    assert seen.bound() == pytest.approx(1 / (3 * 10))


def test_pct_hands_back_to_fifo_after_its_steps(new_loop: MakeLoop) -> None:
    # A spin-wait starves under strict priorities if the spinner outranks the
    # task it waits for; after expected_steps PCT runs FIFO, so it finishes.
    # Some seeds rank the spinner first: it spins until the budget runs out.
    async def main() -> int:
        flag = asyncio.Event()
        spins = 0

        async def spinner() -> None:
            nonlocal spins
            while not flag.is_set():
                spins += 1
                await asyncio.sleep(0)

        async def setter() -> None:
            await asyncio.sleep(0)
            flag.set()

        await asyncio.gather(asyncio.create_task(spinner()), asyncio.create_task(setter()))
        return spins

    spins = [
        new_loop(PCTChooser(seed, depth=2, expected_steps=50)).run_until_complete(main())
        for seed in range(10)
    ]
    assert max(spins) >= 20, spins


def racy_program_fails(chooser: Chooser) -> bool:
    """Check-then-act on a shared slot; FIFO happens to be safe, some orders not."""
    owners: list[str] = []
    slot: list[str] = []

    async def claim(name: str, delay: int) -> None:
        for _ in range(delay):
            await asyncio.sleep(0)
        if not slot:  # check ...
            await asyncio.sleep(0)
            slot.append(name)  # ... then act: another task may have claimed it meanwhile
            owners.append(name)

    async def main() -> None:
        await asyncio.gather(asyncio.create_task(claim("a", 0)), asyncio.create_task(claim("b", 2)))

    loop = ControlledLoop(chooser)
    try:
        loop.run_until_complete(main())
    finally:
        loop.shutdown()
    return len(owners) > 1


def test_the_race_is_invisible_to_fifo_and_found_by_random_and_pct() -> None:
    assert not racy_program_fails(FifoChooser())
    assert any(racy_program_fails(RandomChooser(seed)) for seed in range(50))
    assert any(
        racy_program_fails(PCTChooser(seed, depth=2, expected_steps=10)) for seed in range(50)
    )


def test_hypothesis_finds_the_race_and_shrinks_the_schedule_towards_fifo() -> None:
    schedules: list[list[int]] = []

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        chooser = HypothesisChooser(data)
        recorded: list[int] = []

        class Recording:
            def choose(self, candidates: Sequence[Candidate]) -> int:
                index = chooser.choose(candidates)
                recorded.append(index)
                return index

        failed = racy_program_fails(Recording())
        schedules.append(recorded)
        assert not failed

    with pytest.raises(AssertionError):
        check()
    # The last run is Hypothesis replaying the shrunk example.  The race needs
    # b's check (its third step) before a's act (its second): a must be passed
    # over twice.  The shrunk schedule is exactly that: two departures from
    # FIFO, each by one place.
    shrunk = schedules[-1]
    assert [i for i in shrunk if i != 0] == [1, 1], shrunk
    # And no schedule with a single departure finds it.
    for position in range(12):
        # (ScheduleDiverged: no second candidate at that step.)
        with contextlib.suppress(ScheduleDiverged):
            assert not racy_program_fails(ReplayChooser([0] * position + [1]))


def test_hypothesis_chooser_stops_drawing_after_its_budget(new_loop: MakeLoop) -> None:
    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        chooser = HypothesisChooser(data, max_draws=3)
        loop = new_loop(chooser)
        loop.run_until_complete(many_steps())
        assert chooser.draws == 3
        # After the budget the schedule is FIFO.
        real = [s for s in loop.schedule if s.candidates >= 2]
        assert all(s.index == 0 for s in real[3:])

    async def many_steps() -> None:
        async def worker() -> None:
            for _ in range(5):
                await asyncio.sleep(0)

        await asyncio.gather(*(asyncio.create_task(worker()) for _ in range(3)))

    check()


def test_choosers_never_choose_without_a_choice() -> None:
    single = [Candidate("t", "t", 1)]
    assert RandomChooser(1).choose(single) == 0
    assert FifoChooser().choose(single) == 0
    assert PCTChooser(1).choose(single) == 0


# --- the checks above can fail: each on a one-line mutation of a chooser -------------------


def _pct_by_name(self: PCTChooser, candidates: Sequence[Candidate]) -> int:
    """PCTChooser.choose, but telling threads apart by task name (the mutation)."""
    renamed = [Candidate(c.label, c.task, hash(c.task)) for c in candidates]
    return PCTChooser.choose(self, renamed)


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
def test_the_strict_priority_check_fails_when_pct_tells_tasks_apart_by_name(kind: str) -> None:
    """`test_pct_with_depth_one_runs_by_strict_priority[shared_name]`: tasks that share a
    name share one priority under the mutation, and their steps interleave."""
    loops: list[ControlledLoop] = []

    class ByName(PCTChooser):
        choose = _pct_by_name

    def new_loop(chooser: Chooser | None = None) -> ControlledLoop:
        loops.append(make_loop(kind, ByName(chooser.seed, depth=1, expected_steps=100)
                               if isinstance(chooser, PCTChooser) else chooser))
        return loops[-1]

    try:
        test_pct_with_depth_one_runs_by_strict_priority(new_loop, shared_name=False)
        with pytest.raises(AssertionError):
            test_pct_with_depth_one_runs_by_strict_priority(new_loop, shared_name=True)
    finally:
        for loop in loops:
            loop.shutdown()


def test_the_exploration_check_fails_when_random_ignores_its_seed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`test_random_chooser_explores_other_orders` on a RandomChooser whose generator is
    seeded with 0 whatever its seed: every seed runs one schedule. (Determinism per seed
    still holds, so `test_random_chooser_is_deterministic_per_seed` cannot see it.)"""
    init = RandomChooser.__init__

    def seed_ignored(self: RandomChooser, seed: int) -> None:
        init(self, 0)  # the mutation

    monkeypatch.setattr(RandomChooser, "__init__", seed_ignored)
    test_random_chooser_is_deterministic_per_seed()
    with pytest.raises(AssertionError):
        test_random_chooser_explores_other_orders()


def test_the_race_check_fails_when_random_and_pct_run_fifo(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`test_the_race_is_invisible_to_fifo_and_found_by_random_and_pct` on a RandomChooser
    that always takes candidate 0."""
    monkeypatch.setattr(RandomChooser, "choose", lambda self, candidates: 0)
    with pytest.raises(AssertionError):
        test_the_race_is_invisible_to_fifo_and_found_by_random_and_pct()
