"""The reference semantics of workerjob: pure data and pure functions.

- `vocabulary`: CompletionType, Running/Done, TaskError, RunOutcome
- `classify`: the precedence rule and the message rule
- `actions`: operations, results, observable and internal actions
- `state`: the immutable, hashable state
- `departures`: the original's known departures from SPEC, named, as data
- `spec`: the atomic spec (SPEC plus a chosen set of departures) as transitions
- `invariants`: named predicates over states and steps
- `environment`: a bounded world, for generating traces and searching states
- `oracle`: the online trace-inclusion check
- `protocol/`: the original's protocol step by step, and its explorer (a sub-package)

Pure: the standard library only, never asyncio, threads, clocks or randomness, and
nothing of `workerjob.impl` or `workerjob.conformance` (`tests/test_architecture.py`).
The atomic spec and its oracle never import `protocol/`.
"""

from workerjob.model.actions import (
    Action,
    AddOrRunNow,
    Cancel,
    Complete,
    Drain,
    Effect,
    Err,
    HardCancel,
    Internal,
    Invoke,
    IsActive,
    IsComplete,
    JobAborted,
    JobCompletes,
    JobReadsToken,
    Launch,
    Observation,
    Ok,
    Op,
    ReadState,
    ReadToken,
    Result,
    Return,
    RunEnded,
    Start,
    TaskCancelled,
    Wait,
    WaitReturns,
)
from workerjob.model.classify import classify, completion_type, error_message
from workerjob.model.departures import DEPARTURES, Departure
from workerjob.model.oracle import Oracle, Violation
from workerjob.model.spec import (
    ATOMIC,
    NAMED_SPECS,
    ORIGINAL,
    SPECS,
    TOKEN_READ_EARLY,
    Spec,
    spec_with,
)
from workerjob.model.state import State, initial_continuations, initial_job
from workerjob.model.vocabulary import CompletionType, Done, Phase, Running, RunOutcome, TaskError

__all__ = [
    "ATOMIC",
    "DEPARTURES",
    "NAMED_SPECS",
    "ORIGINAL",
    "SPECS",
    "TOKEN_READ_EARLY",
    "Action",
    "AddOrRunNow",
    "Cancel",
    "Complete",
    "CompletionType",
    "Departure",
    "Done",
    "Drain",
    "Effect",
    "Err",
    "HardCancel",
    "Internal",
    "Invoke",
    "IsActive",
    "IsComplete",
    "JobAborted",
    "JobCompletes",
    "JobReadsToken",
    "Launch",
    "Observation",
    "Ok",
    "Op",
    "Oracle",
    "Phase",
    "ReadState",
    "ReadToken",
    "Result",
    "Return",
    "RunEnded",
    "RunOutcome",
    "Running",
    "Spec",
    "Start",
    "State",
    "TaskCancelled",
    "TaskError",
    "Violation",
    "Wait",
    "WaitReturns",
    "classify",
    "completion_type",
    "error_message",
    "initial_continuations",
    "initial_job",
    "spec_with",
]
