"""JobScheduler: launches submitted WorkerJobs by priority, within a concurrency limit and
resource capacities (ENHANCEMENTS.md, "Priority and resource limits: the scheduler").

No polling: the scheduler acts when a job is submitted and when a job's task finishes
(a done-callback on `task_handle`), and nowhere else. Every operation does its reading
and writing in one synchronous stretch, as `continuations.py` does, so on the event
loop each is atomic: a job's end and a submission never interleave half-way.

The queue. "Start the first job in queue order among those that fit" over one heap
would be a scan of the whole queue whenever its head does not fit. Jobs are therefore
grouped by their needs (their *class*: the same needs, the same fit): one heap per
class, ordered by (-priority, submission number). Every job of a class fits or none
does, so the first job that fits is the best head among the classes that fit now.

Cost, n the jobs queued, k the distinct needs among them, r the resources:
- `submit`: O(log n + k·r) (a push, then one dispatch);
- a job's end: O(log n + k·r) per job it starts, O(k·r) when it starts none;
- `cancel()` of a queued job: O(1) (the entry is marked and dropped when it surfaces;
  dead entries are swept in O(n) once they outnumber the live ones, O(1) amortized);
- `aclose()`: O(n log n) (the queued jobs are completed in queue order).
With jobs that all have the same needs (or none), k = 1: O(log n). Every distinct set
of needs costs one heap head to look at per dispatch; the benchmark
(benchmarks/bench_scheduler.py) measures both.

What the scheduler does not give: a large job can starve. A job that does not fit never
holds back a smaller one behind it, so a stream of small jobs that overlap can keep a
large one waiting for ever, whatever its priority (proofs_notes/scheduler.md).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final

from . import metrics
from .job import WorkerJob

__all__ = ["JobScheduler"]

Needs = tuple[tuple[str, float], ...]
"""A job's needs, canonical: sorted (resource, amount) pairs, amounts > 0."""

# An admission's states. QUEUED -> STARTED -> ENDED, or QUEUED -> DROPPED (completed
# without running: cancelled while queued, or queued when the scheduler closed).
QUEUED: Final = 0
STARTED: Final = 1
ENDED: Final = 2
DROPPED: Final = 3

_SWEEP_AT_LEAST = 64  # dead entries tolerated in the heaps before a sweep is considered


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return value


def _amounts(what: str, mapping: object) -> dict[str, float]:
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a mapping of resource names to amounts, "
                        f"got {type(mapping).__name__}")
    out: dict[str, float] = {}
    for name, amount in mapping.items():
        if not isinstance(name, str):
            raise TypeError(f"{what}: resource names must be str, got {type(name).__name__}")
        out[name] = _number(f"{what}[{name!r}]", amount)
    return out


class _Admission:
    """One submission: the job, its rank, its needs, and where it is (QUEUED, ...).

    Implements `job.Admission` for the job: `withdraw()` (the job was cancelled) and
    `launched()` (what `wait()` awaits while the job is queued)."""

    __slots__ = ("_waiter", "job", "needs", "scheduler", "state")

    def __init__(self, scheduler: JobScheduler, job: WorkerJob, needs: Needs) -> None:
        self.scheduler = scheduler
        self.job = job
        self.needs = needs
        self.state = QUEUED
        self._waiter: asyncio.Future[asyncio.Task[None] | None] | None = None

    def withdraw(self) -> None:
        if self.state != QUEUED:
            return
        try:
            asyncio.get_running_loop()  # the continuations start as tasks: they need it
        except RuntimeError:
            # Cancelled from outside the loop: the token is cancelled, so the scheduler
            # completes the job when it would start (changing nothing now).
            return
        self.scheduler._drop(self)

    async def launched(self) -> asyncio.Task[None] | None:
        if self.state == QUEUED:
            if self._waiter is None:
                self._waiter = asyncio.get_running_loop().create_future()
            # shield: a cancelled waiter (wait() cancelled) must not cancel the future
            # that other waiters, and the scheduler, share.
            return await asyncio.shield(self._waiter)
        return self.job.task_handle

    def _settled(self, task: asyncio.Task[None] | None) -> None:
        """Wake whoever waits in launched(): the job started (task) or never will (None)."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(task)

    def _ended(self, _task: asyncio.Task[None]) -> None:
        """Done-callback of the job's task: its room is free."""
        self.scheduler._release(self)


_Entry = tuple[int, int, _Admission]  # (-priority, submission number, admission)


class JobScheduler:
    """Launches submitted jobs: at most `max_concurrent` at once, within `capacity`
    (resource name -> amount), the first in queue order (highest priority, then earliest
    submitted) among the queued jobs that fit.

    `submit()` queues; `job.cancel()` on a queued job removes it; `await aclose()` (or
    leaving `async with`) refuses new jobs, cancels the queued ones and waits for the
    running ones. A job that does not fit never blocks a smaller one: a large job can
    starve.
    """

    __slots__ = ("__weakref__", "_capacity", "_classes", "_closing", "_dead", "_idle", "_max",
                 "_metrics", "_queued", "_running", "_seq", "_used")

    def __init__(self, max_concurrent: int, *, capacity: Mapping[str, float] | None = None
                 ) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
            raise TypeError(f"max_concurrent must be an int, got {type(max_concurrent).__name__}")
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self._max = max_concurrent
        self._capacity = _amounts("capacity", {} if capacity is None else capacity)
        self._used: dict[str, float] = dict.fromkeys(self._capacity, 0)
        self._classes: dict[Needs, list[_Entry]] = {}  # needs -> heap of queued entries
        self._seq = itertools.count()
        self._queued = 0  # live queued jobs (the heaps also hold dead entries)
        self._dead = 0  # dead entries still in the heaps
        self._running = 0
        self._closing = False
        self._idle: asyncio.Event | None = None  # set when closing and nothing runs
        self._metrics = metrics.scope(self)  # this scheduler's jobs; the totals read it too

    # --- what users call ------------------------------------------------------------------

    @property
    def max_concurrent(self) -> int:
        return self._max

    @property
    def capacity(self) -> dict[str, float]:
        return dict(self._capacity)

    @property
    def queued(self) -> int:
        """Jobs waiting to start."""
        return self._queued

    @property
    def running(self) -> int:
        """Jobs started whose task has not finished."""
        return self._running

    def snapshot(self) -> dict[str, Any]:
        """This scheduler's metrics as plain data (ENHANCEMENTS.md, "Metrics"): the keys of
        `workerjob.impl.snapshot()`, counting only the jobs submitted here."""
        return self._metrics.snapshot()

    def in_use(self, resource: str) -> float:
        """How much of `resource` the running jobs hold."""
        return self._used.get(resource, 0)

    def submit(self, job: WorkerJob, *, priority: int = 0,
               needs: Mapping[str, float] | None = None) -> None:
        """Queue an unlaunched job; start it now if it fits. A plain method.

        TypeError for a job that is not a WorkerJob, a priority that is not an int, needs
        that are not a mapping of names to numbers; ValueError for needs over a capacity
        or naming a resource the scheduler lacks; RuntimeError for a job already launched
        or submitted, a scheduler that is closing, or no running event loop. A refused
        submission changes nothing.
        """
        if not isinstance(job, WorkerJob):
            raise TypeError(f"job must be a WorkerJob, got {type(job).__name__}")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"priority must be an int, got {type(priority).__name__}")
        canonical = self._check_needs({} if needs is None else needs)
        if job.task_handle is not None:
            raise RuntimeError("job already launched: submit an unlaunched WorkerJob")
        if job._admission is not None:
            raise RuntimeError("job already submitted to a JobScheduler")
        if self._closing:
            raise RuntimeError("JobScheduler is closing: it accepts no new jobs")
        loop = asyncio.get_running_loop()  # RuntimeError when there is none: the job must launch
        # One synchronous stretch from here: queued (and counted so), then dispatched.
        admission = _Admission(self, job, canonical)
        job._admission = admission
        job._meter = metrics.job_queued(self._metrics, loop)
        heap = self._classes.setdefault(canonical, [])
        heapq.heappush(heap, (-priority, next(self._seq), admission))
        self._queued += 1
        self._dispatch()

    async def aclose(self) -> None:
        """Refuse new jobs, cancel the queued ones (in queue order), wait for the running
        ones. Idempotent; a cancelled aclose() leaves the scheduler closing."""
        if not self._closing:
            self._closing = True  # from here on nothing is accepted or started
            for entry in sorted(e for heap in self._classes.values() for e in heap):
                if entry[2].state == QUEUED:
                    self._drop(entry[2])
            self._classes.clear()
            self._dead = 0
        if self._running:
            if self._idle is None:
                self._idle = asyncio.Event()
            await self._idle.wait()

    async def __aenter__(self) -> JobScheduler:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closing" if self._closing else "open"
        return (f"<JobScheduler {state} running={self._running}/{self._max} "
                f"queued={self._queued}>")

    # --- inside -----------------------------------------------------------------------------

    def _check_needs(self, needs: object) -> Needs:
        amounts = _amounts("needs", needs)
        for name, amount in amounts.items():
            if amount == 0:
                continue
            if name not in self._capacity:
                raise ValueError(f"needs[{name!r}]: the scheduler has no resource {name!r} "
                                 f"(it has: {', '.join(sorted(self._capacity)) or 'none'})")
            if amount > self._capacity[name]:
                raise ValueError(f"needs[{name!r}] = {amount} exceeds its capacity "
                                 f"{self._capacity[name]}")
        return tuple(sorted((n, a) for n, a in amounts.items() if a != 0))

    def _fits(self, needs: Needs) -> bool:
        used, capacity = self._used, self._capacity
        return all(used[r] + n <= capacity[r] for r, n in needs)

    def _dispatch(self) -> None:
        """Start queued jobs while one fits, each time the first in queue order that fits.

        Synchronous: nothing else runs on the loop between two starts, so the room
        counted here is the room there is."""
        while not self._closing and self._queued and self._running < self._max:
            best: _Entry | None = None
            for needs, heap in list(self._classes.items()):
                while heap and heap[0][2].state != QUEUED:  # drop dead entries as they surface
                    heapq.heappop(heap)
                    self._dead -= 1
                if not heap:
                    del self._classes[needs]
                elif (best is None or heap[0] < best) and self._fits(needs):
                    best = heap[0]
            if best is None:
                return
            admission = best[2]
            heapq.heappop(self._classes[admission.needs])
            if self._cancelled_before_start(admission):
                self._queued -= 1
                self._complete_unstarted(admission)
                continue
            self._start(admission)

    def _cancelled_before_start(self, admission: _Admission) -> bool:
        """Its token was cancelled other than through job.cancel() while queued (the
        token's own cancel(), or job.cancel() before the submission): seen now, as the
        job would start, and it is completed instead."""
        return admission.job.cancellation_token.is_cancelled()

    def _start(self, admission: _Admission) -> None:
        self._queued -= 1
        self._running += 1
        for r, n in admission.needs:
            self._used[r] += n
        admission.state = STARTED
        job = admission.job
        job._admission = None  # before launch(): the scheduler's launch is not refused
        job.launch()  # counts it launched, out of the queue, and its queue wait (job._meter)
        task = job.task_handle
        assert task is not None
        task.add_done_callback(admission._ended)
        admission._settled(task)

    def _release(self, admission: _Admission) -> None:
        """A started job's task finished: give its room back (once), then dispatch."""
        if admission.state != STARTED:
            return
        admission.state = ENDED
        self._running -= 1
        for r, n in admission.needs:
            self._used[r] -= n
        if self._closing:
            if not self._running and self._idle is not None:
                self._idle.set()
            return
        self._dispatch()

    def _drop(self, admission: _Admission) -> None:
        """Take a queued job out of the queue and complete it cancelled, without running.
        Its heap entry stays, dead, until it surfaces or a sweep removes it."""
        self._queued -= 1
        self._dead += 1
        self._complete_unstarted(admission)
        if self._dead > _SWEEP_AT_LEAST and self._dead > self._queued:
            self._sweep()

    def _complete_unstarted(self, admission: _Admission) -> None:
        admission.state = DROPPED
        job = admission.job
        # The token is cancelled (it was, or aclose() cancels it now), so the job completes
        # Done(CANCELLED, None), as job.cancel() before a run would; its continuations
        # start, and a waiter gets CancelledError.
        job.cancellation_token.cancel()
        job.worker_job_continuations._settle(None, job.worker, job.cancellation_token)
        # The same instant as Done: out of the queue, completed cancelled, never launched.
        metrics.job_dequeued(job._meter, cancelled=True)
        admission._settled(None)

    def _sweep(self) -> None:
        """Rebuild the heaps without their dead entries: O(n), once per n cancels."""
        classes: dict[Needs, list[_Entry]] = {}
        for needs, heap in self._classes.items():
            live = [e for e in heap if e[2].state == QUEUED]
            if live:
                heapq.heapify(live)
                classes[needs] = live
        self._classes = classes
        self._dead = 0
