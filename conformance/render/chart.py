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

import re
from collections.abc import Sequence

from workerjob.conformance.loop.loop import Step

__all__ = ["lane_summary", "sequence_chart"]

CALLBACKS = "(callbacks)"
_MAX_LABEL = 32


# A lane is a task (told apart by task_id: names need not be unique) or the
# plain callbacks (None).
_Lane = int | str | None


def _lane(step: Step) -> _Lane:
    if step.task is None:
        return None
    return step.task_id if step.task_id is not None else step.task


def _lanes(steps: Sequence[Step]) -> dict[_Lane, str]:
    """Lane -> title: tasks in order of first step, then the callbacks."""
    names: dict[_Lane, str] = {}
    has_callbacks = False
    for step in steps:
        lane = _lane(step)
        if lane is None:
            has_callbacks = True
        elif lane not in names:
            names[lane] = _stable_name(step.task or "", lane)
    # Two tasks with one name: tell them apart by number.
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    titles = {
        lane: f"{name}#{lane}" if counts[name] > 1 and isinstance(lane, int) else name
        for lane, name in names.items()
    }
    if has_callbacks:
        titles[None] = CALLBACKS
    return titles


def _stable_name(name: str, lane: _Lane) -> str:
    """asyncio's default names ("Task-13") count tasks across the whole process, so
    two runs of one schedule would differ; the loop's own task number does not."""
    if re.fullmatch(r"Task-\d+", name) and isinstance(lane, int):
        return f"task {lane}"
    return name


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "~"


def sequence_chart(steps: Sequence[Step], limit: int | None = None) -> str:
    """One row per step, one column per task (and one for plain callbacks).

    ``limit`` caps the number of rows; the chart then says how many it left out.
    """
    titles = _lanes(steps)
    column = {lane: i for i, lane in enumerate(titles)}
    shown = steps if limit is None else steps[:limit]
    rows: list[tuple[str, ...]] = []
    for number, step in enumerate(shown):
        cells = [""] * len(titles)
        lane = _lane(step)
        cells[column[lane]] = "*" if lane is not None else _shorten(step.label)
        choice = f"{step.index}/{step.candidates}" if step.index else ""
        rows.append((str(number), f"{step.time:g}", choice, *cells))

    header = ("step", "time", "choice", *titles.values())
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
    titles = _lanes(steps)
    ran: dict[_Lane, list[int]] = {lane: [] for lane in titles}
    for number, step in enumerate(steps):
        ran[_lane(step)].append(number)
    width = max((len(title) for title in titles.values()), default=0)
    return "\n".join(
        f"{titles[lane].ljust(width)}  {' '.join(map(str, numbers))}"
        for lane, numbers in ran.items()
    )
