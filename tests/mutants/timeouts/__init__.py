"""Mutants of timeouts and retries: `workerjob.impl` with one rule of ENHANCEMENTS.md
broken each, as subclasses of its `WorkerJob` and `Attempts`. The SPEC levels cannot
tell them from the implementation (without options the broken code never runs); only
the `timeouts` level can, each by its own violation (`test_timeouts_mutants.py`).
"""

MUTANTS = {
    "late_deadline": "the deadline does not look whether run() has ended, and is disarmed "
                     "only by the task's done-callback: it can fire after run() returned",
    "retry_after_cancel": "a retry does not read the token",
    "settle_per_attempt": "each failed attempt completes the continuations",
    "timer_kept": "the deadline's timer is not cancelled when the job ends",
    "backoff_off_by_one": "the backoff after attempt n is the policy's delay(n + 1)",
    "timeout_failed": "a timed-out job whose run() raised is completed FAILED",
    # Three more, one per clock check that no mutant above needs:
    "deadline_early": "the deadline takes effect when its timer fires, up to the clock's "
                      "resolution early",
    "grace_from_launch": "the grace period counts from launch, not from the deadline",
    "backoff_ignores_cancel": "the backoff sleeps through a cancel of the token",
}
