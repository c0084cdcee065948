"""What a scheduler's own metrics (`scheduler.snapshot()`) must read, as a function of
the scheduler's state: the scheduler's counterpart of `workerjob.model.progress.metrics`.

A scheduler counts the jobs submitted to it, and only their jobs' instruments (the
continuations' are totals: a `Continuations` does not know its job's scheduler):

- `jobs_queued`: the queue's length (a job leaves it to start, or cancelled);
- `jobs_launched`, `queue_wait.count`: the jobs started (each start records its wait);
- `jobs_running`: started and their run not ended. The job's own end counts, not the
  scheduler's hearing of it: `ended` are the runs that ended and that the scheduler has
  not yet taken into account (still in `running`, see `oracle.View`);
- `run_duration.count`: the started jobs whose run ended;
- `jobs_completed[t]`: each job whose run ended, under the type `kinds` gives it, and
  every job completed without running (`cancelled`) under CANCELLED;
- `attempts`: one call of `run()` per started job (made at the job's task's first
  step, so exact once the loop is idle);
- `timeouts` and the continuations' instruments: 0.

The kind of an ended run is the classification's (`model.classify`): CANCELLED if its
token was cancelled before the run ended, else FAILED if it raised, else NORMAL.
"""

from __future__ import annotations

from collections.abc import Mapping

from workerjob.model.classify import completion_type
from workerjob.model.progress.metrics import GAUGES, Metrics
from workerjob.model.scheduler.state import Sched
from workerjob.model.vocabulary import CompletionType, TaskError

_KINDS = tuple(CompletionType)


def run_kind(token_cancelled: bool, raised: str | None) -> CompletionType:
    """The type a job completes with when its run ends: `raised` is the class name of
    what run() raised (None when it returned)."""
    return completion_type(token_cancelled, None if raised is None else TaskError(raised, ""))


def metrics_of(s: Sched, ended: frozenset[int] = frozenset(),
               kinds: Mapping[int, CompletionType] | None = None) -> Metrics:
    """The scheduler's instruments at state `s`, `ended` the runs ended that it has not
    heard of, `kinds` the completion type of every job whose run ended."""
    kinds = {} if kinds is None else kinds
    running = [e.job for e in s.running if e.job not in ended]
    finished = s.started.difference(running)
    by_kind = [0, 0, 0]
    by_kind[_KINDS.index(CompletionType.CANCELLED)] += len(s.cancelled)
    for job in finished:
        by_kind[_KINDS.index(kinds.get(job, CompletionType.NORMAL))] += 1
    return Metrics(
        jobs_launched=len(s.started),
        jobs_completed=(by_kind[0], by_kind[1], by_kind[2]),
        attempts=len(s.started),
        jobs_running=len(running),
        jobs_queued=len(s.queue),
        run_duration_count=len(finished),
        queue_wait_count=len(s.started),
    )


def gauges(m: Metrics) -> tuple[int, ...]:
    """The gauges of `m`, in `GAUGES` order."""
    return tuple(getattr(m, name) for name in GAUGES)
