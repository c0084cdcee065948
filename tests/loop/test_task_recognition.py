"""The loop recognises a task's steps, for C and pure-Python Tasks alike.

C Tasks schedule a ``TaskStepMethWrapper`` and the builtin ``task_wakeup``;
pure-Python Tasks the bound methods ``__step`` and ``__wakeup``.  Everything
else, including other methods of a task, is a plain callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from workerjob.conformance.loop.loop import ControlledLoop, owning_task


def scheduled_callbacks(loop: ControlledLoop) -> list[Callable[..., object]]:
    """Records every callback the loop is asked to schedule."""
    seen: list[Callable[..., object]] = []
    original = loop.call_soon

    def spy(callback: Callable[..., object], *args: object, **kwargs: object) -> asyncio.Handle:
        seen.append(callback)
        return original(callback, *args, **kwargs)  # type: ignore[arg-type]

    loop.call_soon = spy  # type: ignore[method-assign]
    return seen


def test_steps_and_wakeups_belong_to_their_task(loop: ControlledLoop, task_kind: str) -> None:
    seen = scheduled_callbacks(loop)

    async def child(future: asyncio.Future[int]) -> int:
        await asyncio.sleep(0)  # a step scheduled by the task itself
        return await future  # a wakeup scheduled by the future

    async def main() -> int:
        future = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(child(future), name="child")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        future.set_result(5)
        return await task

    assert loop.run_until_complete(main()) == 5
    owners = [owning_task(callback) for callback in seen]
    names = {task.get_name() for task in owners if task is not None}
    assert "child" in names
    kinds = {type(cb).__name__ for cb, owner in zip(seen, owners, strict=True) if owner}
    if task_kind == "c":
        assert kinds == {"TaskStepMethWrapper", "builtin_function_or_method"}
    else:
        assert kinds == {"method"}
    # Every step the loop ran for a task was recorded as that task's.
    assert {s.task for s in loop.schedule if s.task} >= {"child"}


def test_other_methods_of_a_task_are_plain_callbacks(loop: ControlledLoop) -> None:
    async def sleeper() -> None:
        await asyncio.sleep(10)

    task = loop.create_task(sleeper())
    assert owning_task(task.cancel) is None
    assert owning_task(task.get_name) is None
    assert owning_task(print) is None
    assert owning_task(lambda: None) is None
    loop.shutdown()
