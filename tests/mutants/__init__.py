"""Deliberately broken implementations of SPEC.md ("mutants"), and their correct base.

Each mutant module exports the same names as `workerjob.impl`, so the conformance kit
loads it with `--impl tests.mutants.<name>`, and differs from `base` (a correct
implementation, itself a subject: `--impl tests.mutants.base`) by one overridden hook.
The conformance suite must reject every module in `MUTANTS` and accept `base`.
`OTHER_SUBJECTS` are not mutants of `base`: each says what it is and which test checks it.
"""

from __future__ import annotations

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
}

OTHER_SUBJECTS: dict[str, str] = {
    "bare_tasks": (
        "Correct: continuations run as bare tasks that nothing holds "
        "(tests/conformance/test_gc_alarm.py)."
    ),
    "original_like": (
        "A port of the original, every departure included: conforms to the original spec "
        "(tests/conformance/test_original_like.py)."
    ),
    "original_like_guard_dropped": (
        "The port with the state guard dropped before the insert: killed under the original "
        "spec (tests/conformance/test_original_like.py)."
    ),
}
