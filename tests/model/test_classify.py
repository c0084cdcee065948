"""`classify` against its table (SPEC, complete steps 1 and 2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerjob.model import CompletionType, Done, TaskError, classify

C, F, N = CompletionType.CANCELLED, CompletionType.FAILED, CompletionType.NORMAL
BOOM = TaskError("ValueError", "boom")
EMPTY = TaskError("KeyboardInterrupt", "")

TABLE = [
    # token cancelled, error, expected
    (False, None, Done(N, None)),
    (True, None, Done(C, None)),
    (False, BOOM, Done(F, "boom")),
    (True, BOOM, Done(C, "boom")),  # cancellation wins; the message is kept
    (False, EMPTY, Done(F, "KeyboardInterrupt")),  # empty text: the class name
    (True, EMPTY, Done(C, "KeyboardInterrupt")),
]


@pytest.mark.parametrize(("cancelled", "error", "expected"), TABLE)
def test_classify_table(cancelled: bool, error: TaskError | None, expected: Done) -> None:
    assert classify(cancelled, error) == expected


names = st.from_regex(r"[A-Z][A-Za-z]{0,12}", fullmatch=True)
errors = st.none() | st.builds(TaskError, names, st.text(max_size=8))


@given(st.booleans(), errors)
def test_classify_is_total_and_follows_the_rules(cancelled: bool, error: TaskError | None) -> None:
    done = classify(cancelled, error)
    if cancelled:
        assert done.completion_type is C
    elif error is None:
        assert done.completion_type is N
    else:
        assert done.completion_type is F
    if error is None:
        assert done.error_message is None
    elif error.text:
        assert done.error_message == error.text
    else:
        assert done.error_message == error.type_name
