"""The reference semantics of workerjob: pure data and pure functions.

- `vocabulary`: CompletionType, Running/Done, TaskError, RunOutcome
- `classify`: the precedence rule and the message rule
- `actions`: operations, results, observable and internal actions
- `state`: the immutable, hashable state
- `spec`: the atomic spec (and the weaker `token-read-early`) as transitions
- `invariants`: named predicates over states and steps
- `environment`: a bounded world, for generating traces and searching states
- `oracle`: the online trace-inclusion check
"""

from workerjob.model.actions import (
    Action,
    AddOrRunNow,
    Cancel,
    Complete,
    Effect,
    Err,
    HardCancel,
    Internal,
    Invoke,
    IsActive,
    IsComplete,
    JobCompletes,
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
from workerjob.model.oracle import Oracle, Violation
from workerjob.model.spec import ATOMIC, SPECS, TOKEN_READ_EARLY, Spec
from workerjob.model.state import State, initial_continuations, initial_job
from workerjob.model.vocabulary import CompletionType, Done, Phase, Running, RunOutcome, TaskError

__all__ = [
    "ATOMIC",
    "SPECS",
    "TOKEN_READ_EARLY",
    "Action",
    "AddOrRunNow",
    "Cancel",
    "Complete",
    "CompletionType",
    "Done",
    "Effect",
    "Err",
    "HardCancel",
    "Internal",
    "Invoke",
    "IsActive",
    "IsComplete",
    "JobCompletes",
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
]
