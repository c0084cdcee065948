"""A bounded environment: every observable action a finite world can take.

The oracle needs no environment (observations arrive from outside). Generating traces
from the model and searching its reachable states does: `Bound` fixes the keys,
workers, errors and the number of invocations, and `transitions` lists every action
enabled in a `World` (a state plus how many operations were invoked so far). The
continuation added by invocation #n is called c<n>, so ids never repeat.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from workerjob.model.actions import (
    Action,
    AddOrRunNow,
    Cancel,
    Complete,
    HardCancel,
    Invoke,
    Launch,
    Op,
    ReadState,
    RunEnded,
    Wait,
)
from workerjob.model.spec import Spec, expected_observations, internal_transitions, observe
from workerjob.model.state import State, initial_continuations, initial_job
from workerjob.model.vocabulary import RunOutcome, TaskError

DEFAULT_ERRORS: tuple[TaskError | None, ...] = (
    None,
    TaskError("ValueError", "boom"),
    TaskError("ValueError", ""),
)


@dataclass(frozen=True)
class Bound:
    keys: tuple[str, ...] = ("a", "b")
    workers: tuple[str, ...] = ("w1", "w2")
    errors: tuple[TaskError | None, ...] = DEFAULT_ERRORS
    max_ops: int = 4
    job: bool = False  # model a WorkerJob (launch, run()'s end, wait) or Continuations alone
    panics: tuple[TaskError, ...] = ()  # run() may also end by panicking with these
    ops: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {"add", "complete", "cancel", "state", "launch", "hard_cancel", "wait"}
        )
    )

    def initial(self) -> World:
        return World(initial_job(self.workers[0]) if self.job else initial_continuations(), 0)


@dataclass(frozen=True, slots=True)
class World:
    state: State
    invoked: int


def invocations(bound: Bound, op_id: int) -> Iterator[Op]:
    ops = bound.ops
    if "add" in ops:
        for key in bound.keys:
            for worker in bound.workers:
                yield AddOrRunNow(key, op_id, worker)
    if "complete" in ops:
        for error in bound.errors:
            for worker in bound.workers:
                yield Complete(error, worker)
    if "cancel" in ops:
        yield Cancel()
    if "state" in ops:
        yield ReadState()
    if bound.job:
        yield from (op for op in (Launch(), HardCancel("stop"), Wait()) if _job_op(op) in ops)


def _job_op(op: Op) -> str:
    return {Launch: "launch", HardCancel: "hard_cancel", Wait: "wait"}[type(op)]


def run_endings(bound: Bound, s: State) -> Iterator[RunEnded]:
    job = s.job
    if job is None or not job.launched or job.outcome is not None:
        return
    if job.hard_cancel is not None:
        yield RunEnded(RunOutcome(job.hard_cancel, hard_cancelled=True))
    for error in bound.errors:
        yield RunEnded(RunOutcome(error))
    for panic in bound.panics:
        yield RunEnded(RunOutcome(panic, panicked=True))


def transitions(spec: Spec, bound: Bound, w: World) -> Iterator[tuple[Action, World]]:
    """Every action enabled in `w`, internal and observable, with the world after it."""
    s = w.state
    for action, nxt in internal_transitions(spec, s):
        yield action, World(nxt, w.invoked)
    observations = [*expected_observations(s), *run_endings(bound, s)]
    if w.invoked < bound.max_ops:
        observations += [Invoke(w.invoked + 1, op) for op in invocations(bound, w.invoked + 1)]
    for obs in observations:
        after = observe(s, obs)
        if isinstance(after, State):
            yield obs, World(after, w.invoked + isinstance(obs, Invoke))
