"""Random asyncio programs, and an interpreter that runs one on any event loop.

A program is a few task scripts over shared Events, Futures and Locks (and,
with ``timers=True``, sleeps, ``call_later``, ``wait_for`` and
``asyncio.timeout``).  Every task appends what it does to one log; the log is
what two runs are compared by.  Programs terminate under every schedule: the
main task, after a few ``sleep(0)``, sets every Event and every unfinished
Future, locks are never nested, and nothing clears an Event, so no wait lasts
forever.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

N_EVENTS = 2
N_FUTURES = 2
N_LOCKS = 2

LogEntry = tuple[Any, ...]


@dataclass(frozen=True)
class Op:
    kind: str
    arg: int = 0
    body: tuple[Op, ...] = ()
    timeout: int = 0  # seconds; 0: none

    def __repr__(self) -> str:
        timeout = f", timeout={self.timeout}" if self.timeout else ""
        if self.body:
            return f"{self.kind}({self.arg}, {list(self.body)!r}{timeout})"
        return f"{self.kind}({self.arg}{timeout})" if self.arg or timeout else self.kind


@dataclass(frozen=True)
class Program:
    scripts: tuple[tuple[Op, ...], ...]
    release_after: int = 2


def _simple_ops() -> st.SearchStrategy[Op]:
    return st.one_of(
        st.just(Op("log")),
        st.just(Op("yield")),
        st.just(Op("call_soon")),
        st.integers(0, N_EVENTS - 1).map(lambda e: Op("set_event", e)),
        st.integers(0, N_EVENTS - 1).map(lambda e: Op("wait_event", e)),
        st.integers(0, N_FUTURES - 1).map(lambda f: Op("set_future", f)),
        st.integers(0, N_FUTURES - 1).map(lambda f: Op("await_future", f)),
    )


def _timer_ops() -> st.SearchStrategy[Op]:
    seconds = st.integers(1, 3)
    return st.one_of(
        seconds.map(lambda k: Op("sleep", k)),
        seconds.map(lambda k: Op("call_later", k)),
        st.builds(
            lambda e, k: Op("wait_event", e, timeout=k), st.integers(0, N_EVENTS - 1), seconds
        ),
        st.builds(lambda k, t: Op("sleep", k, timeout=t), seconds, seconds),
    )


def _ops(timers: bool) -> st.SearchStrategy[Op]:
    simple = st.one_of(_simple_ops(), _timer_ops()) if timers else _simple_ops()
    lock = st.builds(
        lambda lock, body: Op("lock", lock, tuple(body)),
        st.integers(0, N_LOCKS - 1),
        st.lists(simple, max_size=3),
    )
    spawn = st.lists(st.one_of(simple, lock), max_size=3).map(
        lambda body: Op("spawn", 0, tuple(body))
    )
    cancel = st.integers(0, 3).map(lambda target: Op("cancel", target))
    return st.one_of(simple, simple, lock, spawn, cancel)


def programs(
    max_tasks: int = 4, max_ops: int = 6, timers: bool = False
) -> st.SearchStrategy[Program]:
    script = st.lists(_ops(timers), max_size=max_ops).map(tuple)
    return st.builds(
        Program,
        st.lists(script, min_size=1, max_size=max_tasks).map(tuple),
        st.integers(0, 6),
    )


def _outcome(result: object) -> str:
    if isinstance(result, BaseException):
        return type(result).__name__
    return repr(result)


def make_main(program: Program, log: list[LogEntry]) -> Callable[[], Coroutine[Any, Any, None]]:
    """The program as a coroutine function; it logs into ``log``."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        events = [asyncio.Event() for _ in range(N_EVENTS)]
        futures: list[asyncio.Future[str]] = [loop.create_future() for _ in range(N_FUTURES)]
        locks = [asyncio.Lock() for _ in range(N_LOCKS)]
        tasks: list[asyncio.Task[None]] = []
        children: list[asyncio.Task[None]] = []
        scheduled = itertools.count()

        def fire_timer(who: str, here: tuple[int, ...]) -> None:
            log.append(("timer", who, here, loop.time()))

        async def run(who: str, ops: tuple[Op, ...], path: tuple[int, ...] = ()) -> None:
            for k, op in enumerate(ops):
                here = (*path, k)
                if op.kind == "log":
                    log.append(("op", who, here))
                elif op.kind == "yield":
                    await asyncio.sleep(0)
                elif op.kind == "call_soon":
                    loop.call_soon(log.append, ("cb", who, next(scheduled)))
                elif op.kind == "set_event":
                    events[op.arg].set()
                    log.append(("set_event", who, op.arg))
                elif op.kind == "wait_event":
                    if not op.timeout:
                        await events[op.arg].wait()
                        log.append(("woke", who, here))
                        continue
                    try:
                        await asyncio.wait_for(events[op.arg].wait(), op.timeout)
                        log.append(("woke", who, here, loop.time()))
                    except TimeoutError:
                        log.append(("timed_out", who, here, loop.time()))
                elif op.kind == "sleep":
                    if not op.timeout:
                        await asyncio.sleep(op.arg)
                        log.append(("slept", who, here, loop.time()))
                        continue
                    try:
                        async with asyncio.timeout(op.timeout):
                            await asyncio.sleep(op.arg)
                        log.append(("slept", who, here, loop.time()))
                    except TimeoutError:
                        log.append(("timed_out", who, here, loop.time()))
                elif op.kind == "call_later":
                    loop.call_later(op.arg, fire_timer, who, here)
                elif op.kind == "set_future":
                    if not futures[op.arg].done():
                        futures[op.arg].set_result(who)
                        log.append(("set_future", who, op.arg))
                elif op.kind == "await_future":
                    value = await futures[op.arg]
                    log.append(("got", who, here, value))
                elif op.kind == "lock":
                    async with locks[op.arg]:
                        log.append(("enter", who, op.arg))
                        try:
                            await run(who, op.body, here)
                        finally:  # a cancelled task leaves the lock too
                            log.append(("exit", who, op.arg))
                elif op.kind == "spawn":
                    name = f"{who}.{len(children)}"
                    children.append(loop.create_task(run(name, op.body), name=name))
                    log.append(("spawned", who, name))
                elif op.kind == "cancel":
                    if op.arg < len(tasks):
                        log.append(("cancel", who, op.arg, tasks[op.arg].cancel()))
                else:  # pragma: no cover
                    raise AssertionError(op)

        for i, script in enumerate(program.scripts):
            tasks.append(loop.create_task(run(f"t{i}", script), name=f"t{i}"))
        for _ in range(program.release_after):
            await asyncio.sleep(0)
        log.append(("release",))
        for event in events:
            event.set()
        for future in futures:
            if not future.done():
                future.set_result("main")
        waited = 0
        outcomes: list[str] = []
        # Children may spawn children; wait until no new ones appear.
        while waited < len(tasks) + len(children):
            batch = (tasks + children)[waited:]
            waited += len(batch)
            results = await asyncio.gather(*batch, return_exceptions=True)
            outcomes.extend(_outcome(result) for result in results)
        log.append(("done", tuple(outcomes)))

    return main


def run_program(loop: asyncio.AbstractEventLoop, program: Program) -> list[LogEntry]:
    """Run ``program`` to completion on ``loop`` (which the caller closes)."""
    log: list[LogEntry] = []
    main = loop.create_task(make_main(program, log)(), name="main")
    loop.run_until_complete(main)
    return log


def check_log(log: list[LogEntry]) -> None:
    """What asyncio promises under every schedule.

    Not that "done" comes last: a callback a task schedules may run after the
    main task has finished, when the chooser lets main overtake it.  Call it
    on the log of a run that went on until idle.
    """
    assert [entry[0] for entry in log].count("done") == 1
    # Plain callbacks run in the order they were scheduled, none skipped.
    callbacks = [entry[2] for entry in log if entry[0] == "cb"]
    assert callbacks == list(range(len(callbacks)))
    # A task's own steps run in program order.
    positions: dict[str, tuple[int, ...]] = {}
    for entry in log:
        if entry[0] in ("op", "woke", "got", "slept", "timed_out"):
            who, here = entry[1], entry[2]
            assert here > positions.get(who, ()), (who, here)
            positions[who] = here
    # Locks exclude.
    holder: dict[int, str] = {}
    for entry in log:
        if entry[0] == "enter":
            assert entry[2] not in holder, entry
            holder[entry[2]] = entry[1]
        elif entry[0] == "exit":
            assert holder.pop(entry[2]) == entry[1]
    assert not holder
