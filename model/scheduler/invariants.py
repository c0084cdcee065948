"""Named invariants of the scheduler, each a pure predicate with one sentence.

State invariants hold in every reachable state; step invariants hold for every
transition, given as a `Step` (the state before, the state once the operation's own
effect is done and before it dispatches, the jobs it started in order, the state
after). `proofs_notes/scheduler.md` proves each under the same name, and says why the
one property the scheduler does not give, `no-starvation`, fails;
`tests/model/test_scheduler_model.py` checks them on every state reachable within a
bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from workerjob.model.scheduler.state import Entry, Sched


@dataclass(frozen=True)
class Invariant:
    name: str
    sentence: str
    holds: Callable[[Sched], bool]


@dataclass(frozen=True, slots=True)
class Step:
    """One operation: `before` -> (its own effect) `mid` -> (dispatch) `after`."""

    label: str
    before: Sched
    mid: Sched
    started: tuple[int, ...]
    after: Sched


@dataclass(frozen=True)
class StepInvariant:
    name: str
    sentence: str
    holds: Callable[[Step], bool]


def _room_for(s: Sched, e: Entry) -> bool:
    # Stated without `spec.fits`, so that the invariants do not merely restate the rule.
    if len(s.running) + 1 > s.config.max_concurrent:
        return False
    return all(s.used(r) + n <= dict(s.config.capacity).get(r, 0) for r, n in e.needs)


def max_concurrent(s: Sched) -> bool:
    return len(s.running) <= s.config.max_concurrent


def capacity(s: Sched) -> bool:
    names = {r for e in s.running for r, _ in e.needs} | {r for r, _ in s.config.capacity}
    return all(s.used(r) <= dict(s.config.capacity).get(r, 0) for r in names)


def work_conserving(s: Sched) -> bool:
    return not any(_room_for(s, e) for e in s.queue)


def closed_queue_empty(s: Sched) -> bool:
    return not s.closing or not s.queue


def queue_ordered(s: Sched) -> bool:
    keys = [e.key for e in s.queue]
    return keys == sorted(keys) and len(set(keys)) == len(keys)


def accounted(s: Sched) -> bool:
    queued = {e.job for e in s.queue}
    running = {e.job for e in s.running}
    return (
        not queued & (s.started | s.completed)
        and running <= s.started
        and not running & s.completed
        and s.completed == (s.started - running) | s.cancelled
        and not s.cancelled & s.started
        and len(running) == len(s.running)
        and len(queued) == len(s.queue)
    )


STATE_INVARIANTS = (
    Invariant("max-concurrent", "At most max_concurrent jobs run at once.", max_concurrent),
    Invariant("capacity", "For every resource, the needs of the running jobs sum to at most "
              "its capacity.", capacity),
    Invariant("no-head-of-line-blocking", "Once an operation has dispatched, no queued job "
              "fits: a job that does not fit never holds back one that does.", work_conserving),
    Invariant("closed-queue-empty", "Once closing, nothing is queued.", closed_queue_empty),
    Invariant("queue-ordered", "The queue is in order: highest priority first, then earliest "
              "submitted, no two jobs with the same rank.", queue_ordered),
    Invariant("accounted", "Every submitted job is in exactly one place: queued, running, or "
              "completed (ran, or cancelled while queued and never started).", accounted),
)


def right_job_next(step: Step) -> bool:
    s = step.mid
    for job in step.started:
        e = next((q for q in s.queue if q.job == job), None)
        if e is None or not _room_for(s, e):
            return False
        if any(q.key < e.key and _room_for(s, q) and q.job not in s.tokens for q in s.queue):
            return False  # a job ahead of it (priority, then FIFO) fitted and was passed over
        s = replace(s, queue=tuple(q for q in s.queue if q.job != job),
                    running=(*s.running, e), started=s.started | {job})
    return True


def fifo_among_equals(step: Step) -> bool:
    """Implied by right-job-next; stated on its own because it is the part a heap keyed
    on the priority alone gets wrong."""
    s = step.mid
    for job in step.started:
        e = next(q for q in s.queue if q.job == job)
        if any(q.priority == e.priority and q.seq < e.seq and _room_for(s, q)
               and q.job not in s.tokens for q in s.queue):
            return False
        s = replace(s, queue=tuple(q for q in s.queue if q.job != job),
                    running=(*s.running, e))
    return True


def cancelled_cleanly(step: Step) -> bool:
    new = step.after.cancelled - step.before.cancelled
    was_queued = {e.job for e in step.mid.queue} | {e.job for e in step.before.queue}
    return (
        new <= was_queued
        and new <= step.after.tokens  # the scheduler completes without running only
        and not new & step.after.started  # ... a job whose token is cancelled
        and not new & {e.job for e in step.after.queue}
        and not set(step.started) & step.mid.tokens  # a cancelled job never starts
        and step.before.cancelled <= step.after.cancelled
    )


def completed_once(step: Step) -> bool:
    b, a = step.before, step.after
    newly = a.completed - b.completed
    came_from = {e.job for e in b.queue} | {e.job for e in step.mid.queue} | {
        e.job for e in b.running}
    return b.completed <= a.completed and newly <= came_from and b.started <= a.started and not (
        set(step.started) & b.started) and len(set(step.started)) == len(step.started)


def closed_starts_nothing(step: Step) -> bool:
    return not step.before.closing or not step.started


STEP_INVARIANTS = (
    StepInvariant("right-job-next", "Each job started is, at the instant it starts, the first "
                  "in queue order (highest priority, then earliest submitted) among those that "
                  "fit (a job whose token is cancelled is passed over: it never starts).",
                  right_job_next),
    StepInvariant("fifo-among-equals", "Among jobs of equal priority that fit, the earliest "
                  "submitted starts first.", fifo_among_equals),
    StepInvariant("cancelled-cleanly", "A job cancelled while queued leaves the queue, "
                  "completes at once and never starts; a job whose token was cancelled "
                  "never starts; the scheduler completes no other job without running it.",
                  cancelled_cleanly),
    StepInvariant("completed-once", "A job completes only from the queue (cancelled) or from "
                  "running (ended), never twice; a job starts at most once.", completed_once),
    StepInvariant("closed-starts-nothing", "Once closing, the scheduler starts no job.",
                  closed_starts_nothing),
)
