"""Shrinking that stops at a budget, and says so.

Hypothesis shrinks a failing example until no pass makes progress, with a safety stop
after five minutes (`engine.MAX_SHRINKING_SECONDS`, checked after every test call). A
user waiting at the command line wants the counterexample in seconds; a shrink that
stops early still reports a failing example (the smallest found so far), only a longer
one. `shrink_budget(seconds)` lowers that stop for the duration of one run; the report
then says the shrink was cut short and how to give it longer.

There is no public setting for this: the module constant is the one place Hypothesis
reads it (a missing constant, in some future version, leaves shrinking unbounded).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hypothesis.internal.conjecture import engine

# The line Hypothesis reports when it hits that stop (addressed to its own maintainers,
# which does not apply here): recognised, dropped from the report, and replaced by ours.
_HYPOTHESIS_WARNING = "WARNING: Hypothesis has spent more than"


@contextlib.contextmanager
def shrink_budget(seconds: float | None) -> Iterator[None]:
    """Within the block, shrinking stops `seconds` after it starts (None: no change)."""
    if seconds is None or not hasattr(engine, "MAX_SHRINKING_SECONDS"):
        yield
        return
    saved = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved


def cut_short(lines: list[str]) -> tuple[list[str], bool]:
    """The reported lines without Hypothesis' own stop warning, and whether it was there."""
    kept = [line for line in lines if not line.startswith(_HYPOTHESIS_WARNING)]
    return kept, len(kept) != len(lines)


def note(seconds: float) -> str:
    return (f"(shrinking stopped at its budget of {seconds:g} s: a smaller example may "
            f"exist; run the replay line without --reproduce and with a larger "
            f"--shrink-time to look for it)")
