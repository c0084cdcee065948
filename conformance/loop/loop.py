"""A controllable asyncio event loop: one chosen ready callback per step.

``ControlledLoop`` is a real ``asyncio.BaseEventLoop``: real Tasks (C and pure
Python), Futures, Locks, Events, timeouts and TaskGroups run on it unchanged.
It differs from the stock loop in two ways.

1. *Who runs next.*  The stock loop runs its ready queue first-in first-out.
   This loop runs one ready callback per step, the one a chooser
   (``choosers.py``) picks among the *candidates*: the next step of every task
   that has one, plus the oldest plain callback.  Candidate 0 is always the
   stock loop's choice, so a chooser that always answers 0 reproduces the
   stock schedule exactly (the tests pin this on random programs, against the
   real loop and against the stock ``_run_once`` under a virtual clock).  The
   one deliberate difference: timers due at the same virtual instant fire in
   the order they were scheduled (see ``_FifoTimerHandle``).
2. *Time.*  ``time()`` is virtual, starting at 0.0.  When nothing is ready the
   stock loop sleeps in ``select()`` until the next timer is due; this loop
   jumps its clock to that timer instead, so ``sleep(3600)`` takes no real
   time.  Nothing ready, no timer, and work still pending is a deadlock.

It overrides the hooks CPython's own test loop (``TestLoop`` in
``Lib/test/test_asyncio/utils.py``) overrides: ``_run_once``, ``call_at``,
``time``, ``_write_to_self`` and ``_process_events``; plus ``_call_soon``, to
sort each new handle into the ready structure below.  It has no selector: no
I/O, no threads (``run_in_executor`` raises ``NotImplementedError``).

``run_forever``/``run_until_complete`` go through ``_run_once`` as usual, one
step per call.  ``step()`` and ``run_until_idle()`` also go through
``run_forever`` (with the loop in a different *mode*), so the setup a running
loop needs (running-loop registration, async-generator hooks, thread id) is
always asyncio's own, on every Python version: 3.13 split ``run_forever``
into ``_run_forever_setup``/``_run_forever_cleanup``, 3.11 and 3.12 did not,
and this module calls neither.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import types
import weakref
from asyncio import events
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextvars import Context
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, Protocol, TypeAlias, TypeVar, TypeVarTuple, Unpack, cast, overload

from .choosers import Candidate, Chooser

__all__ = ["ControlledLoop", "Deadlock", "Livelock", "Step", "owning_task"]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


class Deadlock(RuntimeError):
    """Nothing is ready, no timer is scheduled, yet the run is not finished."""

    def __init__(self, message: str, tasks: Sequence[asyncio.Task[Any]]) -> None:
        super().__init__(message)
        self.tasks: tuple[asyncio.Task[Any], ...] = tuple(tasks)


class Livelock(RuntimeError):
    """``run_until_idle`` took its maximum number of steps and work remains."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a run: which candidate ran, out of how many, when.

    ``label`` is the task's name for a task step, else the callback's
    qualified name (never a repr with an address, so two runs of the same
    schedule have equal labels).  ``task`` is the task's name and ``task_id``
    the loop's number for the task (unique, unlike names), or both None for a
    plain callback.
    """

    index: int
    candidates: int
    label: str
    time: float
    task: str | None
    task_id: int | None

    @property
    def is_task(self) -> bool:
        return self.task is not None


# --- Which task does a ready callback belong to? ----------------------------
#
# A Task puts exactly one kind of callback in the ready queue: its next step.
# Pure-Python Tasks (asyncio.tasks._PyTask) schedule the bound methods
# ``__step`` and ``__wakeup``; C Tasks (_asyncio.Task) schedule a
# ``TaskStepMethWrapper`` object and the builtin method ``task_wakeup``.  All
# four expose the task as ``__self__`` (checked on 3.11, 3.12 and 3.13).  Both
# conditions are checked: other methods of a task scheduled as callbacks (say
# ``call_soon(task.cancel)``) are plain callbacks, not steps of the task.
_TASK_TYPES: Final[tuple[type[Any], ...]] = tuple(
    {asyncio.Task, getattr(asyncio.tasks, "_PyTask", asyncio.Task)}
)
_STEP_NAMES: Final = frozenset({"__step", "__wakeup", "task_wakeup"})
_METHOD_TYPES: Final = (types.MethodType, types.BuiltinMethodType)


def owning_task(callback: Callable[..., object]) -> asyncio.Task[Any] | None:
    """The task whose step ``callback`` is, or None for a plain callback."""
    # Dispatch on the type first: this runs for every handle made ready, and
    # most callbacks are settled by one type test.
    cb: Any = callback
    kind = type(cb)
    if kind in _METHOD_TYPES:
        # A bound method (pure-Python Task) or builtin method (C Task wakeup).
        if cb.__name__ in _STEP_NAMES:
            owner = cb.__self__
            if isinstance(owner, _TASK_TYPES):
                return cast("asyncio.Task[Any]", owner)
        return None
    if kind.__name__ == "TaskStepMethWrapper":  # C Task step; it has no __name__
        return cast("asyncio.Task[Any]", cb.__self__)
    return None


def _callback_label(callback: Callable[..., object]) -> str:
    func = getattr(callback, "func", None)  # functools.partial
    if func is not None:
        return f"partial({_callback_label(func)})"
    name = getattr(callback, "__qualname__", None)
    return name if isinstance(name, str) else type(callback).__name__


# --- The ready structure ------------------------------------------------------
#
# The stock loop keeps one deque, ``_ready``.  Choosing among tasks needs, at
# every step, the next step of every task and the oldest plain callback;
# scanning a deque for them would cost O(ready) per step.  So each handle is
# sorted when it becomes ready (in ``_call_soon`` and when a timer falls due)
# into one of two structures, tagged with a sequence number that records its
# place in the stock loop's deque:
#
# - ``_task_ready``: task -> its ready entry.  A task has at most one ready
#   handle at a time (it schedules its next step only from inside the step
#   before, or when the one future it awaits completes), and a dict keeps
#   insertion order, so its values are in ready-queue order.
# - ``_plain_ready``: a deque of plain callbacks, in ready-queue order.
#
# The stock loop's next handle is the one with the smallest sequence number:
# the first of ``_task_ready`` or the head of ``_plain_ready``.  ``_ready``
# itself stays empty.

# (sequence number, handle, its task or None, its callback, the task's number or None)
_Entry: TypeAlias = (
    "tuple[int, events.Handle, asyncio.Task[Any] | None, Callable[..., object], int | None]"
)


class _CandidateView(Sequence[Candidate]):
    """The candidates of one step as a chooser sees them, built only if looked at.

    The order: candidate 0 is the stock loop's choice (``head``), then come the
    next steps of the other tasks, oldest first, then the oldest plain callback
    if it is not the head.  Most choosers need only the count (random,
    Hypothesis) or nothing (FIFO, replay), so a ``Candidate`` is built only for
    an entry that is looked at, and finding entry ``i`` costs O(i) in C
    (``islice`` over the task dict), with no list built per step.
    """

    __slots__ = ("_count", "_head", "_oldest_plain", "_task_ready")

    def __init__(
        self,
        head: _Entry,
        task_ready: dict[asyncio.Task[Any], _Entry],
        oldest_plain: _Entry | None,
        count: int,
    ) -> None:
        self._head = head
        self._task_ready = task_ready
        self._oldest_plain = oldest_plain
        self._count = count

    def __len__(self) -> int:
        return self._count

    def entry(self, index: int) -> _Entry:
        """Entry ``index`` (0 <= index < len(self))."""
        head, oldest = self._head, self._oldest_plain
        if index == 0:
            return head
        tasks = self._task_ready.values()
        if head is oldest:
            # The head is the plain callback; the tasks follow, oldest first.
            return next(islice(tasks, index - 1, None))
        # The head is the oldest task (the dict's first value): the other tasks
        # follow in dict order, then the plain callback.
        if index < len(tasks):
            return next(islice(tasks, index, None))
        assert oldest is not None and index == len(tasks)
        return oldest

    @overload
    def __getitem__(self, index: int) -> Candidate: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Candidate]: ...
    def __getitem__(self, index: int | slice) -> Candidate | Sequence[Candidate]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"candidate {index} of {self._count}")
        return _candidate(self.entry(index))


def _candidate(entry: _Entry) -> Candidate:
    _, _, task, callback, task_id = entry
    if task is None:
        return Candidate(_callback_label(callback), None, None)
    name = task.get_name()
    return Candidate(name, name, task_id)


class _FifoTimerHandle(events.TimerHandle):
    """A timer that breaks ties by scheduling order.

    ``TimerHandle`` compares by due time only, and the heap does not keep
    equal keys in insertion order.  Under a real clock two timers rarely share
    a due time; under virtual time it is common (two tasks calling
    ``sleep(1)`` at time 0).  Ties go to the timer scheduled first, as they
    would under a real clock, which moves on between the two calls.
    """

    __slots__ = ("_order",)
    _when: float
    _scheduled: bool
    _callback: Callable[..., object]

    def __init__(
        self,
        order: int,
        when: float,
        callback: Callable[..., object],
        args: Sequence[Any],
        loop: asyncio.AbstractEventLoop,
        context: Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context)
        self._order = order

    def __lt__(self, other: events.TimerHandle) -> bool:
        if isinstance(other, _FifoTimerHandle) and self._when == other._when:
            return self._order < other._order
        return super().__lt__(other)


class _HandleInternals(Protocol):
    """Handle attributes typeshed leaves out."""

    _callback: Callable[..., object]
    _source_traceback: list[Any] | None


# The stock loop's thresholds for sweeping cancelled timers out of the heap
# (asyncio.base_events._MIN_SCHEDULED_TIMER_HANDLES and
# _MIN_CANCELLED_TIMER_HANDLES_FRACTION, unchanged from 3.11 to 3.13).
_MIN_SCHEDULED_TIMER_HANDLES: Final = 100
_MIN_CANCELLED_TIMER_HANDLES_FRACTION: Final = 0.5

# What ``_run_once`` does when ``run_forever`` calls it.
_RUN: Final = 0  # run_forever / run_until_complete: step; nothing to do is a deadlock
_STEP: Final = 1  # step(): exactly one step, then return to the caller
_IDLE: Final = 2  # run_until_idle(): step until nothing is ready and no timer is left


class ControlledLoop(asyncio.BaseEventLoop):
    """An asyncio event loop whose schedule is chosen, with virtual time.

    ``chooser`` picks each step among the candidates (None: the stock FIFO
    order, the fastest path).  It may be replaced between steps.  Like the
    stock loop, it is not thread-safe; unlike it, it offers no way for other
    threads to wake it (see ``run_in_executor``).
    """

    # BaseEventLoop internals this class reads or writes.  BaseEventLoop.__init__
    # sets them; typeshed does not declare them.
    _ready: deque[events.Handle]
    _scheduled: list[_FifoTimerHandle]
    _stopping: bool
    _timer_cancelled_count: int
    _clock_resolution: float
    _debug: bool
    _current_handle: events.Handle | None
    _check_closed: Callable[[], None]
    _check_thread: Callable[[], None]
    _check_callback: Callable[[Callable[..., object], str], None]

    def __init__(self, chooser: Chooser | None = None) -> None:
        self._clock = 0.0  # set first: time() must work from the start
        super().__init__()
        self.chooser = chooser
        self._seq = 0  # sequence number of the next handle to become ready
        self._timer_order = 0  # sequence number of the next timer (tie-break)
        # Handles with a sequence number below this were ready when the current
        # iteration began; see _begin_iteration.
        self._iteration_end = 0
        self._task_ready: dict[asyncio.Task[Any], _Entry] = {}
        self._plain_ready: deque[_Entry] = deque()
        # id(task) -> (weak reference to the task, its number). Weak: the loop must
        # hold nothing the stock loop does not, or a finished task that nothing else
        # holds would outlive its last step, and with it the "exception was never
        # retrieved" report that its freeing makes (see _new_task_id).
        self._task_ids: dict[int, tuple[weakref.ref[asyncio.Task[Any]], int]] = {}
        self._tasks_numbered = 0
        # One tuple per step, turned into Step records only when asked for:
        # building a frozen dataclass per step would dominate the step's cost.
        self._raw: list[tuple[int, int, str, float, str | None, int | None]] = []
        self._steps: list[Step] = []
        self._mode = _RUN
        self._stepped = False
        self._idle = False
        self._step_limit = 0
        self._max_steps = 0

    # --- The public driving API ---------------------------------------------

    @property
    def schedule(self) -> list[Step]:
        """The steps taken so far, oldest first (a copy)."""
        steps, raw = self._steps, self._raw
        if len(steps) < len(raw):
            steps.extend(Step(*record) for record in raw[len(steps) :])
        return list(steps)

    @property
    def steps_taken(self) -> int:
        return len(self._raw)

    def step(self) -> bool:
        """Run exactly one chosen ready callback, from synchronous code.

        If nothing is ready, virtual time first jumps to the next timer.
        Returns False, having run nothing, when nothing is ready and no timer
        is scheduled.  While the callback runs the loop is the running loop,
        so coroutines may call ``asyncio.get_running_loop()``.
        """
        self._check_not_running("step")
        self._mode = _STEP
        self._stepped = False
        try:
            self.run_forever()
        finally:
            self._mode = _RUN
        return self._stepped

    def run_until_idle(self, max_steps: int = 100_000) -> int:
        """Step until nothing is ready and no timer is scheduled.

        Returns the number of steps taken.  Raises ``Livelock`` if work remains
        after ``max_steps`` steps.  Tasks blocked forever (awaiting a future
        nobody will set) do not count as work: the loop is then idle.
        """
        self._check_not_running("run_until_idle")
        start = len(self._raw)
        self._mode = _IDLE
        self._max_steps = max_steps
        self._step_limit = start + max_steps
        self._idle = False
        try:
            # A program may call loop.stop(); that ends one run_forever, not
            # the wait for idleness.
            while not self._idle:
                self.run_forever()
        finally:
            self._mode = _RUN
        return len(self._raw) - start

    def shutdown(self, max_steps: int = 10_000) -> None:
        """Cancel every pending task, let them unwind in FIFO order, then close.

        The teardown ``asyncio.run`` does, for a loop left mid-run: by a failed
        assertion, a ``Deadlock``, or Hypothesis abandoning an example from
        inside a draw.  The chooser is dropped first, as it may be the thing
        that failed.  Without this, closing a loop with pending tasks logs
        "Task was destroyed but it is pending!" when they are collected.
        """
        if self.is_closed():
            return
        self._check_not_running("shutdown")
        self.chooser = None
        try:
            for task in asyncio.all_tasks(self):
                task.cancel()
            self.run_until_idle(max_steps)
            self.run_until_complete(self.shutdown_asyncgens())
        finally:
            self.close()

    def _check_not_running(self, method: str) -> None:
        if self.is_running():
            raise RuntimeError(
                f"{method}() drives the loop from synchronous code; it cannot be called "
                f"while the loop is running"
            )

    # --- Hooks: virtual time, no selector -------------------------------------

    def time(self) -> float:
        return self._clock

    def _write_to_self(self) -> None:
        # The stock loop writes to its self-pipe to wake select() when another
        # thread schedules a callback.  This loop never blocks: nothing to wake.
        pass

    def _process_events(self, event_list: list[Any]) -> None:
        # No selector, so no I/O events.  (Never called: _run_once is ours.)
        pass

    def run_in_executor(
        self,
        executor: Executor | None,
        func: Callable[[Unpack[_Ts]], _T],
        *args: *_Ts,
    ) -> asyncio.Future[_T]:
        raise NotImplementedError(
            "ControlledLoop runs no threads: its virtual clock and deadlock detection "
            "assume every callback is scheduled by code running on the loop"
        )

    def close(self) -> None:
        super().close()  # clears _ready (empty here) and _scheduled
        self._task_ready.clear()
        self._plain_ready.clear()
        self._task_ids.clear()

    # --- Hooks: scheduling --------------------------------------------------

    def _call_soon(
        self, callback: Callable[..., object], args: Sequence[Any], context: Context | None
    ) -> events.Handle:
        # As BaseEventLoop._call_soon (identical in 3.11-3.13), but the handle
        # goes into our ready structure instead of the deque.
        handle = events.Handle(callback, args, self, context)
        if self._debug:
            traceback = cast(_HandleInternals, handle)._source_traceback
            if traceback:
                del traceback[-1]
        self._enqueue(handle, callback)
        return handle

    def _add_callback(self, handle: events.Handle) -> None:
        # BaseEventLoop._add_callback: used by I/O event processing only.
        if not handle._cancelled:
            self._enqueue(handle, cast(_HandleInternals, handle)._callback)

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> events.TimerHandle:
        # As BaseEventLoop.call_at (3.13), with a timer that breaks ties FIFO.
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        order = self._timer_order
        self._timer_order = order + 1
        timer = _FifoTimerHandle(order, when, callback, args, self, context)
        traceback = cast(_HandleInternals, timer)._source_traceback
        if traceback:
            del traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def _enqueue(self, handle: events.Handle, callback: Callable[..., object]) -> None:
        """Make ``handle`` ready: the stock loop's ``_ready.append(handle)``."""
        seq = self._seq
        self._seq = seq + 1
        task = owning_task(callback)
        if task is None:
            self._plain_ready.append((seq, handle, None, callback, None))
            return
        known = self._task_ids.get(id(task))
        task_id = known[1] if known is not None else self._new_task_id(task)
        entry: _Entry = (seq, handle, task, callback, task_id)
        if self._task_ready.setdefault(task, entry) is not entry:
            raise RuntimeError(
                f"{task!r} has two ready steps; ControlledLoop relies on asyncio's "
                f"invariant that a task has at most one"
            )

    def _new_task_id(self, task: asyncio.Task[Any]) -> int:
        """Number a task the first time it becomes ready: 1, 2, 3, ... per loop.

        Task names need not be unique (3.13.0 names every task made by a task
        factory "None"), so choosers and charts tell tasks apart by this number.
        The map holds each task weakly, by id: the entry leaves with the task
        (the weak reference's callback runs when the task is freed, before its
        id can be reused), so the loop never decides when a task is freed.
        """
        task_ids = self._task_ids
        key = id(task)

        def forget(ref: weakref.ref[asyncio.Task[Any]]) -> None:
            entry = task_ids.get(key)
            if entry is not None and entry[0] is ref:
                del task_ids[key]

        self._tasks_numbered += 1
        task_ids[key] = (weakref.ref(task, forget), self._tasks_numbered)
        return self._tasks_numbered

    # --- The step ----------------------------------------------------------------
    #
    # The stock _run_once is one *iteration*: move the due timers to the ready
    # queue, then run every handle that was ready when the iteration began
    # (handles they schedule wait for the next iteration).  Our _run_once is
    # one *step*, but iterations are kept, because they decide when due timers
    # join the ready queue: a new iteration begins only when every handle of
    # the previous one has run (``_iteration_end``).  With FIFO choices this is
    # exactly the stock loop's order, timers included.

    def _run_once(self) -> None:
        mode = self._mode
        if mode == _STEP:
            self._stepped = self._step()
            # Hand control back to step()'s caller: run_forever stops after this.
            self._stopping = True
            return
        if self._stopping:
            # stop() was called before this call: the stock loop runs one more
            # iteration without waiting for timers, then run_forever returns.
            self._finish_iteration()
            return
        if mode == _IDLE and len(self._raw) >= self._step_limit and self._has_work():
            raise Livelock(self._livelock_message())
        if not self._step():
            if mode == _IDLE:
                self._idle = True
                self._stopping = True
                return
            raise self._deadlock()
        if self._stopping:
            # The step called stop() (run_until_complete's done callback does):
            # the stock loop finishes the iteration before run_forever returns.
            self._finish_iteration()

    def _step(self) -> bool:
        """Run one step, jumping time if need be; False if there is nothing to run."""
        head = self._head()
        if head is None or head[0] >= self._iteration_end:
            self._begin_iteration(advance=True)
            head = self._head()
            if head is None:
                return False
        self._run_step(head)
        return True

    def _finish_iteration(self) -> None:
        """Run what is left of the current iteration, or one whole new one."""
        head = self._head()
        if head is None or head[0] >= self._iteration_end:
            self._begin_iteration(advance=False)
            head = self._head()
        while head is not None and head[0] < self._iteration_end:
            self._run_step(head)
            head = self._head()

    def _begin_iteration(self, advance: bool) -> None:
        """The first half of the stock _run_once: timers, and what counts as ready."""
        scheduled = self._scheduled
        # Sweep cancelled timers, exactly as the stock loop does.
        count = len(scheduled)
        if (
            count > _MIN_SCHEDULED_TIMER_HANDLES
            and self._timer_cancelled_count / count > _MIN_CANCELLED_TIMER_HANDLES_FRACTION
        ):
            live = []
            for timer in scheduled:
                if timer._cancelled:
                    timer._scheduled = False
                else:
                    live.append(timer)
            heapq.heapify(live)
            self._scheduled = scheduled = live
            self._timer_cancelled_count = 0
        else:
            while scheduled and scheduled[0]._cancelled:
                self._timer_cancelled_count -= 1
                heapq.heappop(scheduled)._scheduled = False

        if advance and scheduled and self._head() is None:
            # Nothing is ready: the stock loop would sleep in select() until the
            # first timer is due.  Virtual time jumps there instead.
            self._clock = max(self._clock, scheduled[0]._when)

        # Due timers become ready, in due-time order, after everything already
        # ready (the stock loop appends them to _ready at this point).
        end = self._clock + self._clock_resolution
        while scheduled and scheduled[0]._when < end:
            timer = heapq.heappop(scheduled)
            timer._scheduled = False
            self._enqueue(timer, timer._callback)
        self._iteration_end = self._seq

    def _head(self) -> _Entry | None:
        """The stock loop's next handle: the live entry with the smallest seq."""
        plain = self._plain_ready
        # The stock loop drops a cancelled handle when it reaches it; dropping it
        # earlier is unobservable (only the oldest plain callback is a candidate).
        while plain and plain[0][1]._cancelled:
            plain.popleft()
        first: _Entry | None = None
        task_ready = self._task_ready
        while task_ready:
            first = next(iter(task_ready.values()))
            if not first[1]._cancelled:
                break
            # Tasks drop the handle call_soon returns, so nothing cancels a task
            # step but code that reaches into the loop; handle it anyway.
            del task_ready[cast("asyncio.Task[Any]", first[2])]
            first = None
        if plain and (first is None or plain[0][0] < first[0]):
            return plain[0]
        return first

    def _run_step(self, head: _Entry) -> None:
        """Offer the candidates to the chooser, run the chosen one, record it.

        Callers have called _head() first, so ``head`` is the stock loop's
        choice and the oldest plain callback, if any, is live.
        """
        task_ready = self._task_ready
        plain = self._plain_ready
        # Every task with a ready step, plus the oldest plain callback.
        count = len(task_ready) + (1 if plain else 0)
        chooser = self.chooser
        if chooser is None:
            # FIFO without a chooser object: the stock loop's choice.
            entry = head
            index = 0
        else:
            candidates = _CandidateView(head, task_ready, plain[0] if plain else None, count)
            index = chooser.choose(candidates)
            if not 0 <= index < count:
                raise ValueError(f"{chooser!r} chose candidate {index} of {count}")
            entry = candidates.entry(index)
        _, handle, task, callback, task_id = entry
        if task is None:
            # Only the oldest plain callback is ever a candidate.
            plain.popleft()
            label = _callback_label(callback)
            name = None
        else:
            del task_ready[task]
            label = name = task.get_name()
        self._raw.append((index, count, label, self._clock, name, task_id))
        if handle._cancelled:
            # Only a task step other than the head can be cancelled here, and
            # only by code reaching into the loop (see _head): drop it unrun, as
            # the stock loop drops a cancelled handle.
            return
        if self._debug:
            self._current_handle = handle
            try:
                handle._run()
            finally:
                self._current_handle = None
        else:
            handle._run()

    # --- Diagnostics ----------------------------------------------------------------

    def _has_work(self) -> bool:
        return self._head() is not None or any(not t._cancelled for t in self._scheduled)

    def _deadlock(self) -> Deadlock:
        pending = [task for task in asyncio.all_tasks(self) if not task.done()]
        if not pending:
            return Deadlock(
                "deadlock: nothing is ready and no timer is scheduled, so the loop would "
                "wait forever (no task is pending: a future nobody completes?)",
                pending,
            )
        described = "; ".join(_describe_task(task) for task in pending)
        return Deadlock(
            f"deadlock: nothing is ready and no timer is scheduled, so the loop would "
            f"wait forever; {len(pending)} pending task(s): {described}",
            pending,
        )

    def _livelock_message(self) -> str:
        recent = ", ".join(record[2] for record in self._raw[-8:])
        return (
            f"livelock: run_until_idle took its max_steps={self._max_steps} steps and "
            f"work remains; the last steps ran: {recent}"
        )


def _describe_task(task: asyncio.Task[Any]) -> str:
    where = ""
    frames = task.get_stack()
    if frames:
        # The innermost suspended coroutine: where the task is waiting.
        frame = frames[-1]
        where = (
            f" at {frame.f_code.co_name} "
            f"({os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno})"
        )
    # Both Task implementations keep the future they await in _fut_waiter.
    waiter = getattr(task, "_fut_waiter", None)
    awaiting = f", awaiting {waiter!r}" if waiter is not None else ""
    return f"{task.get_name()}{where}{awaiting}"
