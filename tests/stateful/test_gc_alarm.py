"""No false alarm that depends on garbage collection (and the mutant it used to hide).

A continuation task that nothing holds reports its exception to the loop's handler
when it is freed. The controllable loop must not keep it alive longer than the stock
loop would, and the end-of-run judgement "every raising continuation reached the
handler" is made after quiescence, once the kit has dropped its own references and
collected.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from tests.mutants import assert_conforms
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.conformance.stateful.campaign import run_campaign
from workerjob.conformance.stateful.subject import load_subject

SEEDS = (1, 2, 3, 20261128)


@pytest.mark.parametrize("seed", SEEDS)
def test_bare_task_continuations_conform(seed: int) -> None:
    result = run_campaign(load_subject("tests.mutants.bare_tasks"), examples=200,
                          seed_value=seed, shrink=False)
    assert_conforms(result, ("continuations", "job"), 200)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_one_task_for_all_dies_of_its_own_bug(seed: int) -> None:
    # Its bug needs two due continuations, the first to run raising: most seeds meet
    # it within 200 examples, some later; the budget is a bound, the kill comes early.
    result = run_campaign(load_subject("tests.mutants.one_task_for_all"), examples=1000,
                          seed_value=seed, shrink=False)
    reports = [r.report for r in result.levels if r.report is not None]
    assert reports, "one_task_for_all survived"
    assert "was due but never started" in reports[0], reports[0]
    assert "never heard" not in reports[0], reports[0]


def test_the_loop_holds_no_finished_task() -> None:
    loop = ControlledLoop()
    try:
        async def body() -> None:
            await asyncio.sleep(0)

        task = loop.create_task(body())
        loop.run_until_complete(task)
        ref = weakref.ref(task)
        del task
        gc.collect()
        assert ref() is None, "the controllable loop keeps a finished task alive"
    finally:
        loop.close()


def test_an_unretrieved_exception_is_reported_once_freed() -> None:
    heard: list[object] = []
    loop = ControlledLoop()
    loop.set_exception_handler(lambda _, context: heard.append(context.get("exception")))
    try:
        async def boom() -> None:
            raise ValueError("boom")

        async def main() -> None:
            loop.create_task(boom())  # a bare task: nothing holds it
            await asyncio.sleep(0)
            await asyncio.sleep(0)

        loop.run_until_complete(main())
        gc.collect()
        assert [type(e) for e in heard] == [ValueError]
    finally:
        loop.close()
