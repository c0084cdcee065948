"""Continuations: callbacks that run once when a job completes (SPEC, Continuations).

Atomicity the asyncio way. Every operation below does its reading and its writing in
one synchronous stretch, with no `await` in between: on an event loop nothing else
runs until the current task yields, so that stretch is the instant at which the
operation takes effect. The original guarded the same stretches with two RwLocks
(see proofs_notes/impl.md); here the absence of `await` is the guard, and each
operation says so where it matters.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections.abc import Awaitable, Callable

from . import metrics
from ._checks import check_callable, check_error, check_key, check_token, check_worker
from .token import CancellationToken
from .types import CompletionType, ContinuationFn, Done, JobState, Running, Worker

__all__ = ["Continuations"]

_RUNNING = Running()

_TASKS = "_workerjob_continuation_tasks"
"""The attribute of an event loop that holds its continuation tasks that have not
finished yet.

The event loop keeps only weak references to tasks, so a task that nobody else holds
can be garbage-collected in the middle of an `await`. Each task is added to its loop's
set when it is spawned and discarded by its own done-callback, so it is held exactly as
long as it runs and released after. On the loop, not per `Continuations` (an object ->
set -> task -> coroutine -> object cycle would be collectable while the task is still
pending) and not module-wide: a task left pending on a loop that was closed (asyncio.run
closes its loop after cancelling what it knows of) is then freed with its loop instead
of being held for good, and each loop's set is touched only by the loop's own thread
(one loop per thread; see proofs_notes/impl.md).
"""

_elsewhere: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[asyncio.Task[None]]] = (
    weakref.WeakKeyDictionary()
)
"""For a loop that takes no attributes: its set, dropped once the loop is closed."""


def _tasks_of(loop: asyncio.AbstractEventLoop) -> set[asyncio.Task[None]]:
    tasks: set[asyncio.Task[None]] | None = getattr(loop, _TASKS, None)
    if tasks is None:
        tasks = set()
        try:
            setattr(loop, _TASKS, tasks)
        except AttributeError:  # a loop with __slots__: held here, pruned when closed
            for closed in [other for other in _elsewhere if other.is_closed()]:
                del _elsewhere[closed]
            tasks = _elsewhere.setdefault(loop, tasks)
    return tasks


def _release(task: asyncio.Task[None]) -> None:
    """Done-callback of every continuation task: stop holding it."""
    tasks = _tasks_of(task.get_loop())
    tasks.discard(task)
    if not tasks:
        # A set never shrinks its table on discard: after a burst of a million
        # continuations it would keep tens of MiB for good. Emptied, it is reset.
        tasks.clear()


class Continuations:
    """A phase (`Running()`, then `Done(...)` forever) and a registry of continuations.

    `owner` is optional and only informative: it is reported as `"job"` in the
    exception handler's context when a continuation raises (WorkerJob passes itself).
    It is held weakly, so that a job and its continuations form no reference cycle
    and are freed as soon as the last reference goes, without waiting for the
    cyclic collector; it must therefore support weak references.

    `on_done` (optional) is called with no arguments at the instant the phase becomes
    Done, before any continuation starts; WorkerJob closes its progress channel there,
    so that readers end at Done whoever completes the continuations. It must not raise.
    """

    __slots__ = ("__weakref__", "_on_done", "_owner", "_registry", "_state")

    def __init__(
        self, *, owner: object | None = None, on_done: Callable[[], None] | None = None
    ) -> None:
        self._state: JobState = _RUNNING
        self._registry: dict[str, ContinuationFn] = {}
        self._owner = None if owner is None else weakref.ref(owner)
        self._on_done = on_done  # called at the instant of Done (the job's progress)

    @property
    def state(self) -> JobState:
        """The current phase."""
        return self._state

    @staticmethod
    def boxed(
        f: Callable[[Worker, CompletionType, str | None], Awaitable[None] | None],
    ) -> ContinuationFn:
        """Turn a plain or async callable of the continuation's signature into one.

        The result awaits whatever `f` returns when it is awaitable (an async function,
        or a plain one returning a coroutine, as the Rust closures do) and otherwise
        just calls `f`.
        """
        check_callable("f", f)

        @functools.wraps(f)
        async def continuation(
            worker: Worker, completion_type: CompletionType, error_message: str | None
        ) -> None:
            result = f(worker, completion_type, error_message)
            if inspect.isawaitable(result):
                await result

        return continuation

    async def add_or_run_now(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        """Register `callback` under `key` while Running; start it at once when Done.

        A continuation already registered under `key` is replaced and never runs. When
        Done, the callback starts as its own task and this call does not wait for it.
        """
        check_key(key)
        check_callable("callback", callback)
        check_worker(worker)
        # No await from here to the end: the phase is read and acted upon at one
        # instant, so `complete` cannot run in between and strand the insert.
        state = self._state
        if isinstance(state, Done):
            self._spawn(asyncio.get_running_loop(), key, callback, worker, state)
        else:
            if key not in self._registry:
                metrics.continuation_registered()
            self._registry[key] = callback

    async def complete(
        self,
        error: BaseException | None,
        worker: Worker,
        cancellation_token: CancellationToken,
    ) -> None:
        """Classify the outcome, become Done, and start every registered continuation.

        Raises `asyncio.InvalidStateError`, changing nothing, when already Done.
        """
        check_error(error)
        check_worker(worker)
        check_token(cancellation_token)
        if not self._settle(error, worker, cancellation_token):
            raise asyncio.InvalidStateError(f"continuations already completed: {self._state}")

    def _settle(
        self,
        error: BaseException | None,
        worker: Worker,
        cancellation_token: CancellationToken,
        *,
        hard_cancel: bool = False,
    ) -> bool:
        """The synchronous core of `complete`: False, changing nothing, if already Done.

        Package-internal: WorkerJob calls it from its task and from a done-callback,
        where it cannot await and must not raise on a second completion. `hard_cancel`
        classifies as CANCELLED whatever the token says (SPEC, WorkerJob, launch).
        """
        if isinstance(self._state, Done):
            return False
        # One instant from here on (no await). Everything that can fail (no running
        # loop, a token whose is_cancelled() raises) is computed before the first
        # write, so a failure leaves the phase and the registry as they were.
        loop = asyncio.get_running_loop()
        state = _done(_classify(error, cancellation_token, hard_cancel), _message(error))
        self._state = state
        # Take the registry before spawning anything: with an eager task factory a
        # continuation starts inside create_task, and must find the registry empty.
        due, self._registry = self._registry, {}
        metrics.continuations_due(len(due))
        if self._on_done is not None:
            self._on_done()
        for key, callback in due.items():
            self._spawn(loop, key, callback, worker, state)
        return True

    def _spawn(
        self,
        loop: asyncio.AbstractEventLoop,
        key: str,
        callback: ContinuationFn,
        worker: Worker,
        state: Done,
    ) -> None:
        task = loop.create_task(self._run_one(key, callback, worker, state))
        _tasks_of(loop).add(task)
        task.add_done_callback(_release)

    async def _run_one(
        self, key: str, callback: ContinuationFn, worker: Worker, state: Done
    ) -> None:
        """Run one due continuation; whatever it raises goes to the loop's handler."""
        metrics.continuation_started()
        try:
            awaitable = callback(worker, state.completion_type, state.error_message)
            if not inspect.isawaitable(awaitable):
                raise TypeError(
                    f"continuation {key!r} returned {type(awaitable).__name__}, not an "
                    "awaitable; wrap plain callables with Continuations.boxed"
                )
            await awaitable
        except BaseException as exc:
            if _must_propagate(exc):
                raise
            self._report(key, worker, state, exc)

    def _report(self, key: str, worker: Worker, state: Done, exc: BaseException) -> None:
        metrics.continuation_raised()
        asyncio.get_running_loop().call_exception_handler(
            {
                "message": f"WorkerJob continuation {key!r} raised {type(exc).__name__}",
                "exception": exc,
                "task": asyncio.current_task(),
                "key": key,
                "job": None if self._owner is None else self._owner(),
                "continuations": self,
                "worker": worker,
                "completion_type": state.completion_type,
                "error_message": state.error_message,
            }
        )

    def __repr__(self) -> str:
        return f"<Continuations {self._state} registered={len(self._registry)}>"


_DONE_WITHOUT_MESSAGE = {kind: Done(kind, None) for kind in CompletionType}


def _done(kind: CompletionType, message: str | None) -> Done:
    # States are immutable values, so the three message-less ones are shared.
    return _DONE_WITHOUT_MESSAGE[kind] if message is None else Done(kind, message)


def _classify(
    error: BaseException | None, token: CancellationToken, hard_cancel: bool
) -> CompletionType:
    # Cancellation wins over failure; the token is read now, at the instant of Done.
    if hard_cancel or token.is_cancelled():
        return CompletionType.CANCELLED
    if error is not None:
        return CompletionType.FAILED
    return CompletionType.NORMAL


def _message(error: BaseException | None) -> str | None:
    if error is None:
        return None
    try:
        text = str(error)
    except Exception:  # a broken __str__ must not keep the continuations from running
        text = ""
    return text or type(error).__name__


def _must_propagate(exc: BaseException) -> bool:
    """Exceptions a continuation task must not swallow.

    KeyboardInterrupt and SystemExit: asyncio stops the loop with them, and so do we.
    GeneratorExit: the coroutine is being closed (a pending task garbage-collected, a
    loop torn down); it must leave at once, and there is no loop of its own to report to.
    CancelledError when the task was asked to cancel (e.g. at loop shutdown): that is
    the task being cancelled, not the continuation failing. A CancelledError that the
    continuation raised on its own, with no cancel request, is reported like any error.
    """
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        return True
    if isinstance(exc, asyncio.CancelledError):
        task = asyncio.current_task()
        return task is None or task.cancelling() > 0
    return False
