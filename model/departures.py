"""The original's known departures from SPEC, named one by one, as data.

SPEC ends its section "Where this contract departs from the original" with the rule:
departures are named, and a spec is SPEC plus a chosen set of them. Each departure
here has a name (what `--allow` takes) and one sentence; `spec.py` reads a spec's set
where the departure changes a transition, and nowhere else. `ORIGINAL` is the set that
the original Rust code has (SPEC's list, measured there): `--spec original`.

Pure data: imports nothing of the model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Departure:
    """One way an implementation may differ from SPEC, and still be checked on the rest.

    `where`: the operations or steps whose transitions it changes."""

    name: str
    sentence: str
    where: str


TOKEN_READ_EARLY = Departure(
    "token-read-early",
    "complete reads the token at any instant between its invocation and its effect, "
    "and so does the job's own completion between run() ending and its effect.",
    "complete; the job's completion",
)
COMPLETE_OVERWRITES_DONE = Departure(
    "complete-overwrites-done",
    "a second complete returns ok and replaces Done with its own classification, and "
    "the job's own completion does the same after someone else completed.",
    "complete; the job's completion",
)
WAIT_RETURNS_OK = Departure(
    "wait-returns-ok",
    "wait() returns ok when run() returned or raised an exception; only a panic or an "
    "abort reaches the waiter.",
    "wait()",
)
EMPTY_MESSAGE_STAYS_EMPTY = Departure(
    "empty-message-stays-empty",
    "an error whose text is empty gives the message \"\", not the class name.",
    "complete; the job's completion",
)
UNLAUNCHED_REPORTS_ACTIVE = Departure(
    "unlaunched-reports-active",
    "a job that was never launched reports itself active.",
    "is_active()",
)
PANIC_LEAVES_RUNNING = Departure(
    "panic-leaves-running",
    "a run() that dies without an exception the wrapper can see (a panic; in Python a "
    "BaseException that is not an Exception) ends the task before complete: the state "
    "stays Running, no continuation runs, and wait() raises it.",
    "the job's completion; wait()",
)
ABORT_LEAVES_RUNNING = Departure(
    "abort-leaves-running",
    "a hard cancel ends the job's task wherever it is, until its completion is over: "
    "before complete the state stays Running and no continuation runs; between "
    "complete's two critical sections the state is Done and the continuations it took "
    "never run; wait() raises CancelledError.",
    "task_handle.cancel(); the job's completion; wait()",
)

DEPARTURES: dict[str, Departure] = {d.name: d for d in (
    TOKEN_READ_EARLY,
    COMPLETE_OVERWRITES_DONE,
    WAIT_RETURNS_OK,
    EMPTY_MESSAGE_STAYS_EMPTY,
    UNLAUNCHED_REPORTS_ACTIVE,
    PANIC_LEAVES_RUNNING,
    ABORT_LEAVES_RUNNING,
)}

ORIGINAL: frozenset[str] = frozenset(DEPARTURES)
"""What the original Rust code has: every departure above (SPEC's list)."""
