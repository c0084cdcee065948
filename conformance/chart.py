"""Render a recorded schedule (``ControlledLoop.schedule``) for people.

``sequence_chart`` draws one column per task (in order of first step) and one
for plain callbacks, one row per step::

    step  time  choice  main  t0  t1  (callbacks)
       0     0          *
       1     0     1/3           *
       2     0              *
       3     0                      _run_until_complete_cb

A ``*`` marks the lane that ran; ``choice`` shows ``index/candidates`` when a
step departed from the stock loop's order (index > 0), and is blank otherwise,
so the departures that make a schedule interesting stand out.

``lane_summary`` is the compact form: one line per lane with the step numbers
it ran, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from .loop import Step

__all__ = ["lane_summary", "sequence_chart"]

CALLBACKS = "(callbacks)"
_MAX_LABEL = 32


def _lanes(steps: Sequence[Step]) -> list[str]:
    """Task lanes in order of each task's first step, then the callbacks lane."""
    lanes: dict[str, None] = {}
    has_callbacks = False
    for step in steps:
        if step.task is None:
            has_callbacks = True
        else:
            lanes.setdefault(step.task)
    names = list(lanes)
    if has_callbacks:
        names.append(CALLBACKS)
    return names


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "~"


def sequence_chart(steps: Sequence[Step], limit: int | None = None) -> str:
    """One row per step, one column per task (and one for plain callbacks).

    ``limit`` caps the number of rows; the chart then says how many it left out.
    """
    lanes = _lanes(steps)
    shown = steps if limit is None else steps[:limit]
    rows: list[tuple[str, ...]] = []
    for number, step in enumerate(shown):
        cells = [""] * len(lanes)
        if step.task is None:
            cells[-1] = _shorten(step.label)
        else:
            cells[lanes.index(step.task)] = "*"
        choice = f"{step.index}/{step.candidates}" if step.index else ""
        rows.append((str(number), f"{step.time:g}", choice, *cells))

    header = ("step", "time", "choice", *lanes)
    widths = [len(title) for title in header]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    right_aligned = 2  # step and time are numbers

    def render(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(width) if i < right_aligned else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    lines = [render(header), *(render(row) for row in rows)]
    if len(shown) < len(steps):
        lines.append(f"... {len(steps) - len(shown)} more steps")
    return "\n".join(lines)


def lane_summary(steps: Sequence[Step]) -> str:
    """One line per lane: the numbers of the steps it ran, in order."""
    lanes = _lanes(steps)
    ran: dict[str, list[int]] = {lane: [] for lane in lanes}
    for number, step in enumerate(steps):
        ran[CALLBACKS if step.task is None else step.task].append(number)
    width = max((len(lane) for lane in lanes), default=0)
    return "\n".join(
        f"{lane.ljust(width)}  {' '.join(map(str, numbers))}" for lane, numbers in ran.items()
    )
