"""The implementation's loose ends: continuation tasks are held per loop and freed with
it, GeneratorExit propagates, and jobs on one loop per thread do not meet."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any

import pytest

from workerjob.impl import CancellationToken, CompletionType, Continuations, Done, Worker
from workerjob.impl import continuations as module

W = Worker("loops")


async def forever(worker: Worker, kind: CompletionType, message: str | None) -> None:
    await asyncio.get_running_loop().create_future()  # a future only this task holds


def test_a_task_left_pending_on_a_closed_loop_is_freed_with_it() -> None:
    """asyncio.run cancels the tasks it knows of, then closes its loop; a continuation
    started during that shutdown is left pending. It must go with the loop, not be held
    for good by the module."""
    tasks: list[weakref.ref[asyncio.Task[None]]] = []

    async def main() -> asyncio.AbstractEventLoop:
        c = Continuations()
        await c.add_or_run_now("k", forever, W)
        await c.complete(None, W, CancellationToken())
        loop = asyncio.get_running_loop()
        tasks.extend(weakref.ref(t) for t in module._tasks_of(loop))
        return loop

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main())  # the continuation task stays pending
    assert len(tasks) == 1 and tasks[0]() is not None
    loop.close()
    loop_ref = weakref.ref(loop)
    del loop
    gc.collect()
    assert loop_ref() is None and tasks[0]() is None


@pytest.mark.asyncio
async def test_a_continuation_closed_from_outside_lets_generator_exit_through(
    worker: Worker, capture_handler: Any
) -> None:
    """A continuation whose coroutine is closed (GeneratorExit thrown in, as when a
    pending task is collected) leaves at once: nothing reaches the exception handler."""
    contexts = capture_handler()
    c = Continuations()

    async def suspends(w: Worker, t: CompletionType, m: str | None) -> None:
        await asyncio.sleep(0)

    coro = c._run_one("k", suspends, worker, Done(CompletionType.NORMAL, None))
    coro.send(None)  # suspended inside the continuation
    coro.close()  # GeneratorExit thrown in: must propagate, not be reported
    await asyncio.sleep(0)
    assert contexts == []


def test_one_loop_per_thread() -> None:
    """Jobs on loops in several threads at once, each loop in its own thread: every
    continuation runs once, on its own loop, and each loop holds only its own tasks."""
    results: dict[int, list[str]] = {}
    held_elsewhere: list[bool] = []

    def thread_main(n: int) -> None:
        async def main() -> None:
            seen: list[str] = []
            loop = asyncio.get_running_loop()

            async def record(w: Worker, t: CompletionType, m: str | None) -> None:
                assert asyncio.get_running_loop() is loop
                await asyncio.sleep(0)
                seen.append(f"{n}:{w.name}:{t.value}")

            for round_ in range(50):
                c = Continuations()
                for k in range(5):
                    await c.add_or_run_now(f"k{k}", record, Worker(f"w{round_}"))
                await c.complete(None, W, CancellationToken())
                held_elsewhere.append(any(t.get_loop() is not loop
                                          for t in module._tasks_of(loop)))
                await asyncio.sleep(0)
            held = module._tasks_of(loop)
            if held:
                await asyncio.wait(set(held))
            results[n] = seen

        asyncio.run(main())

    threads = [threading.Thread(target=thread_main, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2, 3]
    for n, seen in results.items():
        assert len(seen) == 250 and all(s == f"{n}:loops:normal" for s in seen)
    assert not any(held_elsewhere)
