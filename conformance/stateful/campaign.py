"""A conformance campaign: the state machines of both levels run against one subject
for a budget of examples, with what it did and what it found.

Used by `workerjob verify`, by the mutant tests and by the mutant benchmark; it prints
nothing itself (Hypothesis' own report of a failure is captured into the result).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from hypothesis import Phase, reproduce_failure, seed, settings
from hypothesis.errors import DidNotReproduce
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test
from hypothesis.statistics import collector

from workerjob.conformance.stateful.machine import LEVELS, Stats, SubjectMachine, machine_for
from workerjob.conformance.stateful.subject import Subject
from workerjob.model import ATOMIC, Spec

from .shrink_budget import cut_short, note, shrink_budget
from .watchdog import ExampleHung, Watchdog, watched

if TYPE_CHECKING:
    from hypothesis.internal.conjecture.engine import StatisticsDict


@dataclass
class LevelResult:
    level: str
    examples: int = 0
    steps: int = 0
    schedules: int = 0
    report: str | None = None  # the failure report, None when it conforms
    # `examples` are what `max_examples` counts (Hypothesis' valid examples: what was
    # asked for, fewer at a failure or when the space is exhausted); `runs` every run
    # of the machine besides: the attempts Hypothesis discards (a draw it rejects, data
    # that runs out: about a third more) and, at a failure, the shrinking.
    runs: int = 0
    # Hypothesis' `@reproduce_failure` arguments for the reported example (its version
    # and the example's choices, encoded): replayed, that exact example runs again,
    # whatever shrinking would find this time (it stops at a time budget).
    reproduce: tuple[str, str] | None = None

    @property
    def violations(self) -> int:
        return 0 if self.report is None else 1


@dataclass
class CampaignResult:
    subject: str
    seed: int
    levels: list[LevelResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # levels the subject cannot be driven at

    @property
    def conforms(self) -> bool:
        return all(r.report is None for r in self.levels)


def _describe(failure: BaseException) -> str:
    """An assertion's message is the harness's report; anything else (the subject
    crashed the harness) is named with its type. Hypothesis groups distinct failures."""
    if isinstance(failure, BaseExceptionGroup):
        parts = [_describe(e) for e in failure.exceptions]
        return "\n\n".join(f"failure {i} of {len(parts)}:\n{p}" for i, p in enumerate(parts, 1))
    if isinstance(failure, AssertionError):
        return str(failure)
    return f"{type(failure).__name__}: {failure}"


def _notes(failure: BaseException) -> list[str]:
    notes = [str(n) for n in getattr(failure, "__notes__", [])]
    if isinstance(failure, BaseExceptionGroup):
        for inner in failure.exceptions:
            notes += _notes(inner)
    return notes


@contextlib.contextmanager
def _captured() -> Iterator[list[str]]:
    # Hypothesis reports through its reporter (kept for the report); what the
    # implementation prints goes to stderr: stdout is the verdict's (`--json`).
    lines: list[str] = []
    with with_reporter(lambda value: lines.append(str(value))), contextlib.redirect_stdout(
        sys.stderr
    ):
        yield lines


def run_level(
    subject: Subject,
    level: str,
    *,
    examples: int,
    seed_value: int,
    spec: Spec = ATOMIC,
    shrink: bool = True,
    shrink_seconds: float | None = None,
    tick: Callable[[], None] = lambda: None,
    stats: Stats | None = None,
    example_timeout: float | None = None,
    reproduce: tuple[str, str] | None = None,
) -> LevelResult:
    """One level for `examples` examples; `stats` (if given) accumulates across calls.
    `shrink_seconds`: shrinking stops that long after it starts (None: Hypothesis' own
    limit), and the report says so. `example_timeout`: seconds an example may run before
    it is reported as hung. `reproduce`: run only the example of a report's
    `reproduce` (Hypothesis' `@reproduce_failure`); one that passes now conforms."""
    stats = stats if stats is not None else Stats(tick=tick)
    machine = machine_for(subject, level, spec=spec, stats=stats)
    watchdog = Watchdog(example_timeout or 0.0, _hang_report)
    if example_timeout is not None:
        machine = watched(machine, watchdog)
    machine = seed(seed_value)(machine)
    if reproduce is not None:
        machine = reproduce_failure(reproduce[0], reproduce[1].encode())(machine)
        stats.examples += 1  # (Hypothesis reports no statistics for it)
    # No `explain` phase: its coverage notes are noise here, and they appear in one run
    # of a seed and not in its replay (the database already holds the example).
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    # The profile's database is kept (a failure replays from it too), except when not
    # shrinking: a quick kill check should not fill it with unshrunk examples.
    # One failure per report (`report_multiple_bugs=False`): with two distinct ones,
    # Hypothesis would shrink and print both, on one shrink budget, and the replay line
    # could name only one of them.
    budget = settings(settings(), max_examples=examples, phases=phases,
                      derandomize=False, print_blob=True, report_multiple_bugs=False)
    if not shrink:
        budget = settings(budget, database=None)
    result = LevelResult(level)
    # (collector's variable is typed by its default value, None)
    counting = collector.with_value(_count_examples(stats))  # type: ignore[arg-type]
    with _captured() as printed, shrink_budget(shrink_seconds), watchdog.installed(), \
            counting, _process_exit_refused() as exits:
        try:
            run_state_machine_as_test(machine, settings=budget)
            if exits:  # raised where the implementation swallowed it: still its doing
                result.report = (f"the implementation called os._exit({exits[0]}) during "
                                 "the campaign (refused, and swallowed on the way)")
        except DidNotReproduce:  # the replayed example passes now: nothing to report
            pass
        except ExampleHung as hung:  # not shrunk: each try would cost the whole timeout
            result.report = f"{hung.report}\n\n(a hang is not shrunk; the seed replays it)"
        except Exception as failure:  # every failure is the subject's
            # Hypothesis prints the shrunk rules through its reporter, or (newer
            # versions) attaches them to the exception as notes.
            lines, stopped = cut_short([*printed, *_notes(failure)])
            blobs = [m for m in map(_BLOB.search, lines) if m is not None]
            if blobs:
                result.reproduce = blobs[-1]["version"], blobs[-1]["blob"]
            elif reproduce is not None:  # (a replayed example's is not printed again)
                result.reproduce = reproduce
            steps = "\n".join(line for line in lines if line.strip() and not _BLOB.search(line))
            result.report = f"{_describe(failure)}\n\nshrunk to these rules:\n{steps}"
            if stopped and shrink_seconds is not None:
                result.report += f"\n{note(shrink_seconds)}"
    result.examples, result.runs, result.steps, result.schedules = (
        stats.examples, stats.runs, stats.steps, len(stats.schedules))
    return result


# What Hypothesis prints with `print_blob` (kept in the result, not in the report).
_BLOB = re.compile(r"@reproduce_failure\('(?P<version>[^']+)', b'(?P<blob>[A-Za-z0-9+/=]+)'\)")


def _count_examples(stats: Stats) -> Callable[[StatisticsDict], None]:
    """Hypothesis' statistics of one run (what its pytest plugin prints with
    `--hypothesis-show-statistics`): the valid examples of the phases that run examples,
    the count that `max_examples` bounds. Delivered after the search, failing or not."""
    def note(statistics: StatisticsDict) -> None:
        for phase in (statistics.get("reuse-phase"), statistics.get("generate-phase")):
            if phase is not None:
                stats.examples += sum(case["status"] == "valid" for case in phase["test-cases"])
    return note


def _hang_report(machine: SubjectMachine, what: str) -> str:
    """The machine's failure report (observations, schedule so far) for a hang, or the
    bare line if the machine had not got that far."""
    try:
        return machine.failure(what)
    except AttributeError:
        return f"{machine.subject.name} does not conform:\n{what}"


FIRST_ROUND = 5  # examples per level in the first round (then `chunk` per round)


class ProcessExitRefused(Exception):
    """What `os._exit()` raises while a campaign runs (`_process_exit_refused`)."""


@contextlib.contextmanager
def _process_exit_refused() -> Iterator[list[int]]:
    """`os._exit()` raises instead of ending the process, while the implementation runs:
    an implementation that ends the process would otherwise end `verify` with the exit
    code it chose (0: "conforms") and no report. The exception is the operation's
    outcome, which the model refuses; the codes it was called with are yielded (a
    swallowed one is still reported). A worker of `--workers` is watched by its parent
    besides (`parallel.WorkerDied`)."""
    calls: list[int] = []
    real = os._exit

    def refused(status: int) -> NoReturn:
        calls.append(status)
        raise ProcessExitRefused(f"the implementation called os._exit({status})")

    os._exit = refused
    try:
        yield calls
    finally:
        os._exit = real  # multiprocessing ends a worker with it, after the campaign


def run_campaign(
    subject: Subject,
    *,
    examples: int,
    seed_value: int,
    spec: Spec = ATOMIC,
    levels: tuple[str, ...] | None = None,
    shrink: bool = True,
    shrink_seconds: float | None = None,
    chunk: int = 20,
    tick: Callable[[], None] = lambda: None,
    example_timeout: float | None = None,
    on_round: Callable[[str, int], None] = lambda level, budget: None,
    reproduce: tuple[str, str] | None = None,
) -> CampaignResult:
    """`examples` per level (default: every level), the levels taking turns in rounds
    of `chunk` examples, the first of `FIRST_ROUND` (a round seeded `seed_value` plus
    the examples per level before it), so a bug that only one level can see is met
    early whichever it is; stops at the first violation. A level whose
    names the subject does not export (an enhancement's) is skipped, and said so."""
    levels = tuple(LEVELS) if levels is None else levels
    skipped = [level for level in levels if not LEVELS[level].supports(subject)]
    levels = tuple(level for level in levels if level not in skipped)
    stats = {level: Stats(tick=tick) for level in levels}
    reports: dict[str, str | None] = dict.fromkeys(levels)
    blobs: dict[str, tuple[str, str] | None] = dict.fromkeys(levels)
    if reproduce is not None:  # one example: one round
        chunk = examples
    done = 0
    # What exists now (modules, Hypothesis' own state) is left out of garbage collection
    # until the campaign ends: the harness collects after an example whose continuation
    # task may be garbage (machine.quiesce), and a full collection of everything costs
    # tens of milliseconds. Unfrozen at the end, so nothing is kept for good.
    gc.freeze()
    try:
        while done < examples and not any(reports.values()):
            # The first round is short, so that a bug only a later level can see waits
            # for little of the levels before it; the rounds after it are `chunk` long.
            budget = min(chunk if done else min(chunk, FIRST_ROUND), examples - done)
            for level in levels:
                on_round(level, budget)  # the progress bar's rounds
                found = run_level(subject, level, examples=budget,
                                  seed_value=seed_value + done, spec=spec, shrink=shrink,
                                  shrink_seconds=shrink_seconds, stats=stats[level],
                                  example_timeout=example_timeout, reproduce=reproduce)
                if found.report is not None:
                    reports[level], blobs[level] = found.report, found.reproduce
                    break
            done += budget
    finally:
        gc.unfreeze()
    out = CampaignResult(subject.name, seed_value, skipped=skipped)
    for level in levels:
        s = stats[level]
        out.levels.append(LevelResult(level, s.examples, s.steps, len(s.schedules),
                                      reports[level], runs=s.runs, reproduce=blobs[level]))
    return out
