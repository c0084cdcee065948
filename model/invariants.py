"""Named invariants of the atomic spec, each a pure predicate with one sentence.

State invariants hold in every reachable state; step invariants hold for every
transition `before -> after`. `proofs_notes/invariants.md` proves each one under the
same name; `tests/model/test_invariants.py` checks them on every state reachable
within a bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workerjob.model.actions import Err, Wait
from workerjob.model.state import Stage, State
from workerjob.model.vocabulary import Done, Running


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


def _due_conts(s: State) -> list[int]:
    return [d.cont for d in s.due]


def registry_empty_when_done(s: State) -> bool:
    return isinstance(s.phase, Running) or not s.registry


def nothing_due_while_running(s: State) -> bool:
    return isinstance(s.phase, Done) or not s.due


def due_carries_done(s: State) -> bool:
    p = s.phase
    return all(
        isinstance(p, Done)
        and (d.completion_type, d.error_message) == (p.completion_type, p.error_message)
        for d in s.due
    )


def due_at_most_once(s: State) -> bool:
    conts = _due_conts(s)
    return len(conts) == len(set(conts))


def started_were_due(s: State) -> bool:
    return s.started <= set(_due_conts(s))


def replaced_never_due(s: State) -> bool:
    registered = {c for _, c in s.registry}
    return not (s.replaced & (set(_due_conts(s)) | registered))


def registered_not_due(s: State) -> bool:
    return not ({c for _, c in s.registry} & set(_due_conts(s)))


def job_completion_latches(s: State) -> bool:
    return s.job is None or not s.job.completed or isinstance(s.phase, Done)


def wait_succeeds_only_after_the_job(s: State) -> bool:
    finished = s.job is not None and s.job.completed
    return all(
        finished or (isinstance(p.result, Err) and p.result.type_name == "RuntimeError")
        for p in s.pending
        if isinstance(p.op, Wait) and p.stage is Stage.EFFECTED
    )


def results_fixed_at_effect(s: State) -> bool:
    return all((p.stage is Stage.EFFECTED) == (p.result is not None) for p in s.pending)


STATE_INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "registry_empty_when_done",
        "Once Done, the registry is empty: complete took every continuation.",
        registry_empty_when_done,
    ),
    Invariant(
        "nothing_due_while_running",
        "While Running, no continuation is due: nothing runs before complete.",
        nothing_due_while_running,
    ),
    Invariant(
        "due_carries_done",
        "Every due continuation carries the completion type and message of the Done.",
        due_carries_done,
    ),
    Invariant("due_at_most_once", "No continuation is due twice.", due_at_most_once),
    Invariant(
        "started_were_due",
        "Every continuation that started was due (and starts at most once).",
        started_were_due,
    ),
    Invariant(
        "replaced_never_due",
        "A continuation replaced under its key is neither registered nor due, ever.",
        replaced_never_due,
    ),
    Invariant(
        "registered_not_due", "No continuation is both registered and due.", registered_not_due
    ),
    Invariant(
        "job_completion_latches",
        "Once the job's task has done its completion step, the phase is Done.",
        job_completion_latches,
    ),
    Invariant(
        "wait_succeeds_only_after_the_job",
        "wait() has a result other than a misuse error only after the job finished.",
        wait_succeeds_only_after_the_job,
    ),
    Invariant(
        "results_fixed_at_effect",
        "An operation has a result exactly when it has taken effect.",
        results_fixed_at_effect,
    ),
)


def latch(before: State, after: State) -> bool:
    return isinstance(before.phase, Running) or after.phase == before.phase


def token_stays_cancelled(before: State, after: State) -> bool:
    return after.token or not before.token


def due_only_grows(before: State, after: State) -> bool:
    return before.due <= after.due


def started_only_grows(before: State, after: State) -> bool:
    return before.started <= after.started


STEP_INVARIANTS: tuple[StepInvariant, ...] = (
    StepInvariant("latch", "Done is absorbing: once Done, the phase never changes.", latch),
    StepInvariant(
        "token_stays_cancelled", "A cancelled token stays cancelled.", token_stays_cancelled
    ),
    StepInvariant("due_only_grows", "A continuation once due stays due.", due_only_grows),
    StepInvariant("started_only_grows", "A start is never taken back.", started_only_grows),
)


def broken_invariants(s: State) -> list[str]:
    return [i.name for i in STATE_INVARIANTS if not i.holds(s)]


def broken_step_invariants(before: State, after: State) -> list[str]:
    return [i.name for i in STEP_INVARIANTS if not i.holds(before, after)]
