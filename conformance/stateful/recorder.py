"""The recorder: every observation of a run, in the order asyncio made it, fed to the
oracle the moment it happens.

asyncio runs one callback at a time, so the order in which the harness records is
the order in which things happened: no clock, no history search afterwards.
"""

from __future__ import annotations

from workerjob.conformance.stateful.subject import Untranslatable, completion_type
from workerjob.model import (
    ATOMIC,
    Invoke,
    Observation,
    Op,
    Oracle,
    Result,
    Return,
    RunEnded,
    RunOutcome,
    Spec,
    Start,
    State,
    Violation,
)


class Recorder:
    def __init__(self, initial: State, spec: Spec = ATOMIC) -> None:
        self.oracle = Oracle(initial, spec)
        self.history: list[Observation] = []
        self.closed = False  # after the final check: what happens next is teardown
        self.problem: str | None = None  # the subject did something the model can't say
        self._next_id = 0

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def violation(self) -> Violation | None:
        return self.oracle.violation

    def record(self, obs: Observation) -> None:
        if self.closed:
            return
        self.history.append(obs)
        self.oracle.observe(obs)

    def invoke(self, op_id: int, op: Op) -> None:
        self.record(Invoke(op_id, op))

    def returned(self, op_id: int, result: Result) -> None:
        self.record(Return(op_id, result))

    def started(self, cont: int, worker: object, ctype: object, message: object) -> None:
        """A continuation started with the arguments it received."""
        try:
            kind = completion_type(ctype)
        except Untranslatable as exc:
            self.untranslatable(f"c{cont} received {exc}")
            return
        if message is not None and not isinstance(message, str):
            self.untranslatable(f"c{cont} received error_message {message!r}, not a str")
            return
        name = getattr(worker, "name", repr(worker))
        self.record(Start(cont, str(name), kind, message))

    def run_ended(self, outcome: RunOutcome) -> None:
        self.record(RunEnded(outcome))

    def untranslatable(self, what: str) -> None:
        if not self.closed and self.problem is None:
            self.problem = f"the implementation did something the contract has no word for: {what}"

    def breaks(self, what: str) -> None:
        """A rule of SPEC that the harness checks itself (the model has no word for it:
        bad input, identity of what is handed over, the token's waiters, leaks)."""
        if not self.closed and self.problem is None:
            self.problem = f"the implementation breaks SPEC: {what}"

    def finished_continuations(self) -> frozenset[int]:
        """Continuations that every state the oracle keeps has started or replaced."""
        sets = [s.started | s.replaced for s in self.oracle.states]
        return frozenset.intersection(*sets) if sets else frozenset()

    def finish(self) -> Violation | None:
        self.closed = True
        return self.oracle.finish()

    def report(self) -> str | None:
        """What is wrong so far, in words, or None."""
        if self.problem is not None:
            return self.problem
        v = self.oracle.violation
        return None if v is None else v.explain()
