"""Named invariants of timeouts and retries, each a pure predicate with one sentence.

`proofs_notes/timeouts.md` proves each under the same name; `explore` checks them on
every state and step reachable within a bound, and shows for each a `Variant` of the
spec that breaks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workerjob.model.timeouts.state import LIVE, Stage, State
from workerjob.model.vocabulary import CompletionType, Done, Running


@dataclass(frozen=True)
class Invariant:
    name: str
    sentence: str
    holds: Callable[[State], bool]


@dataclass(frozen=True)
class StepInvariant:
    name: str
    sentence: str
    holds: Callable[[State, State], bool]


def done_only_after_last_attempt(s: State) -> bool:
    return isinstance(s.phase, Running) or s.stage is Stage.ENDED


def nothing_scheduled_when_ended(s: State) -> bool:
    return s.stage is not Stage.ENDED or not s.timers


def timeout_is_cancelled(s: State) -> bool:
    if not (s.timed_out and isinstance(s.phase, Done)):
        return True
    return s.phase.completion_type is CompletionType.CANCELLED


def attempts_bounded(s: State) -> bool:
    return s.attempts <= s.options.max_attempts


def grace_only_after_deadline(s: State) -> bool:
    return s.timed_out or not (s.grace_armed or s.grace_cancel)


STATE_INVARIANTS: tuple[Invariant, ...] = (
    Invariant("done_only_after_last_attempt",
              "The continuations complete only once the last attempt has ended: "
              "Done means the job has ended.", done_only_after_last_attempt),
    Invariant("nothing_scheduled_when_ended",
              "Nothing of a finished job stays scheduled: no deadline, grace or backoff "
              "timer.", nothing_scheduled_when_ended),
    Invariant("timeout_is_cancelled", "A job that timed out completes CANCELLED.",
              timeout_is_cancelled),
    Invariant("attempts_bounded", "At most max_attempts attempts start.", attempts_bounded),
    Invariant("grace_only_after_deadline",
              "The grace period's cancel exists only once the deadline took effect.",
              grace_only_after_deadline),
)


def one_winner(before: State, after: State) -> bool:
    return before.timed_out or not after.timed_out or before.stage in LIVE


def no_attempt_after_cancel(before: State, after: State) -> bool:
    return not (after.attempts > before.attempts >= 1 and before.token)


def completes_once(before: State, after: State) -> bool:
    return isinstance(before.phase, Running) or (
        after.phase == before.phase and after.attempts == before.attempts)


STEP_INVARIANTS: tuple[StepInvariant, ...] = (
    StepInvariant("one_winner",
                  "The deadline and run() ending are one race with one winner: the "
                  "deadline takes effect only while the job has not ended.", one_winner),
    StepInvariant("no_attempt_after_cancel",
                  "No attempt starts after the first once the token is cancelled.",
                  no_attempt_after_cancel),
    StepInvariant("completes_once",
                  "Once Done, the phase never changes and no attempt starts: the "
                  "continuations complete once, after the last attempt.", completes_once),
)


def broken_invariants(s: State) -> list[str]:
    return [i.name for i in STATE_INVARIANTS if not i.holds(s)]


def broken_step_invariants(before: State, after: State) -> list[str]:
    return [i.name for i in STEP_INVARIANTS if not i.holds(before, after)]
