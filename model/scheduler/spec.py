"""The scheduler's transitions, as pure functions over `Sched`.

Each operation is deterministic: it returns the next state and what it did (the jobs it
started, in the order it started them; the jobs it completed as cancelled). `dispatch`
is the one rule every operation that can free room or add work ends with: start queued
jobs while one fits, always the first in queue order among those that fit now.
"""

from __future__ import annotations

from dataclasses import replace

from workerjob.model.scheduler.state import Amounts, Entry, Sched, amounts

OK = "ok"
VALUE_ERROR = "ValueError"
RUNTIME_ERROR = "RuntimeError"


def fits(s: Sched, e: Entry) -> bool:
    """Starting `e` now keeps the running count and every resource within bounds."""
    if len(s.running) >= s.config.max_concurrent:
        return False
    return all(s.used(r) + n <= s.config.of(r) for r, n in e.needs)


def first_that_fits(s: Sched) -> Entry | None:
    """The first queued job, in queue order, that fits now (None if none does)."""
    return next((e for e in s.queue if fits(s, e)), None)


def start(s: Sched, e: Entry) -> Sched:
    """`e` leaves the queue and runs."""
    return replace(
        s,
        queue=tuple(q for q in s.queue if q.job != e.job),
        running=(*s.running, e),
        started=s.started | {e.job},
    )


def drop(s: Sched, e: Entry) -> Sched:
    """`e` leaves the queue and completes without running (cancelled)."""
    return replace(
        s,
        queue=tuple(q for q in s.queue if q.job != e.job),
        completed=s.completed | {e.job},
        cancelled=s.cancelled | {e.job},
    )


def skip_cancelled(s: Sched) -> Sched:
    """A job whose token was cancelled before it could leave the queue is completed,
    not started, when it would start (ENHANCEMENTS: "at the latest when it would start")."""
    while not s.closing and (e := first_that_fits(s)) is not None and e.job in s.tokens:
        s = drop(s, e)
    return s


def dispatch(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    """Start queued jobs while one fits, each time the first in queue order that fits
    (one whose token is cancelled is completed instead, and the next considered)."""
    started: list[int] = []
    if s.closing:
        return s, ()
    while (e := first_that_fits(s := skip_cancelled(s))) is not None:
        s = start(s, e)
        started.append(e.job)
    return s, tuple(started)


def check_submit(s: Sched, job: int, needs: Amounts) -> str:
    """`submit`'s refusals, in the order they are checked (proofs_notes/scheduler.md)."""
    if any(n > s.config.of(r) for r, n in needs):
        return VALUE_ERROR  # more than a capacity, or a resource it lacks (capacity 0)
    if s.submitted(job) or s.closing:
        return RUNTIME_ERROR
    return OK


def submit(
    s: Sched, job: int, priority: int = 0, needs: dict[str, int] | Amounts = ()
) -> tuple[Sched, str, tuple[int, ...]]:
    """Queue `job`, then dispatch. Returns (next state, "ok" or the error, jobs started).
    A refused submission changes nothing."""
    s, verdict = enqueue(s, job, priority, needs)
    if verdict != OK:
        return s, verdict, ()
    s, started = dispatch(s)
    return s, OK, started


def enqueue(
    s: Sched, job: int, priority: int = 0, needs: dict[str, int] | Amounts = ()
) -> tuple[Sched, str]:
    """`submit`'s own effect, before it dispatches: the job joins the queue in order."""
    canonical = amounts(needs)
    verdict = check_submit(s, job, canonical)
    if verdict != OK:
        return s, verdict
    entry = Entry(job, priority, s.next_seq, canonical)
    queue = tuple(sorted((*s.queue, entry), key=lambda e: e.key))
    return replace(s, queue=queue, next_seq=s.next_seq + 1), OK


def end(s: Sched, job: int) -> tuple[Sched, tuple[int, ...]]:
    """The scheduler takes a running job's end into account: its room is free, it has
    completed; then dispatch. Only defined for a running job."""
    return dispatch(release(s, job))


def release(s: Sched, job: int) -> Sched:
    """`end`'s own effect, before it dispatches: the job's room is free, it completed."""
    assert any(e.job == job for e in s.running), f"job {job} is not running"
    return replace(
        s,
        running=tuple(e for e in s.running if e.job != job),
        completed=s.completed | {job},
    )


def cancel(s: Sched, job: int) -> tuple[Sched, bool]:
    """`job.cancel()`: the job's token is cancelled; a queued job leaves the queue and
    completes cancelled at once (True). For any other job the scheduler does nothing now
    (False): a running job's room is free when its run() ends, and a job not yet
    submitted is completed, not started, when it would start. No dispatch: a job leaving
    the queue frees no room."""
    if job in s.started or job in s.completed:
        return s, False  # its token no longer matters to the scheduler
    s = replace(s, tokens=s.tokens | {job})
    e = next((q for q in s.queue if q.job == job), None)
    if e is None:
        return s, False
    return drop(s, e), True


def close(s: Sched) -> tuple[Sched, tuple[int, ...]]:
    """`aclose()` takes effect: refuse new jobs, cancel the queued ones (returned, in
    queue order). It returns once `running` is empty."""
    gone = tuple(e.job for e in s.queue)
    return replace(
        s,
        queue=(),
        completed=s.completed | set(gone),
        cancelled=s.cancelled | set(gone),
        tokens=s.tokens | set(gone),
        closing=True,
    ), gone
