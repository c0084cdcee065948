"""The vocabulary of SPEC.md: completion types, job states, workers, tasks, continuations.

Plain data and protocols only; the behaviour lives in `token`, `continuations` and `job`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

__all__ = [
    "CompletionType",
    "ContinuationFn",
    "Done",
    "JobState",
    "Running",
    "Worker",
    "WorkerTask",
]


class CompletionType(enum.Enum):
    """How a job ended. The string values are part of the contract (SPEC, Vocabulary)."""

    NORMAL = "normal"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Running:
    """The phase before completion. All instances are equal."""


@dataclass(frozen=True, slots=True)
class Done:
    """The absorbing phase: how the job ended and, when it raised, the error's message."""

    completion_type: CompletionType
    error_message: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.completion_type, CompletionType):
            raise TypeError(
                "completion_type must be a CompletionType, "
                f"got {type(self.completion_type).__name__}"
            )
        if self.error_message is not None and not isinstance(self.error_message, str):
            raise TypeError(
                f"error_message must be str or None, got {type(self.error_message).__name__}"
            )


JobState: TypeAlias = Running | Done
"""`Running()` until completion, then `Done(...)` forever. Use it in `match`."""


@dataclass(frozen=True, slots=True)
class Worker:
    """The context handed to every continuation: a name and a fresh unique `id`."""

    name: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be str, got {type(self.name).__name__}")


@runtime_checkable
class WorkerTask(Protocol):
    """Anything with `async def run(self) -> None`; raising means failure."""

    async def run(self) -> None: ...


ContinuationFn: TypeAlias = Callable[[Worker, CompletionType, str | None], Awaitable[None]]
"""An async callable `(worker, completion_type, error_message) -> None`."""
