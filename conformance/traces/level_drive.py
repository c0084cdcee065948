"""The campaign of a level with scenarios of its own (`workerjob drive --level scheduler`,
`timeouts`, `progress`), written once for the three.

A level module (`scheduler_drive`, `timeouts_drive`, `progress_drive`) keeps what is
its own: its scenarios strategy, its `exchange()` (one scenario sent, its answer checked
as it comes; the answer read with `answer()` here), its driver-error type and its
wording. It describes itself as a `Level`, whose `check()` is the Hypothesis campaign on
an open driver and whose `run_campaign()` is the command: the driver opened and closed,
the exit code (0 conforms, 1 violation, 2 the driver is broken), `--save-trace`, and the
JSON summary or the text report, laid out the same for every level.

`drive`'s own campaign (the v1 levels) uses its Hypothesis pieces too: `campaign_settings`,
`quiet`, `Abort` and `Violation`.

It may import Hypothesis and `traces.jsonl`; nothing of the model (the level modules
bring their oracles) and nothing of `drive` (which calls it: the driver process and its
error type are passed in).
"""

from __future__ import annotations

import abc
import contextlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.reporting import with_reporter

from workerjob.conformance.traces.jsonl import JsonlError, JsonObject, decode_last, one_line


class LevelRun(Protocol):
    """One scenario's answer, as a level's `exchange()` returns it."""

    @property
    def steps(self) -> list[JsonObject]: ...

    @property
    def violation(self) -> str | None: ...

    @property
    def violation_line(self) -> int | None: ...  # in the trace (header = line 1)

    def trace_text(self) -> str: ...


MAX_EVENTS = 10_000  # events in one answer (`drive --max-events`)
MAX_BYTES = 16 << 20  # bytes of one answer

S = TypeVar("S")  # a scenario, as the level's strategy draws it
T = TypeVar("T", bound=Callable[..., Any])  # a test function
R = TypeVar("R", bound=LevelRun)


@dataclass
class StepsRun(abc.ABC):
    """One scenario's answer, for a level whose scenario is a list of steps: the events
    the driver answered with and the first violation found in them. The level writes
    its trace."""

    number: int
    steps: list[JsonObject]
    events: list[JsonObject] = field(default_factory=list)
    violation: str | None = None
    violation_line: int | None = None  # in the trace (header = line 1)

    @abc.abstractmethod
    def trace_text(self) -> str: ...


@dataclass
class LevelResult(Generic[R]):
    scenarios: int = 0
    failing: R | None = None
    broke_after: str | None = None  # the driver broke after the violation was found


def by_length(run: LevelRun) -> tuple[int, ...]:
    """A failing run's size: its steps."""
    return (len(run.steps),)


def steps_only(run: LevelRun) -> JsonObject:
    """The failing scenario in the JSON summary: its steps."""
    return {"steps": run.steps}


def no_preamble(run: LevelRun) -> list[str]:
    return []


@dataclass(frozen=True)
class Level(Generic[S, R]):
    """A level with scenarios of its own: what its campaign and its report need."""

    name: str  # `--level`'s name: "(scheduler level)" in the report
    spec: str  # the JSON summary's "spec"
    model: str  # "conforms to {model} through the driver protocol"
    scenarios: Callable[[], st.SearchStrategy[S]]
    # (process, scenario number, scenario, max_events=, max_bytes=): see `answer()`
    exchange: Callable[..., R]
    driver_error: type[Exception]  # what exchange() raises when the driver breaks
    size: Callable[[R], tuple[Any, ...]] = by_length  # smaller: the failing run to report
    describe: Callable[[R], JsonObject] = steps_only  # the failing scenario, in JSON
    preamble: Callable[[R], list[str]] = no_preamble  # text lines before its steps

    def check(self, process: Any, *, examples: int, seed_value: int, shrink: bool = True,
              first_number: int = 1, broken: tuple[type[Exception], ...] = (),
              max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES) -> LevelResult[R]:
        """The campaign on an open driver process. Exceptions of the `broken` types (the
        process's own) and the level's driver error escape, unless a violation was
        found first. `max_events` and `max_bytes` bound each answer (`answer()`)."""
        result: LevelResult[R] = LevelResult()
        counter = [first_number]
        breaks: tuple[type[Exception], ...] = (self.driver_error, *broken)

        @campaign_settings(examples, seed_value, shrink)
        @given(scenario=self.scenarios())
        def one(scenario: S) -> None:
            number = counter[0]
            counter[0] += 1
            try:
                run = self.exchange(process, number, scenario, max_events=max_events,
                                    max_bytes=max_bytes)
            except breaks as exc:
                raise Abort(exc) from None
            result.scenarios += 1
            if run.violation is not None:
                # The smallest run is the report; among equals the later, for Hypothesis
                # runs the example it shrank to last.
                if result.failing is None or self.size(run) <= self.size(result.failing):
                    result.failing = run
                raise Violation(run.violation)

        try:
            with quiet():
                one()
        except Abort as abort:
            # The driver broke: that is the report only when no violation came first
            # (a driver may well break while a failing scenario is shrunk).
            if result.failing is None:
                raise abort.error from None
            result.broke_after = str(abort.error)
        except (Violation, HypothesisException, ExceptionGroup):
            # A violation (shrunk), or Hypothesis found the driver flaky: the smallest
            # violating scenario seen is the report either way.
            if result.failing is None:
                raise
        return result

    def run_campaign(self, open_process: Callable[[], Any], broken: type[Exception], *,
                     command: str, examples: int, seed_value: int, shrink: bool,
                     as_json: bool, save_trace: str | None, replay: str = "",
                     max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES) -> int:
        """`workerjob drive --level NAME`: open the driver, run the campaign, report, and
        return the exit code (0 conforms, 1 violation, 2 the driver is broken). The
        driver is closed in `finally`: whatever happens (it broke, the kit failed, Ctrl-C,
        which propagates to the caller) it is reaped, and before anything is reported."""
        started = time.perf_counter()
        process = None
        result: LevelResult[R] = LevelResult()
        broke: str | None = None
        try:
            process = open_process()
            result = self.check(process, examples=examples, seed_value=seed_value,
                                shrink=shrink, broken=(broken,), max_events=max_events,
                                max_bytes=max_bytes)
        except (self.driver_error, broken) as exc:
            broke = str(exc)
        finally:
            if process is not None:
                process.close()
        seconds = time.perf_counter() - started
        failing = result.failing
        broke = broke or result.broke_after
        code = 1 if failing is not None else 2 if broke is not None else 0
        if failing is not None and save_trace:
            try:
                with open(save_trace, "w", encoding="ascii") as f:
                    f.write(failing.trace_text())
            except OSError as exc:
                print(f"workerjob drive: cannot write {save_trace}: {exc}", file=sys.stderr)
                save_trace = None  # the report must not say it was saved
        summary = f"{result.scenarios} scenarios in {seconds:.1f} s; seed {seed_value}"
        if as_json:
            print(json.dumps({
                "command": command, "spec": self.spec, "seed": seed_value, "exit": code,
                "verdict": ["conforms", "violation", "driver broken"][code],
                "scenarios": result.scenarios, "seconds": round(seconds, 3), "broken": broke,
                "failing": None if failing is None else {
                    "level": self.name, **self.describe(failing), "report": failing.violation,
                    "violation_line": failing.violation_line, "trace": failing.trace_text(),
                    "replay": replay}}))
        elif failing is not None:
            self._report(command, failing, shrink=shrink, save_trace=save_trace, broke=broke)
            print(summary)
            if replay:
                print(f"replay: {replay}")
        elif broke is not None:
            print(f"workerjob drive: the driver `{command}` is broken: {broke}\n{summary}",
                  file=sys.stderr)
        else:
            print(f"{command} conforms to {self.model} through the driver protocol: "
                  f"{summary}")
        return code

    def _report(self, command: str, failing: R, *, shrink: bool, save_trace: str | None,
                broke: str | None) -> None:
        """The failing scenario, the trace with the violating line marked, the violation."""
        print(f"workerjob drive: {command} does not conform ({self.name} level)\n")
        print(f"scenario ({len(failing.steps)} steps{', shrunk' if shrink else ''}):")
        for line in self.preamble(failing):
            print(f"  {line}")
        for step in failing.steps:
            print(f"  {json.dumps(step)}")
        print("\nthe trace the driver answered with:")
        for n, line in enumerate(failing.trace_text().splitlines(), 1):
            print(f"{'>>' if n == failing.violation_line else '  '}{n:4d}  {one_line(line, 400)}")
        print(f"\n{failing.violation}\n")
        if broke is not None:
            print(f"(the driver broke afterwards: {broke})\n")
        if save_trace:
            print(f"saved to {save_trace}: workerjob check-trace {save_trace}")


def answer(process: Any, number: int, events: list[JsonObject], error: type[Exception],
           max_events: int = MAX_EVENTS,
           max_bytes: int = MAX_BYTES) -> Iterator[tuple[JsonObject, int]]:
    """The driver's answer to scenario `number`, read up to its `end`: each event is
    appended to `events` and yielded with its line in the trace (header = line 1). A
    line that is not JSON, an `error` answer, the end of another scenario, or more than
    `max_events` events or `max_bytes` bytes (its lines, the `end` included) raise
    `error`; the process's own errors propagate."""
    size = 0
    while True:
        line_number, raw, newline = process.read()
        size += len(raw)
        try:
            obj = decode_last(raw, line_number, newline)
        except JsonlError as exc:
            raise error(f"driver output line {line_number}: {exc.message}") from None
        kind = obj.get("event")
        if kind in ("end", "error"):
            if obj.get("scenario") != number:
                raise error(f"driver output line {line_number}: {kind} of scenario "
                            f"{one_line(repr(obj.get('scenario')), 40)}, expected scenario "
                            f"{number}")
            if kind == "error":
                raise error("the driver could not run it: "
                            + one_line(str(obj.get("message")), 1000))
            return
        if len(events) >= max_events or size > max_bytes:
            raise error(f"more than {max_events} events or {max_bytes} bytes in one answer")
        events.append(obj)
        yield obj, len(events) + 1


def at_the_end(events: list[JsonObject], explanation: str) -> str:
    """A violation found when the answer ended (the oracle's `finish()`)."""
    return f"at the end of the trace (after line {len(events) + 1}):\n{explanation}"


class Abort(BaseException):
    """Stops Hypothesis at once (it neither shrinks nor retries a BaseException)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class Violation(AssertionError):
    """A scenario's answer broke the model: Hypothesis shrinks it."""


def campaign_settings(examples: int, seed_value: int, shrink: bool) -> Callable[[T], T]:
    """Hypothesis's settings for a campaign through a driver: the scenarios come from
    the seed alone (no example database: a replay line is the seed and the options), no
    deadline (the driver's pace is its own), no shrinking with `shrink` off."""
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    chosen = settings(max_examples=examples, deadline=None, database=None, phases=phases,
                      print_blob=False, derandomize=False,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.filter_too_much])

    def apply(test: T) -> T:
        return seed(seed_value)(chosen(test))

    return apply


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Hypothesis reports through print(); the campaign reports by itself."""
    with with_reporter(lambda _: None), contextlib.redirect_stdout(io.StringIO()):
        yield
