"""Mutants of the bundled implementation that break progress or metrics only, each in
one plausible way, so that only the progress level's checks can kill them.

Each module is a subject (`workerjob verify --impl tests.mutants.progress.NAME`): it
re-exports `workerjob.impl` and replaces one piece, in its own subclass, never by
patching the implementation in place (the other subjects of the same process must stay
as they are). `MUTANTS` maps each to the invariant (`proofs_notes/progress.md`) whose
check must kill it.
"""

MUTANTS = {
    "out_of_order": "in-order",
    "last_report_lost": "last-seen",
    "report_after_done": "closed-at-done",
    "reader_never_ends": "reader-ends",
    "counts_twice": "gauges-exact",
    "gauge_drifts": "gauges-exact",
}
