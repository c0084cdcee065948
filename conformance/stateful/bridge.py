"""From the explorer to asyncio: a counterexample of the protocol model, replayed as
a schedule of the controllable loop on an asyncio implementation with the same bug.

The protocol model takes one step per lock operation; an asyncio task runs without
interruption from one `await` to the next. So a protocol schedule becomes a loop
schedule by cutting each process's steps at the points where its asyncio counterpart
awaits, and ordering the pieces by where each one starts in the protocol schedule.
`TaskOrderChooser` then runs the tasks in that order on the `ControlledLoop`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workerjob.conformance.loop.choosers import Candidate
from workerjob.conformance.loop.loop import ControlledLoop
from workerjob.conformance.stateful.recorder import Recorder
from workerjob.conformance.stateful.subject import Subject, raised
from workerjob.model import (
    ATOMIC,
    AddOrRunNow,
    Complete,
    Invoke,
    Observation,
    Ok,
    Spec,
    Violation,
    initial_continuations,
)


def asyncio_order(
    schedule: Sequence[tuple[str, str]], awaits_after: Callable[[str, str], bool]
) -> list[str]:
    """The order in which tasks (named after processes) take their asyncio steps.
    `awaits_after(process, step)` says whether the asyncio counterpart of `process`
    awaits right after `step`: its next step starts a new piece."""
    order: list[str] = []
    open_piece: set[str] = set()  # processes in the middle of a piece
    for process, step in schedule:
        if process not in open_piece:
            order.append(process)
            open_piece.add(process)
        if awaits_after(process, step):
            open_piece.discard(process)
    return order


class TaskOrderChooser:
    """Runs the task named next in `order` when it is ready; when it is not, or when
    the order is used up, the stock loop's choice (so spawned tasks still run)."""

    def __init__(self, order: Sequence[str]) -> None:
        self.order = list(order)
        self.position = 0

    def choose(self, candidates: Sequence[Candidate]) -> int:
        if self.position < len(self.order):
            wanted = self.order[self.position]
            for i, c in enumerate(candidates):
                if c.task == wanted:
                    self.position += 1
                    return i
        return 0


def replay(
    subject: Subject,
    schedule: Sequence[tuple[str, str]],
    trace: Sequence[Observation],
    awaits_after: Callable[[str, str], bool],
    spec: Spec = ATOMIC,
) -> tuple[list[Observation], Violation | None, list[str]]:
    """Run the operations `trace` invokes on `subject`'s Continuations, one task per
    protocol process, in the order the protocol `schedule` gives. Returns what was
    observed, the oracle's verdict, and the task order used."""
    order = asyncio_order(schedule, awaits_after)
    loop = ControlledLoop(TaskOrderChooser(order))
    rec = Recorder(initial_continuations(), spec)
    conts: Any = subject.Continuations()
    token: Any = subject.CancellationToken()
    for obs in trace:
        if isinstance(obs, Invoke):
            name = _process_of(obs)
            loop.create_task(_operation(subject, rec, conts, token, obs), name=name)
    try:
        loop.run_until_idle()
        return rec.history, rec.finish(), order
    finally:
        rec.closed = True
        loop.shutdown()


def _process_of(obs: Invoke) -> str:
    """The explorer names an adder's process after its worker; complete is one."""
    match obs.op:
        case AddOrRunNow(worker=worker):
            return worker
        case Complete():
            return "complete"
    raise ValueError(f"the bridge replays adds and completes, not {obs.op}")


async def _operation(subject: Subject, rec: Recorder, conts: Any, token: Any,
                     obs: Invoke) -> None:
    op = obs.op
    rec.invoke(obs.op_id, op)
    try:
        if isinstance(op, AddOrRunNow):
            cont = op.cont

            async def callback(worker: Any, kind: Any, message: Any) -> None:
                rec.started(cont, worker, kind, message)

            await conts.add_or_run_now(op.key, callback, subject.Worker(op.worker))
        elif isinstance(op, Complete):
            await conts.complete(None, subject.Worker(op.worker), token)
    except Exception as exc:
        rec.returned(obs.op_id, raised(exc))
        return
    rec.returned(obs.op_id, Ok())


__all__ = ["TaskOrderChooser", "asyncio_order", "replay"]
