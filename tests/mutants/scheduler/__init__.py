"""Deliberately broken schedulers ("mutants") that only the scheduler level of
`workerjob verify` kills.

Each module exports `workerjob.impl`'s names with its own `JobScheduler`, a subclass of
the bundled one with one thing broken; everything else (Continuations, WorkerJob) is
the bundled implementation, so the other levels have nothing to find. `MUTANTS` maps
each module to what is broken and to the scheduler invariant whose violation must kill
it (`proofs_notes/scheduler.md`).
"""

from __future__ import annotations

MUTANTS: dict[str, tuple[str, str]] = {
    "one_too_many": ("max_concurrent counted off by one: one job more runs at once.",
                     "max-concurrent"),
    "freed_twice": ("A job's resources are given back twice when it ends.", "capacity"),
    "never_freed": ("A job's resources are never given back when it ends.", "stranded"),
    "head_of_line": ("The dispatch stops at the first queued job, if it does not fit, "
                     "instead of starting a smaller one behind it.",
                     "no-head-of-line-blocking"),
    "lifo_among_equals": ("Among equal priorities the latest submitted starts first.",
                          "fifo-among-equals"),
    "cancelled_still_runs": ("job.cancel() of a queued job completes it but leaves it "
                             "queued, and it is started later all the same.",
                             "cancelled-never-runs"),
    "closed_still_starts": ("aclose() refuses new jobs but drains the queue instead of "
                            "cancelling it: a closing scheduler still starts jobs.",
                            "closed-starts-nothing"),
    "queued_gauge_kept": ("job.cancel() of a queued job leaves the scheduler's jobs_queued "
                          "gauge counting it.", "gauges-exact"),
    "cancelled_counted_launched": ("A job cancelled while queued is counted in the "
                                   "scheduler's jobs_launched.", "counters-exact"),
}
