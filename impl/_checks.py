"""Argument checks shared by the public operations (SPEC, Bad input).

Each check raises `TypeError` naming the argument, and is called before the operation
touches any state, so a rejected call changes nothing.

Workers, tokens and tasks are checked by shape, not by class: SPEC describes them by
what they have (a worker "has at least `id` and `name`", a task is "anything with
`run`"), so an adapter's own objects are accepted as long as they have that shape.
"""

from __future__ import annotations

__all__ = [
    "check_callable",
    "check_error",
    "check_key",
    "check_task",
    "check_token",
    "check_worker",
]


def _kind(value: object) -> str:
    return type(value).__name__


def check_key(key: object) -> None:
    if not isinstance(key, str):
        raise TypeError(f"key must be str, got {_kind(key)}")


def check_callable(name: str, value: object) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_kind(value)}")


def check_worker(worker: object) -> None:
    if not (hasattr(worker, "id") and hasattr(worker, "name")):
        raise TypeError(f"worker must have `id` and `name` (a Worker), got {_kind(worker)}")


def check_error(error: object) -> None:
    if error is not None and not isinstance(error, BaseException):
        raise TypeError(f"error must be an exception or None, got {_kind(error)}")


def check_token(token: object) -> None:
    if not (
        callable(getattr(token, "is_cancelled", None)) and callable(getattr(token, "cancel", None))
    ):
        raise TypeError(
            "cancellation_token must have cancel() and is_cancelled() (a CancellationToken), "
            f"got {_kind(token)}"
        )


def check_task(task: object) -> None:
    if not callable(getattr(task, "run", None)):
        raise TypeError(f"worker_task must have an async run() method, got {_kind(task)}")
