"""What an observer sees of a job with a timeout or a retry policy.

Every observation but `WaitReturned` is synchronous in the implementation (a call that
returns without suspending, or a report from inside `run()` or a continuation), so it
is one instant: there is no invocation/return pair to interleave. `wait()` suspends, so
it has both.
"""

from __future__ import annotations

from dataclasses import dataclass

from workerjob.model.actions import Cancel, HardCancel, Launch, Return
from workerjob.model.vocabulary import CompletionType, Phase, RunOutcome

# The SPEC level's own actions, the same calls seen the same way: `launch()`, `cancel()`
# and a hard cancel return without suspending, so here each is one instant.
Launched = Launch
Cancelled = Cancel
HardCancelled = HardCancel


@dataclass(frozen=True, slots=True)
class DeadlineCancel:
    """The job cancelled its own token: its deadline took effect."""

    def __str__(self) -> str:
        return "the deadline cancels the token"


@dataclass(frozen=True, slots=True)
class AttemptStarted:
    """`run()` was called for the `n`-th time (1-based)."""

    n: int

    def __str__(self) -> str:
        return f"attempt {self.n} starts"


@dataclass(frozen=True, slots=True)
class AttemptEnded:
    """The running attempt's `run()` ended so; `retryable`: its error is one the policy
    retries on (an instance of `retry_on`, never a `CancelledError`)."""

    outcome: RunOutcome
    retryable: bool = False

    def __str__(self) -> str:
        return f"attempt {self.outcome}" + (" (retryable)" if self.retryable else "")


@dataclass(frozen=True, slots=True)
class Start:
    """Continuation `cont` started with these arguments."""

    cont: int
    completion_type: CompletionType
    error_message: str | None

    def __str__(self) -> str:
        return f"start c{self.cont}({self.completion_type.name}, {self.error_message!r})"


@dataclass(frozen=True, slots=True)
class Read:
    """`job.attempts`, `job.timed_out` and the continuations' state, read at one instant."""

    attempts: int
    timed_out: bool
    phase: Phase

    def __str__(self) -> str:
        return f"read attempts={self.attempts} timed_out={self.timed_out} {self.phase}"


@dataclass(frozen=True, slots=True)
class WaitCalled:
    op_id: int

    def __str__(self) -> str:
        return f"invoke #{self.op_id} wait()"


WaitReturned = Return  # wait()'s return: an operation's return like any other


Observation = (Launched | Cancelled | HardCancelled | DeadlineCancel | AttemptStarted
               | AttemptEnded | Start | Read | WaitCalled | WaitReturned)
