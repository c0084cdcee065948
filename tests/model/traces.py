"""A small vocabulary for writing traces by hand, so a test reads like the run."""

from __future__ import annotations

from workerjob.model import (
    AddOrRunNow,
    Cancel,
    Complete,
    CompletionType,
    Done,
    Err,
    HardCancel,
    Invoke,
    Launch,
    Ok,
    ReadState,
    Result,
    Return,
    RunEnded,
    RunOutcome,
    Start,
    TaskError,
    Wait,
)

NORMAL = CompletionType.NORMAL
CANCELLED = CompletionType.CANCELLED
FAILED = CompletionType.FAILED
BOOM = TaskError("ValueError", "boom")


def add(i: int, key: str, worker: str = "adder") -> Invoke:
    """Invocation #i registers continuation c<i> under `key`."""
    return Invoke(i, AddOrRunNow(key, i, worker))


def complete(i: int, error: TaskError | None = None, worker: str = "completer") -> Invoke:
    return Invoke(i, Complete(error, worker))


def cancel(i: int) -> Invoke:
    return Invoke(i, Cancel())


def read(i: int) -> Invoke:
    return Invoke(i, ReadState())


def launch(i: int) -> Invoke:
    return Invoke(i, Launch())


def hard_cancel(i: int, msg: str | None = None) -> Invoke:
    return Invoke(i, HardCancel(msg))


def wait(i: int) -> Invoke:
    return Invoke(i, Wait())


def ret(i: int, result: Result | None = None) -> Return:
    return Return(i, Ok() if result is None else result)


def saw(i: int, ctype: CompletionType, message: str | None = None) -> Return:
    """Return of a state read that saw Done(ctype, message)."""
    return Return(i, Ok(Done(ctype, message)))


def raised(i: int, type_name: str, text: str | None = None) -> Return:
    return Return(i, Err(type_name, text))


def start(c: int, worker: str, ctype: CompletionType, message: str | None = None) -> Start:
    return Start(c, worker, ctype, message)


def run_ended(error: TaskError | None = None, hard: bool = False) -> RunEnded:
    return RunEnded(RunOutcome(error, hard_cancelled=hard))
