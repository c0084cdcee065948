"""The model of timeouts and retries (ENHANCEMENTS.md, "Timeouts" and "Retries").

Pure, as the rest of `workerjob.model`: frozen hashable states, transitions as
functions, no clock. Time is abstract: the deadline is a step that may happen while
the job's attempts have not ended; the grace period's cancel, the end of a backoff and
the job's own end are steps too. A concrete instant is never part of a state; the kit
checks instants against the loop's clock with `backoff_delay` and the options.

- `state`: the options, the job's stage, the state
- `actions`: what an observer sees (launch, cancels, attempts, the deadline, ...)
- `spec`: the transitions, observable and internal
- `invariants`: named predicates over states and steps
- `explore`: the bounded exhaustive check, with broken variants for each invariant
- `oracle`: the online trace-inclusion check the kit feeds

May import `workerjob.model` (its vocabulary and classification) and nothing else.
"""

from workerjob.model.timeouts.actions import (
    AttemptEnded,
    AttemptStarted,
    Cancelled,
    DeadlineCancel,
    HardCancelled,
    Launched,
    Observation,
    Read,
    Start,
    WaitCalled,
    WaitReturned,
)
from workerjob.model.timeouts.oracle import TimeoutsOracle
from workerjob.model.timeouts.spec import VARIANTS, Variant, backoff_delay, timeout_text
from workerjob.model.timeouts.state import Options, Stage, State, initial

__all__ = [
    "VARIANTS",
    "AttemptEnded",
    "AttemptStarted",
    "Cancelled",
    "DeadlineCancel",
    "HardCancelled",
    "Launched",
    "Observation",
    "Options",
    "Read",
    "Stage",
    "Start",
    "State",
    "TimeoutsOracle",
    "Variant",
    "WaitCalled",
    "WaitReturned",
    "backoff_delay",
    "initial",
    "timeout_text",
]
