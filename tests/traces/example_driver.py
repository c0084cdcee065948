"""What an implementer writes: a driver for a toy Continuations, with nothing but the
standard library (no workerjob import). The README's skeleton is this file, shortened.

    .venv/bin/workerjob drive --level continuations -- \
        .venv/bin/python tests/traces/example_driver.py

(from the repository root; continuations level only: this toy has no WorkerJob, and
answers job-level scenarios with an `error` event, which `drive` reports as exit 2)

The toy is synchronous: every operation takes effect and returns at once, and a due
continuation starts inside the call that made it due (which SPEC allows: nothing says
when a start happens, only that it happens once, with the right arguments). A driver for
a real runtime starts each operation concurrently instead, and waits at "settle" until
nothing more happens by itself. This one has no job, so it answers job-level scenarios
with an `error` event.
"""

from __future__ import annotations

import json
import sys
from typing import Any

events: list[dict[str, Any]] = []


def emit(**event: Any) -> None:
    events.append(event)


class Continuations:  # the "implementation": SPEC's Continuations, in 20 lines
    def __init__(self) -> None:
        self.state: tuple[str, str | None] | None = None  # None: Running
        self.registry: dict[str, tuple[int, str]] = {}
        self.cancelled = False

    def add_or_run_now(self, key: str, cont: int, behaviour: str, worker: str) -> None:
        if self.state is None:
            self.registry[key] = (cont, behaviour)
        else:
            run(cont, behaviour, worker, *self.state)

    def complete(self, error: dict[str, str] | None, worker: str) -> None:
        if self.state is not None:
            raise RuntimeError("InvalidStateError")
        kind = "cancelled" if self.cancelled else "normal" if error is None else "failed"
        message = None if error is None else error["message"] or error["type"]
        self.state = (kind, message)
        due, self.registry = self.registry, {}
        for cont, behaviour in due.values():
            run(cont, behaviour, worker, kind, message)


def run(cont: int, behaviour: str, worker: str, kind: str, message: str | None) -> None:
    """A continuation: it reports its start first thing; 'raises' must disturb nothing."""
    emit(event="start", cont=cont, worker=worker, completion_type=kind, error_message=message)


def step(conts: Continuations, s: dict[str, Any]) -> None:
    do = s["do"]
    if do in ("settle", "open_gate"):
        return  # synchronous: everything has settled already
    invoke = {k: v for k, v in s.items() if k not in ("do", "behaviour")}
    emit(event="invoke", op=do, **invoke)
    try:
        value: dict[str, Any] | None = None
        if do == "add_or_run_now":
            conts.add_or_run_now(s["key"], s["cont"], s["behaviour"], s["worker"])
        elif do == "complete":
            conts.complete(s["error"], s["worker"])
        elif do == "cancel":
            conts.cancelled = True
        elif do == "state":
            if conts.state is None:
                value = {"state": "running"}
            else:
                kind, message = conts.state
                value = {"state": "done", "completion_type": kind, "error_message": message}
    except RuntimeError as exc:
        emit(event="return", id=s["id"], raises={"type": str(exc)})
    else:
        emit(event="return", id=s["id"], ok=value)


def main() -> None:
    for line in sys.stdin:
        scenario = json.loads(line)
        events.clear()
        if scenario["level"] != "continuations":
            answer = [{"event": "error", "scenario": scenario["scenario"],
                       "message": "this example drives Continuations only"}]
        else:
            conts = Continuations()
            for s in scenario["steps"]:
                step(conts, s)
            answer = [*events, {"event": "end", "scenario": scenario["scenario"]}]
        sys.stdout.write("".join(json.dumps(e) + "\n" for e in answer))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
