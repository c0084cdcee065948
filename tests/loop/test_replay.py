"""A recorded schedule replays the same run; a diverging replay says so."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerjob.conformance.loop.choosers import (
    Chooser,
    RandomChooser,
    ReplayChooser,
    ScheduleDiverged,
)
from workerjob.conformance.loop.loop import Step

from .conftest import TASK_FACTORIES, MakeLoop, make_loop
from .programs import LogEntry, Op, Program, programs, run_program


def run(kind: str, program: Program, chooser: Chooser) -> tuple[list[LogEntry], list[Step]]:
    loop = make_loop(kind, chooser)
    try:
        log = run_program(loop, program)
        loop.run_until_idle()
        return log, loop.schedule
    finally:
        loop.shutdown()


def comparable(step: Step) -> tuple[object, ...]:
    label = step.label if step.task is None else None
    return (step.index, step.candidates, step.time, step.task_id, label)


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs(timers=True), seed=st.integers(0, 2**32 - 1))
def test_replaying_a_recorded_schedule_reproduces_the_run(
    kind: str, program: Program, seed: int
) -> None:
    log, schedule = run(kind, program, RandomChooser(seed))
    replayed_log, replayed_schedule = run(kind, program, ReplayChooser([s.index for s in schedule]))
    assert replayed_log == log
    # Same choices, candidates, tasks, callbacks and times.  Tasks are compared
    # by number: asyncio's default names ("Task-12", for wait_for's inner task
    # on 3.11) come from a process-wide counter, so they differ between runs.
    assert [comparable(s) for s in replayed_schedule] == [comparable(s) for s in schedule]


def test_replay_detects_divergence(new_loop: MakeLoop) -> None:
    async def lonely() -> None:
        await asyncio.sleep(0)

    # The first step has one candidate; a schedule recorded elsewhere asks for a third.
    loop = new_loop(ReplayChooser([2]))
    with pytest.raises(ScheduleDiverged, match=r"step 0: the recorded schedule chose candidate 2"):
        loop.run_until_complete(lonely())


def test_replay_runs_fifo_after_the_recording_ends(task_kind: str) -> None:
    step = (Op("log"), Op("yield"), Op("call_soon"), Op("log"))
    program = Program((step, step, step))
    fifo_log, fifo_schedule = run(task_kind, program, ReplayChooser([]))
    assert all(s.index == 0 for s in fifo_schedule)
    # Record a random run, keep only its first three choices: after them the
    # replay is FIFO.
    _, schedule = run(task_kind, program, RandomChooser(3))
    prefix = [s.index for s in schedule[:3]]
    _, replayed = run(task_kind, program, ReplayChooser(prefix))
    assert [s.index for s in replayed[:3]] == prefix
    assert all(s.index == 0 for s in replayed[3:])
    assert fifo_log  # the program did something
