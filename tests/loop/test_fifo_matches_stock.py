"""In FIFO mode the controlled loop runs programs exactly as the stock loop does.

This pins candidate 0 to "what the stock loop would run next": if it were
anything else, some random program would log in a different order.  Against
the real stock loop, programs use no timers (their order there depends on the
real clock); against the stock ``_run_once`` with a virtual clock
(``stock_virtual.py``) they do, which pins when due timers join the queue.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings

from workerjob.conformance.loop.choosers import Chooser, FifoChooser, ReplayChooser

from .conftest import TASK_FACTORIES, make_loop
from .programs import LogEntry, Program, programs, run_program
from .stock_virtual import VirtualTimeStockLoop


def run_on_stock(program: Program, kind: str) -> list[LogEntry]:
    loop = asyncio.new_event_loop()
    try:
        loop.set_task_factory(TASK_FACTORIES[kind])
        return run_program(loop, program)
    finally:
        loop.close()


def run_controlled(program: Program, kind: str, chooser: Chooser | None) -> list[LogEntry]:
    loop = make_loop(kind, chooser)
    try:
        return run_program(loop, program)
    finally:
        loop.close()


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs())
def test_fifo_runs_random_programs_in_the_stock_order(kind: str, program: Program) -> None:
    expected = run_on_stock(program, kind)
    # No chooser (the fast path), the FIFO chooser, and an empty replay (which
    # falls back to FIFO) must all be the stock schedule.
    for chooser in (None, FifoChooser(), ReplayChooser([])):
        assert run_controlled(program, kind, chooser) == expected, chooser


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
@settings(deadline=None)  # examples: from the Hypothesis profile
@given(program=programs(timers=True))
def test_fifo_runs_timed_programs_like_the_stock_run_once(kind: str, program: Program) -> None:
    reference = VirtualTimeStockLoop()
    try:
        reference.set_task_factory(TASK_FACTORIES[kind])
        expected = run_program(reference, program)
        expected_time = reference.time()
    finally:
        reference.close()
    loop = make_loop(kind)
    try:
        assert run_program(loop, program) == expected
        assert loop.time() == expected_time
    finally:
        loop.close()


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
def test_fifo_matches_stock_on_a_hand_written_interleaving(kind: str) -> None:
    async def worker(name: str, log: list[str], event: asyncio.Event) -> None:
        log.append(f"{name} start")
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_soon(log.append, f"{name} callback")
        await event.wait()
        log.append(f"{name} end")

    async def main(log: list[str]) -> None:
        event = asyncio.Event()
        tasks = [asyncio.create_task(worker(n, log, event)) for n in "abc"]
        await asyncio.sleep(0)
        event.set()
        await asyncio.gather(*tasks)

    logs = []
    for loop in (asyncio.new_event_loop(), make_loop(kind)):
        log: list[str] = []
        try:
            loop.set_task_factory(TASK_FACTORIES[kind])
            loop.run_until_complete(main(log))
        finally:
            loop.close()
        logs.append(log)
    assert logs[0] == logs[1]
    assert logs[0][:3] == ["a start", "b start", "c start"]


# --- the check above can fail ---------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TASK_FACTORIES))
def test_the_stock_order_check_fails_on_a_fifo_chooser_that_takes_the_newest(
        monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """`test_fifo_runs_random_programs_in_the_stock_order` when FifoChooser takes the last
    candidate instead of the first; run derandomized and without a database, so that the
    verdict depends on the mutation alone."""
    monkeypatch.setattr(FifoChooser, "choose", lambda self, candidates: len(candidates) - 1)
    inner = test_fifo_runs_random_programs_in_the_stock_order.hypothesis.inner_test
    check = settings(database=None, derandomize=True, max_examples=200, deadline=None)(
        given(program=programs())(inner))
    with pytest.raises(AssertionError):
        check(kind)
