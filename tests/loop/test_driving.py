"""Driving the loop: step() from synchronous code, run_until_idle, deadlocks,
livelocks, closing."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from workerjob.conformance.loop.loop import ControlledLoop, Deadlock, Livelock


def test_step_runs_one_callback_with_the_loop_running(loop: ControlledLoop) -> None:
    seen: list[object] = []

    async def coro() -> None:
        running = asyncio.get_running_loop()
        seen.append(running)
        child = asyncio.create_task(asyncio.sleep(0))  # needs the running loop
        seen.append(child.get_loop())
        await child

    task = loop.create_task(coro(), name="coro")
    assert not seen
    assert loop.step() is True
    assert seen == [loop, loop]
    assert loop.schedule[-1].label == "coro"
    # Outside step() no loop is running again, and the loop is not "running".
    assert asyncio.events._get_running_loop() is None
    assert not loop.is_running()
    while loop.step():
        pass
    assert task.done()
    assert loop.step() is False


def test_step_runs_exactly_one_callback(loop: ControlledLoop) -> None:
    ran: list[int] = []
    for i in range(5):
        loop.call_soon(ran.append, i)
    for i in range(5):
        assert loop.step()
        assert ran == list(range(i + 1))
    assert not loop.step()
    assert loop.steps_taken == 5


def test_step_jumps_time_to_the_next_timer(loop: ControlledLoop) -> None:
    fired: list[float] = []
    loop.call_later(7, lambda: fired.append(loop.time()))
    assert loop.step()
    assert fired == [7.0]
    assert not loop.step()
    assert loop.time() == 7.0


def test_step_cannot_be_called_from_inside_the_loop(loop: ControlledLoop) -> None:
    async def nested() -> None:
        loop.step()

    with pytest.raises(RuntimeError, match="cannot be called while the loop is running"):
        loop.run_until_complete(nested())


def test_step_interleaves_with_run_until_complete(loop: ControlledLoop) -> None:
    log: list[str] = []

    async def worker() -> str:
        for i in range(3):
            log.append(f"step {i}")
            await asyncio.sleep(0)
        return "finished"

    task = loop.create_task(worker())
    loop.step()
    assert log == ["step 0"]
    assert loop.run_until_complete(task) == "finished"
    assert log == ["step 0", "step 1", "step 2"]


def test_run_until_idle_counts_steps(loop: ControlledLoop) -> None:
    async def worker() -> None:
        for _ in range(3):
            await asyncio.sleep(1)

    loop.create_task(worker())
    loop.create_task(worker())
    # Two tasks: first step each, then per sleep a timer callback and a wakeup.
    assert loop.run_until_idle() == 2 + 2 * 3 * 2
    assert loop.time() == 3.0
    assert loop.run_until_idle() == 0


def test_run_until_idle_reports_a_livelock(loop: ControlledLoop) -> None:
    async def spinner() -> None:
        while True:  # noqa: ASYNC110 - the busy loop is the point
            await asyncio.sleep(0)

    loop.create_task(spinner(), name="spinner")
    with pytest.raises(Livelock, match=r"max_steps=50 .*spinner"):
        loop.run_until_idle(max_steps=50)
    assert loop.steps_taken == 50


def test_run_until_idle_is_idle_with_blocked_tasks(loop: ControlledLoop) -> None:
    async def blocked() -> None:
        await asyncio.get_running_loop().create_future()

    task = loop.create_task(blocked())
    assert loop.run_until_idle() == 1
    assert not task.done()


def test_deadlock_names_the_task_awaiting_a_future_nobody_sets(loop: ControlledLoop) -> None:
    async def forgotten() -> None:
        await asyncio.get_running_loop().create_future()

    async def main() -> None:
        await asyncio.create_task(forgotten(), name="forgotten")

    with pytest.raises(Deadlock) as caught:
        loop.run_until_complete(main())
    message = str(caught.value)
    assert "forgotten" in message
    assert "awaiting <Future pending" in message
    assert "test_driving.py" in message  # where it waits
    assert sorted(t.get_name() for t in caught.value.tasks)[-1] == "forgotten"
    assert isinstance(caught.value, RuntimeError)


def test_deadlock_between_two_locks(loop: ControlledLoop) -> None:
    async def take(first: asyncio.Lock, second: asyncio.Lock) -> None:
        async with first:
            await asyncio.sleep(0)
            async with second:
                pass

    async def main() -> None:
        a, b = asyncio.Lock(), asyncio.Lock()
        await asyncio.gather(
            asyncio.create_task(take(a, b), name="ab"),
            asyncio.create_task(take(b, a), name="ba"),
        )

    with pytest.raises(Deadlock, match="3 pending task") as caught:
        loop.run_until_complete(main())
    assert {"ab", "ba"} <= {t.get_name() for t in caught.value.tasks}


def test_run_forever_with_nothing_to_do_is_a_deadlock(loop: ControlledLoop) -> None:
    with pytest.raises(Deadlock, match="no task is pending"):
        loop.run_forever()


def test_run_forever_stops_when_asked(loop: ControlledLoop) -> None:
    ran: list[str] = []
    loop.call_soon(ran.append, "a")
    loop.call_soon(loop.stop)
    loop.call_soon(ran.append, "b")  # same iteration as stop(): the stock loop runs it
    loop.run_forever()
    loop.call_soon(ran.append, "c")
    assert ran == ["a", "b"]
    loop.run_until_idle()
    assert ran == ["a", "b", "c"]


def test_close_and_shutdown(loop: ControlledLoop) -> None:
    cancelled: list[bool] = []

    async def waiting() -> None:
        try:
            await asyncio.sleep(100)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = loop.create_task(waiting())
    loop.step()
    loop.shutdown()
    assert loop.is_closed()
    assert cancelled == [True]
    assert task.cancelled()
    loop.shutdown()  # again: nothing to do
    with pytest.raises(RuntimeError, match="closed"):
        loop.step()
    gc.collect()


def test_close_right_away() -> None:
    loop = ControlledLoop()
    loop.close()
    assert loop.is_closed()


def test_threads_and_io_are_not_supported(loop: ControlledLoop) -> None:
    with pytest.raises(NotImplementedError, match="no threads"):
        loop.run_in_executor(None, print)
    with pytest.raises(NotImplementedError):
        loop.add_reader(0, print)


def test_tasks_are_numbered_and_finished_ones_are_not_kept(loop: ControlledLoop) -> None:
    refs: list[weakref.ref[asyncio.Task[None]]] = []

    async def short() -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        for _ in range(300):
            task = asyncio.create_task(short(), name="short")  # one name for all
            refs.append(weakref.ref(task))
            await task

    loop.run_until_complete(main())
    ids = {s.task_id for s in loop.schedule if s.task == "short"}
    assert len(ids) == 300  # one number per task, though they share a name
    gc.collect()
    assert sum(ref() is None for ref in refs) >= 200


def test_schedule_records_what_ran(loop: ControlledLoop) -> None:
    notes: list[str] = []

    async def main() -> None:
        asyncio.get_running_loop().call_soon(notes.append, "note")
        await asyncio.sleep(2)

    loop.run_until_complete(loop.create_task(main(), name="main"))
    steps = loop.schedule
    assert steps[0].label == "main" and steps[0].is_task and steps[0].time == 0.0
    assert steps[1].label == "list.append" and not steps[1].is_task
    assert steps[-1].label == "_run_until_complete_cb"
    assert steps[-2].label == "main" and steps[-2].time == 2.0
    assert all(s.index == 0 for s in steps)
    # The schedule is a copy.
    steps.clear()
    assert loop.schedule


def test_debug_mode(loop: ControlledLoop) -> None:
    # Debug mode adds thread checks, source tracebacks and _current_handle.
    loop.set_debug(True)
    seen: list[object] = []

    async def main() -> None:
        asyncio.get_running_loop().call_soon(lambda: seen.append(loop._current_handle))
        await asyncio.sleep(1)

    loop.run_until_complete(main())
    assert seen and seen[0] is not None
    assert loop._current_handle is None
    loop.call_later(1, seen.append, "timer")
    assert loop.step()
    assert seen[-1] == "timer"


def test_stop_before_run_forever_runs_one_iteration(loop: ControlledLoop) -> None:
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        loop.call_soon(ran.append, "next iteration")

    loop.call_soon(first)
    loop.call_soon(ran.append, "second")
    loop.stop()  # as on the stock loop: run_forever runs one iteration, then returns
    loop.run_forever()
    assert ran == ["first", "second"]
    assert loop.run_until_idle() == 1
    assert ran[-1] == "next iteration"


def test_run_until_idle_goes_on_after_the_program_calls_stop(loop: ControlledLoop) -> None:
    ran: list[int] = []
    loop.call_soon(loop.stop)
    for i in range(3):
        loop.call_soon(ran.append, i)
    loop.call_later(5, ran.append, 99)
    assert loop.run_until_idle() == 5
    assert ran == [0, 1, 2, 99]
