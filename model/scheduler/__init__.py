"""The model of the scheduler (ENHANCEMENTS.md, "Priority and resource limits").

A pure model, in the style of `workerjob.model.spec`: `state` holds the frozen, hashable
state (queue, running set, capacities), `spec` the transitions (submit, start, end,
cancel-while-queued, close), `invariants` the named invariants that
`proofs_notes/scheduler.md` proves and `tests/model/test_scheduler_model.py` checks
exhaustively within a bound, `oracle` the online check of an implementation's
observations (which allows the scheduler to notice a job's end some time after it), and
`metrics` what the scheduler's own metrics must read at a state.

It may import the standard library's pure modules and `workerjob.model`; never asyncio,
threading, time, random, nor `workerjob.impl` or `workerjob.conformance`.
"""

from workerjob.model.scheduler.invariants import (
    STATE_INVARIANTS,
    STEP_INVARIANTS,
    Invariant,
    StepInvariant,
)
from workerjob.model.scheduler.oracle import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SchedViolation,
    SubmitReturned,
    Submitted,
    WaitReturned,
)
from workerjob.model.scheduler.spec import (
    cancel,
    close,
    dispatch,
    end,
    enqueue,
    first_that_fits,
    fits,
    release,
    submit,
)
from workerjob.model.scheduler.state import Config, Entry, Sched, initial

__all__ = [
    "STATE_INVARIANTS",
    "STEP_INVARIANTS",
    "Cancelled",
    "CloseReturned",
    "Closed",
    "Config",
    "Entry",
    "Invariant",
    "Launched",
    "RunEnded",
    "Sched",
    "SchedObservation",
    "SchedOracle",
    "SchedViolation",
    "StepInvariant",
    "SubmitReturned",
    "Submitted",
    "WaitReturned",
    "cancel",
    "close",
    "dispatch",
    "end",
    "enqueue",
    "first_that_fits",
    "fits",
    "initial",
    "release",
    "submit",
]
