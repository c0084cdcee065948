"""A small, correct asyncio implementation of SPEC.md, with hooks where the mutants break it.

Independent of `workerjob.impl`: it shares the contract's names, not its code. Each
mutant in this package subclasses `Continuations` or `WorkerJob` and overrides one
hook. Hooks, in the order an operation meets them:

- `Continuations._add` (add_or_run_now's effect), `_insert` (Running: register),
  `_run_now` (Done: start at once);
- `Continuations._complete` (complete's effect, awaited), `_settle` (the same,
  synchronous), `_accepts_completion` (Done is absorbing), `_classify`, `_outcome`;
- `Continuations._fire` (start what is due), `_drain` (take the registry), `_spawn`
  (one task per continuation), `_invoke` (run one, report what it raises);
- `WorkerJob._drive` (the job's task), `_on_task_done` (its done-callback), `_result`
  (what wait() returns or raises); `WorkerJob.continuations_type` wires a mutant's
  `Continuations` into its `WorkerJob`.

Atomicity: an operation's effect is a stretch of code with no suspension in it. On an
event loop nothing else runs until the current task yields, so that stretch is the
instant at which the operation takes effect. `_add`, `_run_now` and `_complete` are
coroutines only so that a mutant can put an `await` into them; here they never suspend.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, TypeAlias, runtime_checkable

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


class CompletionType(enum.Enum):
    NORMAL = "normal"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class Running:
    """Before completion."""


@dataclass(frozen=True)
class Done:
    """After completion, forever."""

    completion_type: CompletionType
    error_message: str | None = None


JobState: TypeAlias = Running | Done


@dataclass(frozen=True)
class Worker:
    name: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@runtime_checkable
class WorkerTask(Protocol):
    async def run(self) -> None: ...


ContinuationFn: TypeAlias = Callable[[Worker, CompletionType, str | None], Awaitable[None]]


def _require(ok: bool, what: str, value: object) -> None:
    """Bad input: a TypeError naming the argument, raised before any state changes."""
    if not ok:
        raise TypeError(f"{what}, got {type(value).__name__}")


def _require_worker(worker: object) -> None:
    _require(hasattr(worker, "id") and hasattr(worker, "name"), "worker needs id and name", worker)


def _require_token(token: object) -> None:
    ok = callable(getattr(token, "cancel", None)) and callable(getattr(token, "is_cancelled", None))
    _require(ok, "cancellation_token needs cancel() and is_cancelled()", token)


def error_message(error: BaseException | None) -> str | None:
    """SPEC's message rule: str(error), or the class name where that is empty."""
    if error is None:
        return None
    try:
        text = str(error)
    except Exception:  # a broken __str__ must not keep the job from completing
        text = ""
    return text or type(error).__name__


_live: set[asyncio.Task[None]] = set()
"""Tasks we started and that have not finished: the loop holds tasks only weakly.

Module-level, so no cycle (owner -> set -> task -> owner) can be collected while a task
is pending; each task leaves the set when it finishes, so nothing finished is kept.
"""


def _hold(task: asyncio.Task[None]) -> None:
    _live.add(task)
    task.add_done_callback(_live.discard)


class CancellationToken:
    def __init__(self) -> None:
        self._cancelled = False
        self._event: asyncio.Event | None = None  # created by the first waiter

    def cancel(self) -> None:
        self._cancelled = True
        if self._event is not None:
            self._event.set()

    def is_cancelled(self) -> bool:
        return self._cancelled

    async def cancelled(self) -> None:
        if self._cancelled:
            return
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()


class Continuations:
    def __init__(self) -> None:
        self._state: JobState = Running()
        self._registry: dict[str, ContinuationFn] = {}

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
        await self._add(key, callback, worker)

    async def _add(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        # One instant: the phase is read and acted on with no suspension in between.
        state = self._state
        if isinstance(state, Done):
            await self._run_now(key, callback, worker, state)
        else:
            self._insert(key, callback)

    def _insert(self, key: str, callback: ContinuationFn) -> None:
        self._registry[key] = callback  # a later registration replaces an earlier one

    async def _run_now(
        self, key: str, callback: ContinuationFn, worker: Worker, state: Done
    ) -> None:
        # Every start takes one path, `_fire`; while Done the registry is empty between
        # operations, so this starts exactly `callback`, in its own task, unawaited.
        self._insert(key, callback)
        self._fire(worker, state)

    async def complete(
        self, error: BaseException | None, worker: Worker, cancellation_token: CancellationToken
    ) -> None:
        _require(
            error is None or isinstance(error, BaseException), "error must be an exception", error
        )
        _require_worker(worker)
        _require_token(cancellation_token)
        if not await self._complete(error, worker, cancellation_token):
            raise asyncio.InvalidStateError(f"continuations already completed: {self._state}")

    async def _complete(
        self,
        error: BaseException | None,
        worker: Worker,
        token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        return self._settle(error, worker, token, hard_cancel=hard_cancel)

    def _settle(
        self,
        error: BaseException | None,
        worker: Worker,
        token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        """complete's effect at one instant; False, changing nothing, when already Done."""
        if not self._accepts_completion():
            return False
        # Classified now, at the instant the state changes; computed before any write, so
        # a token that raises leaves everything as it was.
        state = self._outcome(self._classify(error, token, hard_cancel), error)
        self._state = state
        self._fire(worker, state)
        return True

    def _accepts_completion(self) -> bool:
        return isinstance(self._state, Running)

    def _classify(
        self, error: BaseException | None, token: CancellationToken, hard_cancel: bool
    ) -> CompletionType:
        if hard_cancel or token.is_cancelled():  # cancellation wins over failure
            return CompletionType.CANCELLED
        return CompletionType.NORMAL if error is None else CompletionType.FAILED

    def _outcome(self, kind: CompletionType, error: BaseException | None) -> Done:
        return Done(kind, error_message(error))  # the message whatever the kind

    def _fire(self, worker: Worker, state: Done) -> None:
        for key, callback in self._drain().items():
            self._spawn(key, callback, worker, state)

    def _drain(self) -> dict[str, ContinuationFn]:
        due, self._registry = self._registry, {}
        return due

    def _spawn(self, key: str, callback: ContinuationFn, worker: Worker, state: Done) -> None:
        _hold(asyncio.get_running_loop().create_task(self._invoke(key, callback, worker, state)))

    async def _invoke(
        self, key: str, callback: ContinuationFn, worker: Worker, state: Done
    ) -> None:
        try:
            await callback(worker, state.completion_type, state.error_message)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError) and _cancelling():
                raise  # this task is being cancelled (loop shutdown): not the continuation's error
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
        self._finished = False  # the job's own completion step is done (SPEC's "finished")

    def launch(self) -> None:
        if self.task_handle is not None:
            raise RuntimeError("WorkerJob already launched")
        task = asyncio.get_running_loop().create_task(self._drive())
        # The one outcome `_drive` cannot see: a task cancelled before its first step.
        task.add_done_callback(self._on_task_done)
        _hold(task)
        self.task_handle = task

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
            await asyncio.wait({task})  # not `await task`: cancelling us must not cancel it
        except asyncio.CancelledError:
            self._waited = False  # a cancelled waiter has not waited
            raise
        self._on_task_done(task)  # the done-callback may not have had its turn yet
        self._result(task)

    def is_active(self) -> bool:
        return self.task_handle is not None and not self._finished

    def is_complete(self) -> bool:
        return self._finished

    async def _drive(self) -> None:
        try:
            await self.worker_task.run()
        except BaseException as exc:
            hard = isinstance(exc, asyncio.CancelledError) and _cancelling()
            await self._finish(exc, hard_cancel=hard)
            raise
        await self._finish(None)

    async def _finish(self, error: BaseException | None, *, hard_cancel: bool = False) -> None:
        # False when someone else completed first: the job's own completion is skipped.
        await self.worker_job_continuations._complete(
            error, self.worker, self.cancellation_token, hard_cancel=hard_cancel
        )
        self._finished = True  # no suspension since the completion: the same instant

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if isinstance(self.worker_job_continuations.state, Running) and task.cancelled():
            try:
                task.result()
            except asyncio.CancelledError as exc:  # carries the cancel() message, if any
                self.worker_job_continuations._settle(
                    exc, self.worker, self.cancellation_token, hard_cancel=True
                )
        if task.done():
            self._finished = True

    def _result(self, task: asyncio.Task[None]) -> None:
        task.result()  # None, or what run() raised (CancelledError after a hard cancel)


def _report(key: str, exc: BaseException) -> None:
    # Not inline in `_invoke`: a local there would keep the task alive through the
    # exception's traceback for as long as the handler keeps the exception.
    asyncio.get_running_loop().call_exception_handler(
        {
            "message": f"continuation {key!r} raised {type(exc).__name__}",
            "exception": exc,
            "task": asyncio.current_task(),
            "key": key,
        }
    )


def _cancelling() -> bool:
    """Whether the current task has been asked to cancel (a hard cancel, not run()'s own)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
