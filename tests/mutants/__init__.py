"""Deliberately broken implementations of SPEC.md ("mutants"), their correct base, and
correct variants of it.

Each mutant module exports the same names as `workerjob.impl`, so the conformance kit
loads it with `--impl tests.mutants.<name>`, and differs from `base` (a correct
implementation, itself a subject: `--impl tests.mutants.base`) by one overridden hook.
The conformance suite must reject every module in `MUTANTS`, each with the violation
that `KILLS` names for it, and accept `base` and every module in `CORRECT`.

`README.md` beside this file is the catalogue: for every mutant, the check that kills
it and why no other check does.
`OTHER_SUBJECTS` are neither: each says what it is and which test checks it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a mutant imports this package: it must not import the harness
    from workerjob.conformance.stateful.campaign import CampaignResult

MUTANTS: dict[str, str] = {
    "check_then_await": (
        "add_or_run_now reads the phase, awaits, then inserts, so a continuation registered "
        "across complete is lost."
    ),
    "registry_kept": (
        "Starting the due continuations does not empty the registry, so a later "
        "add_or_run_now while Done starts every earlier continuation again."
    ),
    "failure_wins": "Failure wins over cancellation: an error with a cancelled token is FAILED.",
    "cancel_drops_message": "The error message is dropped when the job ends CANCELLED.",
    "first_key_wins": "The first registration under a key wins instead of the later one.",
    "overwrite_done": ("A second complete overwrites Done instead of raising InvalidStateError."),
    "lost_on_failure": (
        "The job completes its continuations only when run() returns, so a failing run() "
        "leaves them Running and never started."
    ),
    "drain_then_await": (
        "complete takes the registry, awaits, then sets Done, so a continuation added in "
        "between is lost."
    ),
    "stale_token": (
        "complete reads the token before an await and changes the state after it, so a "
        "cancel() in between is missed, and a hard cancel there turns a finished run() into "
        "a cancelled job."
    ),
    "awaits_continuation": (
        "add_or_run_now while Done awaits the continuation instead of starting it as its own task."
    ),
    "wait_swallows_failure": "wait() returns None when run() raised an exception.",
    "one_task_for_all": (
        "The due continuations run one after another in one task, so one that raises "
        "stops the rest."
    ),
    "yields_after_run": (
        "The job's completion yields after run() returned, so a hard cancel in that one "
        "step makes a normal run CANCELLED."
    ),
    "worker_copied": (
        "Each continuation receives a copy of the worker, equal to the one handed over but "
        "another object."
    ),
    "types_as_strings": (
        "Done carries the completion type's string value instead of the enum member."
    ),
    "token_never_wakes": (
        "cancel() sets the flag but does not wake the tasks waiting in cancelled()."
    ),
    "cancelled_at_once": (
        "cancelled() returns at once, whether or not the token has been cancelled."
    ),
    "unchecked_key": (
        "add_or_run_now accepts a key that is not a str and registers the callback under it."
    ),
    "keeps_finished": (
        "Every continuation started is kept in a list, so nothing that has finished is "
        "ever freed."
    ),
    "never_complete": "is_complete() is always False, even once the job has finished.",
}

CORRECT: dict[str, str] = {
    "locks_with_yields": (
        "Every operation takes an asyncio.Lock and yields while it holds it, and changes "
        "the state in one stretch with no suspension."
    ),
    "reversed_dispatch": "The due continuations are started in the reverse of their order.",
    "bare_tasks": (
        "A correct variant, not a mutant: each due continuation runs as a bare "
        "`loop.create_task(callback(...))` that nothing holds, the common asyncio idiom."
    ),
}
"""Variants of `base` that follow SPEC in a way `base` does not: each must conform."""

# --- the violations, as the oracle words them (`Violation.explain`, the harness) ----------
# Each is searched for in the explanation of a campaign's report (see `explanation`).

NEVER_STARTED = r"- c\d+ was due but never started"
"""The end of the run: a continuation that had to run never did."""

REPLACED_RAN = r"- c\d+ was replaced under its key and must never run"
"""A continuation ran although a later add under its key replaced it."""

STARTED_TWICE = r"- c\d+ already started once"

STARTED_BY_ANOTHER_ADD = (
    r"`start (c\d+)\((adder-\d), (\w+), ('[^']*'|None)\)` is impossible \(\w[\w-]*\):\n"
    r"(?:  - .*\n)*?  - \1 is due as start \1\((?!\2\))[\w-]+, \3, \4\)"
)
"""A continuation stranded in the registry after Done, started later by another
add_or_run_now's start-now, with that add's worker: right outcome, wrong worker."""

RUNNING_AFTER_COMPLETION = r"`return #\d+ ok Running\(\)` is impossible .*\n  - #\d+ state must"
"""A state read still sees Running where the job must have completed."""

CANCEL_LOST = (
    r"`(?:start c\d+\([\w-]+, (?:FAILED|NORMAL)|return #\d+ ok Done\((?:FAILED|NORMAL))"
    r"[^`]*` is impossible .*\n"
    r"  - (?:c\d+ is due as start c\d+\([\w-]+, CANCELLED|#\d+ state must return ok "
    r"Done\(CANCELLED)"
)
"""FAILED or NORMAL where the token was cancelled in time: CANCELLED was due."""

FAILURE_OVER_CANCEL = CANCEL_LOST.replace("(?:FAILED|NORMAL)", "FAILED")

MESSAGE_DROPPED = (
    r"`(?:start c\d+\([\w-]+, CANCELLED, None\)|return #\d+ ok Done\(CANCELLED, None\))` "
    r"is impossible .*\n  - .*CANCELLED, '"
)

SECOND_COMPLETE_ACCEPTED = r"`return #\d+ ok` is impossible .*\n  - #\d+ complete\(.*\) must " \
    r"return raises InvalidStateError"

ADD_NEVER_RETURNED = r"- #\d+ add_or_run_now\(.*\) never returned"

WAIT_SWALLOWED = r"`return #\d+ ok` is impossible .*\n  - #\d+ wait\(\) must return raises"

NOT_THE_WORKER = r"received a worker named '[\w-]+' that is not the object handed over"

NOT_AN_ENUM_MEMBER = r"not a member of the CompletionType enum"

WAITER_ASLEEP = r"the token was cancelled, but \d+ `await token\.cancelled\(\)` never returned"

WAITER_EARLY = r"`await token\.cancelled\(\)` returned before any cancel\(\)"

BAD_KEY_ACCEPTED = r"add key: it \w+.*, not a TypeError naming `key`"

LEAK = r"still reachable after a garbage collection \(a leak\)"

STATUS_WRONG = (
    r"`return #\d+ ok False` is impossible .*\n  - #\d+ is_complete\(\) must return ok True"
)

CANCELLED_AFTER_RUN = (
    r"`(?:start c\d+\([\w-]+, CANCELLED|return #\d+ ok Done\(CANCELLED|return #\d+ raises "
    r"CancelledError)[^`]*` is impossible"
)
"""CANCELLED (or a cancelled wait) where run() had ended before the hard cancel: SPEC
says a hard cancel after run() ended changes nothing."""

KILLS: dict[str, tuple[str, ...]] = {
    "check_then_await": (NEVER_STARTED, REPLACED_RAN, STARTED_BY_ANOTHER_ADD),
    "registry_kept": (STARTED_TWICE, STARTED_BY_ANOTHER_ADD, LEAK),
    "failure_wins": (FAILURE_OVER_CANCEL,),
    "cancel_drops_message": (MESSAGE_DROPPED,),
    "first_key_wins": (REPLACED_RAN, LEAK),
    "overwrite_done": (SECOND_COMPLETE_ACCEPTED,),
    "lost_on_failure": (NEVER_STARTED, RUNNING_AFTER_COMPLETION),
    "drain_then_await": (NEVER_STARTED, REPLACED_RAN, STARTED_BY_ANOTHER_ADD),
    "stale_token": (CANCEL_LOST, CANCELLED_AFTER_RUN),
    "awaits_continuation": (ADD_NEVER_RETURNED,),
    "wait_swallows_failure": (WAIT_SWALLOWED,),
    "one_task_for_all": (NEVER_STARTED,),
    "worker_copied": (NOT_THE_WORKER,),
    "types_as_strings": (NOT_AN_ENUM_MEMBER,),
    "token_never_wakes": (WAITER_ASLEEP,),
    "cancelled_at_once": (WAITER_EARLY,),
    "unchecked_key": (BAD_KEY_ACCEPTED,),
    "keeps_finished": (LEAK,),
    "never_complete": (STATUS_WRONG,),
    "yields_after_run": (CANCELLED_AFTER_RUN,),
}
"""For every mutant, the violations that count as its kill (any one of them): the
symptoms of its own bug, as the oracle words them. Anything else (another violation,
the harness crashing) is not a kill."""


def explanation(report: str) -> str | None:
    """The oracle's (or the harness's) explanation in a campaign's report; `None` when
    the report is not a violation at all (the harness crashed, Hypothesis complained)."""
    head, sep, rest = report.partition(" does not conform:\n")
    if not sep or "\n" in head:
        return None
    return rest.split("\n\nobservations:", 1)[0]


def assert_conforms(result: CampaignResult, levels: tuple[str, ...], examples: int) -> None:
    """`result` conforms, and not vacuously: each of `levels` ran, in that order, none
    skipped, each at least `examples` examples. A level the harness skips, or a campaign
    that runs nothing, conforms too (tests/stateful/test_mutants.py shows both)."""
    assert result.conforms, [r.report for r in result.levels]
    ran = {r.level: r.examples for r in result.levels}
    assert list(ran) == list(levels), f"levels run {ran}, skipped {result.skipped}"
    assert min(ran.values()) >= examples, f"examples run {ran}, expected {examples} each"


def killed_by_its_bug(mutant: str, report: str) -> bool:
    """Whether `report` is one of the violations `mutant` exists for."""
    text = explanation(report)
    return text is not None and any(re.search(kind, text) for kind in KILLS[mutant])

OTHER_SUBJECTS: dict[str, str] = {
    "original_like": (
        "A port of the original, every departure included: conforms to the original spec "
        "(tests/stateful/test_original_like.py)."
    ),
    "original_like_guard_dropped": (
        "The port with the state guard dropped before the insert: killed under the original "
        "spec (tests/stateful/test_original_like.py)."
    ),
}
