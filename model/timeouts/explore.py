"""The bounded exhaustive check: every state and step reachable from a small world.

The world: a job with or without a deadline (and a grace period), with one, two or
three attempts allowed, and registered continuations; an environment that may launch
it, cancel its token, hard-cancel its task, let the deadline take effect, start the
next attempt and end the running one in each way (returns, raises an error the policy
retries, raises one it does not, or is cancelled when a cancel is on its way). Every
interleaving of those with the job's internal steps is searched, so the deadline
racing a cancel, a hard cancel and run() ending is covered in every order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from workerjob.model.timeouts.actions import (
    AttemptEnded,
    AttemptStarted,
    Cancelled,
    DeadlineCancel,
    HardCancelled,
    Launched,
    Observation,
)
from workerjob.model.timeouts.invariants import broken_invariants, broken_step_invariants
from workerjob.model.timeouts.spec import CORRECT, Variant, internal_transitions, observe
from workerjob.model.timeouts.state import Options, Stage, State, initial
from workerjob.model.vocabulary import RunOutcome, TaskError

FLAKY = TaskError("ValueError", "flaky")
FATAL = TaskError("RuntimeError", "fatal")


def worlds(max_attempts: int = 3) -> Iterator[Options]:
    """Every combination of the options that matter to the model, within the bound."""
    for n in range(1, max_attempts + 1):
        yield Options(None, None, n)
        yield Options(1.0, None, n)
        yield Options(1.0, 0.0, n)


def environment(s: State) -> Iterator[Observation]:
    """What the world may do next in `s` (observe() refuses what the spec does not allow)."""
    if s.stage is Stage.IDLE:
        yield Launched()
    if not s.token:
        yield Cancelled()
    if s.stage is not Stage.IDLE and s.hard_cancel is None:
        yield HardCancelled("stop")
    yield DeadlineCancel()
    yield AttemptStarted(s.attempts + 1)
    if s.stage is Stage.RUNNING:
        yield AttemptEnded(RunOutcome())
        yield AttemptEnded(RunOutcome(FLAKY), retryable=True)
        yield AttemptEnded(RunOutcome(FATAL))
        if s.hard_cancel is not None:
            yield AttemptEnded(RunOutcome(s.hard_cancel, hard_cancelled=True))
        elif s.grace_cancel:
            yield AttemptEnded(RunOutcome(TaskError("CancelledError", "timeout"), True))


@dataclass
class Report:
    """What the search found: its size, and the first broken invariant met per name
    (with the path to it, for a counterexample)."""

    states: int = 0
    steps: int = 0
    broken: dict[str, list[str]] = field(default_factory=dict)
    seen_labels: set[str] = field(default_factory=set)


def explore(v: Variant = CORRECT, max_attempts: int = 3) -> Report:
    """Breadth first over every world, so each counterexample is a shortest one."""
    report = Report()
    parent: dict[State, tuple[State, str] | None] = {}
    todo: deque[State] = deque()
    for options in worlds(max_attempts):
        s = initial(options, frozenset({1}))
        parent[s] = None
        todo.append(s)
    while todo:
        s = todo.popleft()
        report.states += 1
        for name in broken_invariants(s):
            report.broken.setdefault(name, _path(parent, s))
        for label, t in _successors(v, s):
            report.steps += 1
            report.seen_labels.add(label)
            for name in broken_step_invariants(s, t):
                report.broken.setdefault(name, [*_path(parent, s), label])
            if t not in parent:
                parent[t] = (s, label)
                todo.append(t)
    return report


def _successors(v: Variant, s: State) -> Iterator[tuple[str, State]]:
    yield from internal_transitions(v, s)
    for obs in environment(s):
        t = observe(v, s, obs)
        if isinstance(t, State):
            yield str(obs), t


def _path(parent: dict[State, tuple[State, str] | None], s: State) -> list[str]:
    labels: list[str] = []
    while (link := parent[s]) is not None:
        s, label = link
        labels.append(label)
    labels.append(str(s.options))
    return labels[::-1]
