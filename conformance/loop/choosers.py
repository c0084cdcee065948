"""Choosers: who decides which ready callback the controlled loop runs next.

The loop (``loop.py``) offers a chooser the *candidates* for one step and runs
the one whose index the chooser returns.  The loop guarantees three things about
the candidates, so a chooser can return any index without breaking asyncio:

- index 0 is always what the stock asyncio loop would run next, so returning 0
  every time *is* the stock schedule (``FifoChooser``);
- a task appears at most once, with its next step, so its steps stay in order;
- plain callbacks (``call_soon``, future callbacks, due timers) appear only
  through the oldest one, so they stay first-in first-out among themselves.

After candidate 0 come the other tasks' next steps, oldest first, then the
oldest plain callback (unless it is candidate 0).

A chooser is consulted once per step, even when there is a single candidate, so
a schedule is one index per step and ``ReplayChooser`` can play it back.
Choosers keep whatever state their strategy needs but record nothing: the loop
records the schedule (``ControlledLoop.schedule``).

Every chooser hands control back to FIFO eventually (Hypothesis after its draw
budget, PCT after its step budget; the random chooser is fair with probability
one), so a program that terminates on the stock loop terminates under every
chooser rather than being starved by a priority scheduler.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import hypothesis.strategies as st

__all__ = [
    "Candidate",
    "Chooser",
    "FifoChooser",
    "HypothesisChooser",
    "PCTChooser",
    "RandomChooser",
    "ReplayChooser",
    "ScheduleDiverged",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ready callback the loop could run next.

    ``task`` is the name of the task whose step this is, and ``task_id`` the
    loop's number for that task (unique within the loop, unlike names), or
    both are None for a plain callback.  ``label`` is what a person reads: the
    task name, or the callback's qualified name.
    """

    label: str
    task: str | None
    task_id: int | None

    @property
    def is_task(self) -> bool:
        return self.task is not None


class Chooser(Protocol):
    """Picks the index of the candidate to run; 0 is the stock loop's choice."""

    def choose(self, candidates: Sequence[Candidate]) -> int: ...


class FifoChooser:
    """The stock loop's schedule: always the oldest ready callback."""

    def choose(self, candidates: Sequence[Candidate]) -> int:
        return 0

    def __repr__(self) -> str:
        return "FifoChooser()"


class RandomChooser:
    """A uniformly random candidate at every step, from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # Bound method looked up once: this runs on every step of the loop.
        self._random = random.Random(seed).random

    def choose(self, candidates: Sequence[Candidate]) -> int:
        n = len(candidates)
        if n < 2:
            return 0
        # int(random() * n) rather than randrange(n): several times cheaper, and
        # its bias (at most n / 2**53) is irrelevant to exploring schedules.
        return int(self._random() * n)

    def __repr__(self) -> str:
        return f"RandomChooser(seed={self.seed})"


class ScheduleDiverged(RuntimeError):
    """A replayed schedule asks for a candidate that is not there.

    The program under replay did not do what it did when the schedule was
    recorded (it is not deterministic, or it is not the same program).
    """


class ReplayChooser:
    """Plays back a recorded schedule: ``[s.index for s in loop.schedule]``.

    After the recording ends it returns 0 (FIFO), so a recording of a prefix
    replays that prefix and then runs as the stock loop would.
    """

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices: tuple[int, ...] = tuple(indices)
        self.position = 0

    def choose(self, candidates: Sequence[Candidate]) -> int:
        position = self.position
        self.position = position + 1
        if position >= len(self.indices):
            return 0
        index = self.indices[position]
        if not 0 <= index < len(candidates):
            labels = ", ".join(c.label for c in candidates)
            raise ScheduleDiverged(
                f"step {position}: the recorded schedule chose candidate {index}, but "
                f"only {len(candidates)} are ready ({labels}); the run has diverged "
                f"from the recorded one"
            )
        return index

    def __repr__(self) -> str:
        return f"ReplayChooser({len(self.indices)} steps, at {self.position})"


class HypothesisChooser:
    """Lets Hypothesis draw the schedule, so it shrinks towards FIFO.

    A choice is drawn only when there are two or more candidates (a draw with
    one possible value would only waste the example's data), as
    ``integers(0, n - 1)``, which Hypothesis shrinks towards 0: the stock
    loop's choice.  Hypothesis limits how much data one example may draw, so
    after ``max_draws`` draws the chooser stops drawing and returns 0; the
    rest of the run is the stock schedule.
    """

    def __init__(self, data: st.DataObject, max_draws: int = 200) -> None:
        if max_draws < 0:
            raise ValueError(f"max_draws must be >= 0, not {max_draws}")
        self._data = data
        self.max_draws = max_draws
        self.draws = 0
        self._strategies: dict[int, st.SearchStrategy[int]] = {}

    def choose(self, candidates: Sequence[Candidate]) -> int:
        n = len(candidates)
        if n < 2 or self.draws >= self.max_draws:
            return 0
        strategy = self._strategies.get(n)
        if strategy is None:
            strategy = self._strategies[n] = st.integers(0, n - 1)
        self.draws += 1
        index: int = self._data.draw(strategy, label=f"schedule choice {self.draws} of {n}")
        return index

    def __repr__(self) -> str:
        return f"HypothesisChooser(draws={self.draws}, max_draws={self.max_draws})"


class PCTChooser:
    """Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
    Nagarakatte: "A Randomized Scheduler with Probabilistic Guarantees of
    Finding Bugs", ASPLOS 2010).

    Every task (and the plain callbacks, as one more thread) gets a random
    priority above ``depth - 1`` when first seen; each step runs the
    highest-priority candidate.  At ``depth - 1`` change points, drawn
    uniformly from the steps ``1..expected_steps``, the thread about to run
    drops to priority ``depth - i`` (below every initial priority) and the
    step goes to the next highest.  For a
    program of ``n`` threads and at most ``k`` steps, any bug of depth ``d``
    (needing ``d`` ordering constraints) is found by one run with probability
    at least ``1 / (n * k ** (d - 1))``.

    After ``expected_steps`` steps the bound no longer applies and the
    chooser runs FIFO: strict priorities would starve a task that waits for
    a lower-priority one while spinning on ``sleep(0)``.

    Threads are told apart by ``Candidate.task_id``; the plain callbacks, which
    run FIFO, count as one more thread (``task_id`` None).
    """

    def __init__(
        self,
        seed: int,
        depth: int = 3,
        expected_steps: int = 1000,
        expected_tasks: int | None = None,
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, not {depth}")
        if expected_steps < 1:
            raise ValueError(f"expected_steps must be >= 1, not {expected_steps}")
        self.seed = seed
        self.depth = depth
        self.expected_steps = expected_steps
        self.expected_tasks = expected_tasks
        self._rng = random.Random(seed)
        self._priority: dict[int | None, float] = {}
        # Step number -> the low priority given at that step (depth - i).
        self._change_points: dict[int, int] = {}
        for i in range(1, depth):
            step = self._rng.randint(1, expected_steps)
            # Two change points on one step: the later (lower) priority wins,
            # as if they were applied in order.
            self._change_points[step] = depth - i
        self.steps = 0

    def choose(self, candidates: Sequence[Candidate]) -> int:
        self.steps += 1
        if self.steps > self.expected_steps:
            return 0
        threads = [c.task_id for c in candidates]
        for thread in threads:
            if thread not in self._priority:
                # A new thread gets a random rank among the initial priorities,
                # which all lie above the change-point priorities 1..depth-1.
                self._priority[thread] = self.depth + self._rng.random()
        best = self._highest(threads)
        lowered = self._change_points.get(self.steps)
        if lowered is not None:
            # A change point preempts the thread that was about to run: it drops
            # below every other thread, and the step goes to the new highest (as
            # in the paper and in Coyote's PCT strategy).
            self._priority[threads[best]] = lowered
            best = self._highest(threads)
        return best

    def _highest(self, threads: list[int | None]) -> int:
        priority = self._priority
        best = 0
        for i in range(1, len(threads)):
            if priority[threads[i]] > priority[threads[best]]:
                best = i
        return best

    @property
    def threads_seen(self) -> int:
        return len(self._priority)

    def bound(self) -> float:
        """The probability lower bound ``1 / (n * k ** (d - 1))`` of one run.

        ``n`` is ``expected_tasks`` if given, else the number of threads seen
        so far (tasks, plus the callbacks if any ran).
        """
        n = self.expected_tasks if self.expected_tasks is not None else self.threads_seen
        return 1.0 / (max(n, 1) * float(self.expected_steps) ** (self.depth - 1))

    def describe(self) -> str:
        n = self.expected_tasks if self.expected_tasks is not None else self.threads_seen
        d, k = self.depth, self.expected_steps
        return (
            f"PCT(seed={self.seed}, depth d={d}, steps k={k}, threads n={max(n, 1)}): "
            f"finds a given bug of depth <= {d} with probability >= "
            f"1/(n*k^(d-1)) = {self.bound():.3g} per run"
        )

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return (
            f"PCTChooser(seed={self.seed}, depth={self.depth}, "
            f"expected_steps={self.expected_steps})"
        )
