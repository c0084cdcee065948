"""The scheduler's state: immutable and hashable, so sets of states are cheap."""

from __future__ import annotations

from dataclasses import dataclass

Amounts = tuple[tuple[str, int], ...]
"""Resource amounts as a sorted tuple of (name, amount): a frozen, hashable mapping."""


def amounts(mapping: dict[str, int] | Amounts = ()) -> Amounts:
    """The canonical (sorted, zero amounts dropped) form of a mapping of amounts."""
    items = mapping.items() if isinstance(mapping, dict) else mapping
    return tuple(sorted((name, n) for name, n in items if n != 0))


@dataclass(frozen=True, slots=True)
class Config:
    """What the scheduler was built with: `JobScheduler(max_concurrent, capacity=...)`."""

    max_concurrent: int
    capacity: Amounts = ()

    def of(self, resource: str) -> int:
        return dict(self.capacity).get(resource, 0)


@dataclass(frozen=True, slots=True)
class Entry:
    """A submitted job: its id, priority, needs, and its rank among submissions (`seq`)."""

    job: int
    priority: int
    seq: int
    needs: Amounts = ()

    @property
    def key(self) -> tuple[int, int]:
        """Queue order: highest priority first, then earliest submitted."""
        return (-self.priority, self.seq)

    def __str__(self) -> str:
        needs = "".join(f", {r}={n}" for r, n in self.needs)
        return f"job {self.job} (priority {self.priority}, #{self.seq}{needs})"


@dataclass(frozen=True, slots=True)
class Sched:
    """The scheduler at one instant.

    - `queue`: the queued jobs, in queue order (`Entry.key`);
    - `running`: the jobs started whose end the scheduler has not yet taken into account;
    - `started`: every job ever started (a job starts at most once);
    - `completed`: every job that completed: ended after running, or cancelled while
      queued (a job completes exactly once);
    - `cancelled`: the jobs completed without running: cancelled while queued, or
      reaching the head of the queue with their token already cancelled (a subset of
      `completed`);
    - `tokens`: the jobs whose token was cancelled before they started (`job.cancel()`
      while queued, or before the submission); a started job's token is not the
      scheduler's business;
    - `closing`: `aclose()` was called: nothing is accepted or started any more.
    """

    config: Config
    queue: tuple[Entry, ...] = ()
    running: tuple[Entry, ...] = ()
    started: frozenset[int] = frozenset()
    completed: frozenset[int] = frozenset()
    cancelled: frozenset[int] = frozenset()
    tokens: frozenset[int] = frozenset()
    closing: bool = False
    next_seq: int = 0

    def used(self, resource: str) -> int:
        """How much of `resource` the running jobs hold."""
        return sum(n for e in self.running for r, n in e.needs if r == resource)

    def submitted(self, job: int) -> bool:
        return job in self.started or job in self.completed or any(
            e.job == job for e in self.queue
        )


def initial(max_concurrent: int, capacity: dict[str, int] | Amounts = ()) -> Sched:
    """A new scheduler, nothing submitted."""
    return Sched(Config(max_concurrent, amounts(capacity)))
