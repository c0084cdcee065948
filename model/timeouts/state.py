"""The state of a job with a timeout or a retry policy: immutable and hashable."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from workerjob.model.actions import Result
from workerjob.model.vocabulary import RUNNING, Phase, RunOutcome, TaskError


class Stage(Enum):
    """Where the job's task is. `ENDING`: the last attempt has ended and its outcome is
    the job's, the continuations are not completed yet."""

    IDLE = "not launched"
    STARTING = "launched, no attempt yet"
    RUNNING = "an attempt is running"
    BACKOFF = "waiting between attempts"
    ENDING = "past its last attempt"
    ENDED = "ended"

    __hash__ = object.__hash__


LIVE = frozenset({Stage.STARTING, Stage.RUNNING, Stage.BACKOFF})
"""The stages in which the job has not ended: a deadline may still take effect."""


@dataclass(frozen=True, slots=True)
class Options:
    """`WorkerJob(..., timeout=, grace=, retry=RetryPolicy(max_attempts=))` as the model
    needs it: the numbers only name the deadline (`timeout_text`); the model never
    compares them with a clock."""

    timeout: float | None = None
    grace: float | None = None
    max_attempts: int = 1

    def __str__(self) -> str:
        return f"timeout={self.timeout} grace={self.grace} max_attempts={self.max_attempts}"


@dataclass(frozen=True, slots=True)
class State:
    options: Options
    stage: Stage = Stage.IDLE
    attempts: int = 0  # attempts started so far (`job.attempts`)
    token: bool = False  # the cancellation token is cancelled
    timed_out: bool = False  # `job.timed_out`
    deadline_armed: bool = False  # the deadline's timer is scheduled
    grace_armed: bool = False  # the grace period's timer is scheduled
    backoff_armed: bool = False  # a backoff's timer is scheduled
    hard_cancel: TaskError | None = None  # an outside task_handle.cancel(), not yet seen
    grace_cancel: bool = False  # the grace period's own cancel, not yet seen
    last: RunOutcome | None = None  # how the last attempt ended
    phase: Phase = RUNNING  # the continuations
    registered: frozenset[int] = frozenset()  # continuations registered before launch
    due: frozenset[int] = frozenset()
    started: frozenset[int] = frozenset()
    waits: frozenset[int] = frozenset()  # wait() calls in flight
    wait_result: Result | None = None  # what wait() gives, fixed when the job ends

    @property
    def timers(self) -> bool:
        """Whether anything of the job is scheduled on the loop."""
        return self.deadline_armed or self.grace_armed or self.backoff_armed


def initial(options: Options, conts: frozenset[int] = frozenset()) -> State:
    """A job with `options` and continuations `conts` registered, before `launch()`."""
    return State(options, registered=conts)
