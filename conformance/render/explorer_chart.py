"""A counterexample as a per-process sequence chart: one column per process (and per
continuation that started), one row per step, the step written in the column of the
process that took it; the observable column says what an observer saw.

     #  add1          complete              observable
     1  invoke                              invoke #1 add_or_run_now('a', c1, add1)
     2  state.read()
     3  phase: Running
    ...

`ascii_chart` is the same chart as plain text, with no styling, for files and tests.
"""

from __future__ import annotations

from workerjob.model.protocol.explorer import Counterexample

OBSERVABLE = "observable"


def rows(cx: Counterexample) -> list[tuple[str, ...]]:
    """The chart's cells: the step number, a cell per lane, and the observation."""
    out = []
    for number, r in enumerate(cx.steps, 1):
        cells = ["" if lane != r.lane else r.detail for lane in cx.lanes]
        seen = "" if r.observation is None else str(r.observation)
        out.append((str(number), *cells, seen))
    return out


def header(cx: Counterexample) -> tuple[str, ...]:
    return ("#", *cx.lanes, OBSERVABLE)


def ascii_chart(cx: Counterexample) -> str:
    """The chart as aligned plain text, followed by why the run is a violation."""
    table = [header(cx), *rows(cx)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].rjust(widths[0])]
        cells += [cell.ljust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    outcome = "returned" if cx.outcome is None else f"raised {cx.outcome}"
    head = (f"{cx.variant}: {cx.kind} against the {cx.spec} spec "
            f"({len(cx.steps)} steps, run() {outcome})")
    return "\n".join([head, *(line(r) for r in table), *explanation(cx)])


def explanation(cx: Counterexample) -> list[str]:
    return [line for reason in cx.reasons for line in reason.splitlines()]
