"""asyncio's own machinery runs unchanged on the controlled loop.

Every test here runs twice, with C Tasks and with pure-Python Tasks (the
``task_kind`` fixture behind ``loop``), and most also under a random chooser.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from workerjob.conformance.loop.choosers import RandomChooser
from workerjob.conformance.loop.loop import ControlledLoop

from .conftest import CTask, MakeLoop, PyTask


def test_tasks_are_of_the_requested_kind(loop: ControlledLoop, task_kind: str) -> None:
    async def child() -> str:
        return "done"

    async def main() -> type:
        task = asyncio.create_task(child())
        assert await task == "done"
        return type(task)

    expected = CTask if task_kind == "c" else PyTask
    assert loop.run_until_complete(main()) is expected
    # Every task step was recognised as one.
    assert all(s.task is not None for s in loop.schedule if not s.label.endswith("_cb"))


def test_futures_and_callbacks(loop: ControlledLoop) -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: seen.append(f"callback {f.result()}"))
        asyncio.get_running_loop().call_soon(future.set_result, "value")
        seen.append(f"awaited {await future}")
        await asyncio.sleep(0)
        return seen

    # Both the callback and the task's wakeup are done callbacks of the future,
    # scheduled in the order they were added.
    assert loop.run_until_complete(main()) == ["callback value", "awaited value"]


@pytest.mark.parametrize("seed", [None, *range(5)])
def test_lock_excludes_and_is_fair(new_loop: MakeLoop, seed: int | None) -> None:
    loop = new_loop(None if seed is None else RandomChooser(seed))
    trace: list[str] = []

    async def worker(name: str, lock: asyncio.Lock) -> None:
        async with lock:
            trace.append(f"+{name}")
            await asyncio.sleep(0)
            trace.append(f"-{name}")

    async def main() -> None:
        lock = asyncio.Lock()
        await asyncio.gather(*(worker(n, lock) for n in "abcd"))

    loop.run_until_complete(main())
    pairs = [trace[i : i + 2] for i in range(0, len(trace), 2)]
    assert all(p[0][1:] == p[1][1:] and p[0][0] == "+" and p[1][0] == "-" for p in pairs)
    assert sorted(t[1:] for t in trace[::2]) == list("abcd")


@pytest.mark.parametrize("seed", [None, *range(5)])
def test_event_wakes_every_waiter(new_loop: MakeLoop, seed: int | None) -> None:
    loop = new_loop(None if seed is None else RandomChooser(seed))

    async def main() -> list[int]:
        event = asyncio.Event()
        woke: list[int] = []

        async def waiter(i: int) -> None:
            await event.wait()
            woke.append(i)

        tasks = [asyncio.create_task(waiter(i)) for i in range(5)]
        await asyncio.sleep(0)
        event.set()
        await asyncio.gather(*tasks)
        return woke

    assert sorted(loop.run_until_complete(main())) == list(range(5))


def test_queue_and_semaphore(loop: ControlledLoop) -> None:
    async def main() -> list[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=2)
        semaphore = asyncio.Semaphore(2)
        got: list[int] = []

        async def producer() -> None:
            for i in range(6):
                await queue.put(i)

        async def consumer() -> None:
            for _ in range(3):
                async with semaphore:
                    got.append(await queue.get())

        await asyncio.gather(producer(), consumer(), consumer())
        return got

    assert sorted(loop.run_until_complete(main())) == list(range(6))


@pytest.mark.parametrize("seed", [None, *range(5)])
def test_task_group_cancels_siblings_when_one_fails(new_loop: MakeLoop, seed: int | None) -> None:
    loop = new_loop(None if seed is None else RandomChooser(seed))
    cancelled: list[str] = []

    async def sibling(name: str) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    async def failing() -> None:
        await asyncio.sleep(1)
        raise ValueError("boom")

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(sibling("a"))
            group.create_task(sibling("b"))
            group.create_task(failing())

    with pytest.raises(ExceptionGroup) as caught:
        loop.run_until_complete(main())
    assert caught.group_contains(ValueError, match="boom")
    assert sorted(cancelled) == ["a", "b"]
    assert loop.time() == 1.0


def test_task_group_collects_results(loop: ControlledLoop) -> None:
    async def square(i: int) -> int:
        await asyncio.sleep(i)
        return i * i

    async def main() -> list[int]:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(square(i)) for i in range(4)]
        return [t.result() for t in tasks]

    assert loop.run_until_complete(main()) == [0, 1, 4, 9]
    assert loop.time() == 3.0


def test_cancellation_reaches_a_waiting_task(loop: ControlledLoop) -> None:
    async def main() -> bool:
        task = asyncio.create_task(asyncio.sleep(100))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert loop.run_until_complete(main())
    assert loop.time() == 0.0  # the cancelled timer did not move the clock


def test_async_generators_are_finalised(loop: ControlledLoop) -> None:
    closed: list[bool] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            for i in range(10):
                yield i
                await asyncio.sleep(0)
        finally:
            closed.append(True)

    async def main() -> int:
        last = -1
        async for i in numbers():
            last = i
            if i == 2:
                break
        return last

    assert loop.run_until_complete(main()) == 2
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert closed == [True]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_eager_tasks_run_their_first_step_at_creation(loop: ControlledLoop) -> None:
    # The first step of an eager task runs inside create_task, in the creator's
    # step: it is never a candidate.  Later steps are scheduled as usual.
    loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
    trace: list[str] = []

    async def child() -> None:
        trace.append("child first step")
        await asyncio.sleep(0)
        trace.append("child second step")

    async def main() -> None:
        task = asyncio.create_task(child())
        trace.append("after create_task")
        await task

    loop.run_until_complete(main())
    assert trace == ["child first step", "after create_task", "child second step"]
