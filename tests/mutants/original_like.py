"""A Python subject that behaves as the original Rust code does, departures and all.

Not a mutant of `base`: a port of the original's protocol (`model/protocol/protocol.py`,
`ORIGINAL`) onto asyncio, to check that the `original` spec (SPEC plus every named
departure, `model/departures.py`) accepts what the original does and still rejects
everything else. What it keeps of the original:

- two fair read-write locks, the state's and the map's, each acquisition a point where
  the runtime may run anything else (the original runs on a multi-threaded runtime);
- `add_or_run_now` holds the state read guard across the map insert;
- `complete` classifies (reads the token) before it waits for the state write lock,
  sets Done (overwriting a Done: a second complete returns ok), then drains the map in a
  second critical section and spawns what it took; the message is `str(error)`, even
  empty;
- the job's task (the launch wrapper) awaits `run()`, calls the same `complete` with
  what it raised if that is an `Exception`, and returns ok whatever `run()` did, so
  `wait()` returns None after a failure. Anything else that `run()` raises (a panic) and
  a hard cancel (an abort) end the wrapper wherever it is, so the state may stay Running;
- a job that was never launched reports itself active.

What it keeps of SPEC where the original cannot be ported: a second `launch()` and a
second `wait()` raise `RuntimeError` (Rust's `wait(self)` consumes the job), `wait()`
before `launch()` raises `RuntimeError("Task not launched")`, bad input is a
`TypeError`, and a continuation that raises goes to the loop's exception handler.

`original_like_guard_dropped` is the same with the state guard dropped before the insert:
the `original` spec must still kill it (a continuation lost).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from typing import ClassVar

from .base import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Done,
    JobState,
    Running,
    Worker,
    WorkerTask,
    _hold,
    _report,
    _require,
    _require_token,
    _require_worker,
)

__all__ = [
    "CancellationToken",
    "CompletionType",
    "ContinuationFn",
    "Continuations",
    "Done",
    "JobState",
    "Running",
    "Worker",
    "WorkerJob",
    "WorkerTask",
]


class RwLock:
    """tokio's `RwLock`, fair: waiters are served in FIFO order, a waiting writer blocks
    every later reader, and a release hands the lock to the waiters at the front of the
    queue (a writer alone, or a run of readers) at once."""

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._waiters: deque[tuple[bool, asyncio.Future[None]]] = deque()

    def _free_for(self, write: bool) -> bool:
        return not self._writer and (not write or self._readers == 0)

    def _take(self, write: bool) -> None:
        if write:
            self._writer = True
        else:
            self._readers += 1

    async def acquire(self, write: bool) -> None:
        # On the original's multi-threaded runtime anything may happen between two
        # steps; on one event loop, this yield is where it can.
        await asyncio.sleep(0)
        if not self._waiters and self._free_for(write):
            self._take(write)
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((write, granted))
        try:
            await granted
        except asyncio.CancelledError:
            # Aborted while queued: a grant that already came is handed on.
            if granted.done() and not granted.cancelled():
                self.release(write)
            raise

    def release(self, write: bool) -> None:
        if write:
            self._writer = False
        else:
            self._readers -= 1
        while self._waiters:
            write_next, granted = self._waiters[0]
            if granted.cancelled():
                self._waiters.popleft()
                continue
            if not self._free_for(write_next):
                break
            self._waiters.popleft()
            self._take(write_next)
            granted.set_result(None)
            if write_next:
                break


READ, WRITE = False, True


class Continuations:
    guard_dropped: ClassVar[bool] = False  # the variant that loses continuations

    def __init__(self) -> None:
        self._state: JobState = Running()
        self._map: dict[str, ContinuationFn] = {}
        self._state_lock = RwLock()
        self._map_lock = RwLock()

    @property
    def state(self) -> JobState:
        return self._state

    @staticmethod
    def boxed(
        f: Callable[[Worker, CompletionType, str | None], Awaitable[None] | None],
    ) -> ContinuationFn:
        _require(callable(f), "f must be callable", f)

        @functools.wraps(f)
        async def continuation(
            worker: Worker, completion_type: CompletionType, message: str | None
        ) -> None:
            result = f(worker, completion_type, message)
            if inspect.isawaitable(result):
                await result

        return continuation

    async def add_or_run_now(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        _require(isinstance(key, str), "key must be a str", key)
        _require(callable(callback), "callback must be callable", callback)
        _require_worker(worker)
        await self._state_lock.acquire(READ)
        state_held = True
        try:
            state = self._state
            if isinstance(state, Done):
                _spawn(key, callback, worker, state)
                return
            if self.guard_dropped:
                # The variant: the guard goes before the insert, so complete can set
                # Done and drain the map in between, and this insert is never taken.
                self._state_lock.release(READ)
                state_held = False
            await self._map_lock.acquire(WRITE)
            try:
                self._map[key] = callback
            finally:
                self._map_lock.release(WRITE)
        finally:
            if state_held:
                self._state_lock.release(READ)

    async def complete(
        self, error: BaseException | None, worker: Worker, cancellation_token: CancellationToken
    ) -> None:
        _require(
            error is None or isinstance(error, BaseException), "error must be an exception", error
        )
        _require_worker(worker)
        _require_token(cancellation_token)
        # The token is read here, before the state write lock is waited for: a cancel()
        # that lands while this waits is missed (the departure token-read-early).
        if cancellation_token.is_cancelled():
            kind = CompletionType.CANCELLED
        elif error is not None:
            kind = CompletionType.FAILED
        else:
            kind = CompletionType.NORMAL
        done = Done(kind, None if error is None else str(error))  # "" stays ""
        await self._state_lock.acquire(WRITE)
        try:
            self._state = done  # overwrites a Done: no InvalidStateError
        finally:
            self._state_lock.release(WRITE)
        await self._map_lock.acquire(WRITE)
        try:
            taken, self._map = self._map, {}
        finally:
            self._map_lock.release(WRITE)
        for key, callback in taken.items():
            _spawn(key, callback, worker, done)


def _spawn(key: str, callback: ContinuationFn, worker: Worker, state: Done) -> None:
    _hold(asyncio.get_running_loop().create_task(_invoke(key, callback, worker, state)))


async def _invoke(key: str, callback: ContinuationFn, worker: Worker, state: Done) -> None:
    try:
        await callback(worker, state.completion_type, state.error_message)
    except Exception as exc:
        _report(key, exc)


class WorkerJob:
    continuations_type: ClassVar[type[Continuations]] = Continuations

    def __init__(
        self, worker: Worker, worker_task: WorkerTask, cancellation_token: CancellationToken
    ) -> None:
        _require_worker(worker)
        _require(
            callable(getattr(worker_task, "run", None)), "worker_task needs run()", worker_task
        )
        _require_token(cancellation_token)
        self.worker = worker
        self.worker_task = worker_task
        self.cancellation_token = cancellation_token
        self.task_handle: asyncio.Task[None] | None = None
        self.worker_job_continuations = self.continuations_type()
        self._waited = False

    def launch(self) -> None:
        if self.task_handle is not None:
            raise RuntimeError("WorkerJob already launched")
        task = asyncio.get_running_loop().create_task(self._wrapper())
        _hold(task)
        self.task_handle = task

    async def _wrapper(self) -> None:
        # What the original's launch spawns. A panic (anything not an Exception) and an
        # abort (the CancelledError of task_handle.cancel()) leave it wherever they hit:
        # before complete, or between complete's two critical sections.
        try:
            await self.worker_task.run()
            error: Exception | None = None
        except Exception as exc:
            error = exc
        await self.worker_job_continuations.complete(error, self.worker, self.cancellation_token)

    def cancel(self) -> None:
        self.cancellation_token.cancel()

    async def wait(self) -> None:
        task = self.task_handle
        if task is None:
            raise RuntimeError("Task not launched")
        if self._waited:
            raise RuntimeError("WorkerJob already waited (a job is waited once)")
        self._waited = True
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            self._waited = False
            raise
        task.result()  # None however run() ended, unless a panic or an abort ended it

    def is_active(self) -> bool:
        return self.task_handle is None or not self.task_handle.done()  # unlaunched: active

    def is_complete(self) -> bool:
        return self.task_handle is not None and self.task_handle.done()
