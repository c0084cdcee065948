"""The completion classification: the single home of the precedence rule and the
message rule (SPEC, `complete` steps 1 and 2)."""

from __future__ import annotations

from workerjob.model.vocabulary import CompletionType, Done, TaskError


def error_message(error: TaskError | None) -> str | None:
    """`str(error)`, or the exception's class name where that is empty; `None` when
    there is no error. Applies whatever the classification is."""
    if error is None:
        return None
    return error.text or error.type_name


def completion_type(token_cancelled: bool, error: TaskError | None) -> CompletionType:
    """Cancellation wins over failure; failure wins over normal."""
    if token_cancelled:
        return CompletionType.CANCELLED
    if error is not None:
        return CompletionType.FAILED
    return CompletionType.NORMAL


def classify(token_cancelled: bool, error: TaskError | None) -> Done:
    """The `Done` that `complete(error, ...)` latches when it reads the token as
    `token_cancelled` at the instant it takes effect. Total: defined for every input."""
    return Done(completion_type(token_cancelled, error), error_message(error))
