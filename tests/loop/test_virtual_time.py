"""Virtual time: the clock jumps to the next timer when nothing is ready."""

from __future__ import annotations

import asyncio

import pytest

from workerjob.conformance.loop.choosers import RandomChooser
from workerjob.conformance.loop.loop import ControlledLoop

from .conftest import MakeLoop


def test_time_starts_at_zero(loop: ControlledLoop) -> None:
    assert loop.time() == 0.0


def test_an_hour_of_sleep_takes_no_time(loop: ControlledLoop) -> None:
    async def main() -> float:
        await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    assert loop.run_until_complete(main()) == 3600.0
    assert loop.time() == 3600.0


def test_timers_fire_in_due_order_and_ties_in_scheduling_order(loop: ControlledLoop) -> None:
    fired: list[tuple[str, float]] = []

    def fire(name: str) -> None:
        fired.append((name, loop.time()))

    loop.call_later(2, fire, "two")
    loop.call_later(1, fire, "one-a")
    loop.call_at(1, fire, "one-b")
    loop.call_later(1, fire, "one-c")
    loop.call_later(0, fire, "zero")
    loop.run_until_idle()
    assert fired == [("zero", 0), ("one-a", 1), ("one-b", 1), ("one-c", 1), ("two", 2)]


def test_equal_deadlines_wake_sleepers_in_the_order_they_slept(loop: ControlledLoop) -> None:
    woke: list[int] = []

    async def sleeper(i: int) -> None:
        await asyncio.sleep(5)
        woke.append(i)

    async def main() -> None:
        await asyncio.gather(*(sleeper(i) for i in range(8)))

    loop.run_until_complete(main())
    assert woke == list(range(8))
    assert loop.time() == 5


def test_time_does_not_move_while_something_is_ready(loop: ControlledLoop) -> None:
    async def main() -> list[float]:
        times = []
        timer = asyncio.create_task(asyncio.sleep(10))
        for _ in range(100):
            await asyncio.sleep(0)
            times.append(asyncio.get_running_loop().time())
        await timer
        times.append(asyncio.get_running_loop().time())
        return times

    times = loop.run_until_complete(main())
    assert times[:-1] == [0.0] * 100
    assert times[-1] == 10.0


def test_cancelled_timers_do_not_move_time(loop: ControlledLoop) -> None:
    handle = loop.call_later(100, lambda: None)
    handle.cancel()
    assert loop.run_until_idle() == 0
    assert loop.time() == 0.0


def test_timeout_expires_in_virtual_time(loop: ControlledLoop) -> None:
    async def main() -> float:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.sleep(10)
        return asyncio.get_running_loop().time()

    assert loop.run_until_complete(main()) == 5.0


def test_timeout_that_does_not_expire(loop: ControlledLoop) -> None:
    async def main() -> str:
        async with asyncio.timeout(5):
            await asyncio.sleep(1)
        return "in time"

    assert loop.run_until_complete(main()) == "in time"
    assert loop.time() == 1.0


def test_wait_for_times_out_and_cancels_the_inner_task(loop: ControlledLoop) -> None:
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(asyncio.get_running_loop().time())
            raise

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(slow(), timeout=3)

    loop.run_until_complete(main())
    assert cancelled == [3.0]
    assert loop.time() == 3.0


def test_wait_for_returns_in_time(loop: ControlledLoop) -> None:
    async def quick() -> int:
        await asyncio.sleep(1)
        return 42

    async def main() -> int:
        return await asyncio.wait_for(quick(), timeout=3)

    assert loop.run_until_complete(main()) == 42


def test_timers_interleave_with_chosen_orders(new_loop: MakeLoop) -> None:
    # Under a random chooser, each sleeper still wakes at its due time.
    for seed in range(10):
        loop = new_loop(RandomChooser(seed))
        woke: list[tuple[int, float]] = []

        async def sleeper(i: int, out: list[tuple[int, float]] = woke) -> None:
            await asyncio.sleep(i)
            out.append((i, asyncio.get_running_loop().time()))

        async def main() -> None:
            await asyncio.gather(*(sleeper(i) for i in (3, 1, 2)))

        loop.run_until_complete(main())
        # A woken sleeper is ready, and time does not move while anything is.
        assert woke == [(1, 1.0), (2, 2.0), (3, 3.0)]
