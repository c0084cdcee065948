"""The data the contract talks about: completion types, phases, task errors.

These are SPEC.md's names as plain frozen values. The model never holds an exception
object: an error is described by its class name and its text, which is everything the
contract lets an observer see of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CompletionType(Enum):
    """How a job ended (SPEC: `CompletionType`)."""

    NORMAL = "normal"
    CANCELLED = "cancelled"
    FAILED = "failed"

    # Members are singletons compared by identity; hashing by identity too is what
    # Enum's own (name-based, pure-Python) hash would give, only faster.
    __hash__ = object.__hash__


@dataclass(frozen=True, slots=True)
class Running:
    """The phase before completion."""

    def __str__(self) -> str:
        return "Running()"


@dataclass(frozen=True, slots=True)
class Done:
    """The absorbing phase: once Done, the phase and its content never change."""

    completion_type: CompletionType
    error_message: str | None

    def __str__(self) -> str:
        return f"Done({self.completion_type.name}, {self.error_message!r})"


Phase = Running | Done
"""SPEC's `JobState`."""

RUNNING = Running()


@dataclass(frozen=True, slots=True)
class TaskError:
    """An exception as the contract sees it: its class name and `str()` of it."""

    type_name: str
    text: str = ""

    def __str__(self) -> str:
        return f"{self.type_name}({self.text!r})"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How the job's `run()` ended: returned (`error is None`), raised, or was
    hard-cancelled (`task_handle.cancel()`, seen as a `CancelledError`).

    `panicked`: it raised something that a wrapper catching errors does not catch (in
    Rust a panic; in Python a `BaseException` that is not an `Exception` and not a hard
    cancel). SPEC treats it as any other error; the `panic-leaves-running` departure
    does not."""

    error: TaskError | None = None
    hard_cancelled: bool = False
    panicked: bool = False

    def __str__(self) -> str:
        if self.hard_cancelled:
            return f"hard-cancelled with {self.error}"
        if self.panicked:
            return f"panicked with {self.error}"
        return "returned" if self.error is None else f"raised {self.error}"
