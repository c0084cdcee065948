"""`workerjob explore`: exhaustively explore the protocol model of the original.

Every interleaving of a variant's processes within a bound (`model/protocol/protocol.py`) is
searched for a deadlock, a continuation left behind, or an observable trace the spec's
oracle rejects (`model/protocol/explorer.py`). Exit 0 when everything holds, 1 with a
counterexample when something fails, 2 on bad usage, 3 when the bound was not covered.

Every search runs within a budget (`--max-states`, `--max-memory`): the number of
states grows exponentially with the adders, and a search that cannot finish must say
so rather than grow until the machine swaps. When the budget runs out the verdict is
"bound not covered": nothing was proved or refuted for that bound. Before a search
with more than three adders (the converse: more than one), the same search at 1, 2
and 3 adders (the converse: 0 and 1) gives an estimate of its size and its memory
(the growth per adder, extrapolated); a search estimated past the budget is not
started. Every phase (the search, `--compare`'s unreduced search, `--shortest`,
`--converse`) shows its progress on a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from workerjob.conformance.cli import terminal
from workerjob.conformance.render.explorer_chart import ascii_chart
from workerjob.model.protocol.explorer import (
    FULL,
    NONE,
    SHORTEST,
    Counterexample,
    Reduction,
    Report,
    explore,
)
from workerjob.model.protocol.explorer_inclusion import Inclusion, spec_traces_included
from workerjob.model.protocol.protocol import BOOM, VARIANTS, Config, Variant
from workerjob.model.spec import SPECS, Spec
from workerjob.model.vocabulary import TaskError

OUTCOMES: dict[str, tuple[TaskError | None, ...]] = {
    "normal": (None,),
    "failed": (BOOM,),
    "both": (None, BOOM),
}


def _count(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value

    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="original",
                        help="the protocol variant to explore (default: original)")
    parser.add_argument("--spec", choices=sorted(SPECS), default="atomic",
                        help="the spec every trace must be a trace of (default: atomic)")
    parser.add_argument("--adders", type=_count(0), default=3, metavar="N",
                        help="concurrent add_or_run_now calls (default: 3)")
    parser.add_argument("--keys", type=_count(1, 26), default=2, metavar="K",
                        help="keys the adders share, round-robin (default: 2)")
    parser.add_argument("--no-cancel", dest="cancel", action="store_false",
                        help="no token.cancel() racing complete")
    parser.add_argument("--no-read", dest="read", action="store_false",
                        help="no state read racing complete")
    parser.add_argument("--job", action="store_true",
                        help="the job level: complete is the job's own completion, called "
                        "by the launch wrapper once run() ended (seen as run() ending)")
    parser.add_argument("--outcome", choices=sorted(OUTCOMES), default="both",
                        help="how run() ends: returns, raises, or each in turn (default: both)")
    parser.add_argument("--no-reduce", dest="reduce", action="store_false",
                        help="search every interleaving (no partial-order reduction, "
                        "fusion or subsumption)")
    parser.add_argument("--compare", action="store_true",
                        help="also search without reduction, and show what it saves")
    parser.add_argument("--shortest", action="store_true",
                        help="for a failure, search every interleaving for a shortest "
                        "counterexample (slower)")
    parser.add_argument("--converse", action="store_true",
                        help="also check that every trace of the spec is a trace of the "
                        "variant (the spec is then exactly the variant's behaviour)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--max-states", type=_count(1), default=MAX_STATES, metavar="N",
                        help=f"budget of each search, in states (default: {MAX_STATES:,})")
    parser.add_argument("--max-memory", type=_count(64), default=MAX_MEMORY_MIB, metavar="MIB",
                        help="budget of the process's memory, in MiB (default: "
                        f"{MAX_MEMORY_MIB:,})")
    parser.add_argument("--no-estimate", dest="estimate", action="store_false",
                        help="start a search even when its estimated size is over the budget")


MAX_STATES = 2_000_000
MAX_MEMORY_MIB = 2048
EXIT_NOT_COVERED = 3


class BoundNotCovered(Exception):
    """A search ran out of its budget: nothing is proved or refuted for the bound."""


def _memory_mib() -> float:
    """The process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass(frozen=True)
class Budget:
    states: int
    memory_mib: int

    def check(self, states: int, phase: str) -> None:
        if states > self.states:
            raise BoundNotCovered(f"{phase} passed {self.states:,} states (--max-states)")
        memory = _memory_mib()
        if memory > self.memory_mib:
            at = f" at {states:,} states" if states else ""
            raise BoundNotCovered(f"{phase} reached {memory:,.0f} MiB of memory{at} "
                                  f"(--max-memory {self.memory_mib:,})")


@dataclass(frozen=True)
class Timed:
    report: Report
    seconds: float

    @property
    def rate(self) -> float:
        return self.report.states / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Outcome:
    """Everything `explore` found about one variant."""

    variant: Variant
    main: Timed
    unreduced: Timed | None
    counterexample: Counterexample | None
    shortest: bool  # the counterexample is a shortest over every interleaving
    converse: Inclusion | None
    not_covered: str | None = None  # the budget ran out: what stopped, where

    @property
    def holds(self) -> bool:
        return self.not_covered is None and self.main.report.holds

    @property
    def code(self) -> int:
        if self.not_covered is not None and self.main.report.holds:
            return EXIT_NOT_COVERED  # (a counterexample found before is still one)
        return 0 if self.holds else 1


def run(args: argparse.Namespace) -> int:
    config = Config(args.adders, args.keys, args.cancel, args.read, OUTCOMES[args.outcome],
                    job=args.job)
    spec = SPECS[args.spec]
    variants = list(VARIANTS.values()) if args.variant == "all" else [VARIANTS[args.variant]]
    err = terminal.console(stderr=True)
    live = not args.json and err.is_terminal
    budget = Budget(args.max_states, args.max_memory)
    outcomes = [_explore_one(v, config, spec, args, err if live else None, budget, err)
                for v in variants]
    if args.json:
        print(json.dumps(as_json(config, spec, outcomes), indent=2))
    else:
        console = terminal.console(highlight=False)
        for outcome in outcomes:
            show(config, spec, outcome, console)
    codes = {o.code for o in outcomes}
    return 1 if 1 in codes else EXIT_NOT_COVERED if EXIT_NOT_COVERED in codes else 0


def _explore_one(variant: Variant, config: Config, spec: Spec, args: argparse.Namespace,
                 live: Console | None, budget: Budget, err: Console) -> Outcome:
    reduction = FULL if args.reduce else NONE
    main: Timed | None = None
    unreduced, cx, shortest, converse = None, None, not args.reduce, None
    try:
        def estimate(what: str, search: Search, probes: range, unit: str = "states") -> None:
            if args.estimate:
                _estimate(what, search, config, budget, err, probes=probes, unit=unit)

        # Every estimate before any search: a bound that will not fit is said at once.
        # The converse's first: its size is in memory more than in pairs, and memory is
        # measured as the process grows, which a search before it would hide (the
        # probe would reuse what that search freed). A later phase that will not fit
        # still lets the search run (its verdict is the one a user came for), and is
        # not covered when its turn comes.
        later: dict[str, BoundNotCovered] = {}

        def estimate_later(phase: str, what: str, search: Search, probes: range,
                           unit: str = "states") -> None:
            try:
                estimate(what, search, probes, unit)
            except BoundNotCovered as exc:
                later[phase] = exc

        if args.converse:
            estimate_later("converse", f"the converse of {variant.name}",
                           _conversing(variant, spec), CONVERSE_PROBES, "knowledge pairs")
        estimate(_label(variant, reduction), _searching(variant, spec, reduction), PROBES)
        if args.compare and args.reduce:
            estimate_later("compare", f"the unreduced search of {variant.name}",
                           _searching(variant, spec, NONE), PROBES)
        main = _timed(variant, config, spec, reduction, live, budget)
        cx = main.report.counterexample
        if args.compare and args.reduce:
            if "compare" in later:
                raise later["compare"]
            unreduced = _timed(variant, config, spec, NONE, live, budget)
        if cx is not None and args.shortest and args.reduce:
            # (estimated from the same search at each smaller bound, to its own first
            # shortest counterexample; the one here is also cut at the found one's depth)
            estimate(f"the search for a shortest counterexample of {variant.name}",
                     _searching(variant, spec, SHORTEST), PROBES)
            found = _timed(variant, config, spec, SHORTEST, live, budget,
                           max_depth=len(cx.steps))
            cx, shortest = found.report.counterexample or cx, True
        if args.converse:
            if "converse" in later:
                raise later["converse"]
            with _Ticker(f"{variant.name} (converse)", live, budget, "the converse search",
                         unit="pairs") as ticker:
                converse = spec_traces_included(variant, config, spec, progress=ticker.tick)
    except BoundNotCovered as exc:
        return Outcome(variant, main or _unfinished(variant, config, spec, reduction),
                       unreduced, cx, shortest, converse, not_covered=str(exc))
    return Outcome(variant, main, unreduced, cx, shortest, converse)


def _unfinished(variant: Variant, config: Config, spec: Spec, reduction: Reduction) -> Timed:
    """The main search's place in an Outcome when it did not finish."""
    return Timed(Report(variant, config, spec, reduction, 0, 0, 0, 0, 0, 0, None), 0.0)


# The adder counts a search's size is estimated from, before a search at more adders:
# each takes seconds at most (the converse grows fastest: one adder takes a second).
PROBES = range(1, 4)
CONVERSE_PROBES = range(0, 2)
MEASURABLE_MIB = 16.0
ALARM_EVERY = 0.25  # seconds between two checks of the memory during a search


Search = Callable[[Config, Callable[[int, int, int], None]], int]


@dataclass
class _Probe:
    """A small search run for an estimate: its size and the memory it took (the
    process's peak above where it started, sampled at every progress call)."""

    budget: Budget
    base: float
    peak: float = 0.0

    def tick(self, states: int, _transitions: int, _depth: int) -> None:
        self.peak = max(self.peak, _memory_mib() - self.base)
        self.budget.check(states, "the estimate")


def _estimate(what: str, search: Search, config: Config, budget: Budget, err: Console, *,
              probes: range, unit: str = "states") -> None:
    """Run `search` at the adder counts of `probes` below `config.adders` (each within
    a small budget), and extrapolate its growth per adder, in size and in memory, to
    `config.adders`. Over the budget: the bound is not covered, and the search is not
    started. The estimate is printed (stderr). A search within the probes' bounds is
    not estimated: it takes seconds at most."""
    if config.adders <= probes[-1]:
        return
    sizes: list[tuple[int, int, float]] = []  # (adders, size, MiB)
    probe_budget = Budget(max(budget.states // 20, 1), budget.memory_mib)
    for adders in probes:
        probe = _Probe(probe_budget, _memory_mib())
        try:
            size = search(replace(config, adders=adders), probe.tick)
        except BoundNotCovered:
            break
        # (a failing variant's search stops at its first counterexample: the sizes
        # then estimate the work up to it, which also grows with the adders)
        sizes.append((adders, size, max(probe.peak, _memory_mib() - probe.base)))
    if len(sizes) < 2:
        return
    (_, before, _), (last, size, mib) = sizes[-2], sizes[-1]
    growth = max(size / max(before, 1), 1.0)
    estimate = size * growth ** (config.adders - last)
    # The memory per unit grows with the adders too (bigger states): the largest
    # probe's is a floor, so this is rather under than over. A probe that grew the
    # process by less than MEASURABLE_MIB says nothing (first-time caches, arenas a
    # search before it freed): no memory estimate then, the budget still holds.
    memory = _memory_mib() + estimate * mib / max(size, 1) if mib >= MEASURABLE_MIB else 0.0
    known = ", ".join(f"{n:,} at {a} adder{'' if a == 1 else 's'}" for a, n, _ in sizes)
    weight = f" and {_approx(memory)} MiB" if memory else ""
    line = (f"estimate for {what} with {config.adders} adders: about {_approx(estimate)} "
            f"{unit}{weight} ({known}: x{growth:.1f} per adder)")
    if estimate > budget.states:
        raise BoundNotCovered(f"{line}, over the budget of {budget.states:,} {unit} "
                              "(--max-states): not searched")
    if memory > budget.memory_mib:
        raise BoundNotCovered(f"{line}, over the budget of {budget.memory_mib:,} MiB "
                              "(--max-memory): not searched")
    err.print(f"workerjob explore: {line}", markup=False, highlight=False, soft_wrap=True)


def _searching(variant: Variant, spec: Spec, reduction: Reduction) -> Search:
    def search(config: Config, progress: Callable[[int, int, int], None]) -> int:
        return explore(variant, config, spec, reduce=reduction, progress=progress).states
    return search


def _conversing(variant: Variant, spec: Spec) -> Search:
    def search(config: Config, progress: Callable[[int, int, int], None]) -> int:
        return spec_traces_included(variant, config, spec, progress=progress).pairs
    return search


def _approx(n: float) -> str:
    return f"{n:,.0f}" if n < 1e9 else f"{n:.1e}"


def _timed(variant: Variant, config: Config, spec: Spec, reduction: Reduction,
           err: Console | None, budget: Budget, max_depth: int | None = None) -> Timed:
    """One search, timed, within the budget, with a progress line on a terminal once
    it runs long."""
    label = _label(variant, reduction)
    phase = {FULL: "the search", NONE: "the unreduced search",
             SHORTEST: "the search for a shortest counterexample"}.get(reduction, "the search")
    start = time.perf_counter()
    with _Ticker(label, err, budget, phase) as ticker:
        report = explore(variant, config, spec, reduce=reduction, max_depth=max_depth,
                         progress=ticker.tick)
    return Timed(report, time.perf_counter() - start)


def _label(variant: Variant, reduction: Reduction) -> str:
    return variant.name if reduction == FULL else f"{variant.name} ({reduction})"


class _Ticker:
    """The budget, checked at every progress call of a search, and a progress line
    with the search's counts, shown on a terminal once a search has run for half a
    second."""

    def __init__(self, label: str, console: Console | None, budget: Budget, phase: str,
                 unit: str = "states") -> None:
        self.label = label
        self.console = console
        self.budget, self.phase, self.unit = budget, phase, unit
        self.start = time.perf_counter()
        self.progress: Progress | None = None
        self.task = TaskID(0)

    def __enter__(self) -> _Ticker:
        # The memory is also checked by a periodic alarm: one step of a search at a
        # large bound (the spec's closure with many operations in flight) can grow by
        # gigabytes before the search calls `tick` again.
        self.alarm = hasattr(signal, "setitimer") and \
            threading.current_thread() is threading.main_thread()
        if self.alarm:
            self.previous = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, ALARM_EVERY, ALARM_EVERY)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        if self.progress is not None:
            self.progress.stop()

    def _alarm(self, signum: int, frame: object) -> None:
        self.budget.check(0, self.phase)

    def tick(self, states: int, transitions: int, depth: int) -> None:
        self.budget.check(states, self.phase)
        if self.console is None:
            return
        elapsed = time.perf_counter() - self.start
        if self.progress is None:
            if elapsed < 0.5:
                return
            # the total is unknown until the search ends: the bar pulses
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                     BarColumn(bar_width=20), TimeElapsedColumn(),
                                     console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=None)
        rate = states / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, description=(
            f"{self.label}: {states:,} {self.unit}, depth {depth}, {rate:,.0f}/s"))


# --- output ---------------------------------------------------------------------------


def _figures(t: Timed) -> str:
    r = t.report
    return (f"{r.states:,} states, {r.transitions:,} transitions, "
            f"{r.protocol_states:,} protocol states, depth {r.depth}, "
            f"{t.seconds:.2f} s, {t.rate:,.0f} states/s")


def show(config: Config, spec: Spec, o: Outcome, console: Console) -> None:
    r = o.main.report
    console.rule(f"[bold]{o.variant.name}[/] against the {spec.name} spec")
    console.print(o.variant.sentence, markup=False)
    console.print(f"bound: {config.describe()}", markup=False)
    console.print(f"reduction: {r.reduction}")
    if o.not_covered is not None and r.holds and r.states:
        # the search finished and holds; a later phase (--compare's, the converse) did not
        console.print(f"[green]holds[/]: no deadlock, no continuation left behind, every "
                      f"trace accepted by the {spec.name} oracle")
        console.print(_figures(o.main))
        console.print(f"[yellow]bound not covered[/] after it: {o.not_covered}; nothing is "
                      "proved or refuted by that phase (a smaller bound, or a larger budget)",
                      markup=True, soft_wrap=True)
    elif o.not_covered is not None and r.holds:
        console.print(f"[yellow]bound not covered[/]: {o.not_covered}; nothing is proved "
                      "or refuted for this bound (a smaller bound, or a larger budget)",
                      markup=True, soft_wrap=True)
    elif o.holds:
        console.print(f"[green]holds[/]: no deadlock, no continuation left behind, every "
                      f"trace accepted by the {spec.name} oracle")
        console.print(_figures(o.main))
    else:
        console.print(f"[red]fails[/]: {r.counterexample.kind if r.counterexample else ''} "
                      f"(search stopped at depth {r.depth})")
        console.print(_figures(o.main))
    if o.not_covered is not None and not r.holds:
        console.print(f"then {o.not_covered}: not covered", markup=False)
    if o.unreduced is not None:
        u = o.unreduced
        console.print(f"without reduction: {_figures(u)}")
        console.print(f"reduction saves: {_ratio(u.report.states, r.states)} states, "
                      f"{_ratio(u.seconds, o.main.seconds)} time")
    if o.counterexample is not None:
        which = ("a shortest counterexample over every interleaving" if o.shortest else
                 "a shortest counterexample among the runs the reduction keeps "
                 "(--shortest: over every interleaving)")
        console.print(f"{which}:")
        console.print(ascii_chart(o.counterexample), markup=False, soft_wrap=True)
    if o.converse is not None:
        c = o.converse
        if c.holds:
            console.print(f"converse: every trace of {spec.name} is a trace of "
                          f"{o.variant.name} ({c.pairs:,} knowledge pairs)")
        else:
            missing = "; ".join(str(x) for x in c.missing or ())
            console.print(f"converse: {spec.name} allows a trace {o.variant.name} cannot "
                          f"produce: {missing}", markup=False)


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.1f}x" if small > 0 else "-"


def as_json(config: Config, spec: Spec, outcomes: list[Outcome]) -> dict[str, object]:
    return {
        "ok": all(o.holds for o in outcomes),
        "spec": spec.name,
        "bound": {
            "adders": config.adders,
            "keys": config.keys,
            "cancel": config.cancel,
            "read": config.read,
            "outcomes": ["returned" if e is None else f"raised {e}" for e in config.outcomes],
        },
        "results": [_result_json(o) for o in outcomes],
    }


def _search_json(t: Timed) -> dict[str, object]:
    r = t.report
    return {
        "reduction": str(r.reduction),
        "states": r.states,
        "transitions": r.transitions,
        "subsumed": r.subsumed,
        "protocol_states": r.protocol_states,
        "terminals": r.terminals,
        "depth": r.depth,
        "seconds": round(t.seconds, 4),
        "states_per_second": round(t.rate),
    }


def _result_json(o: Outcome) -> dict[str, object]:
    out: dict[str, object] = {
        "variant": o.variant.name,
        "sentence": o.variant.sentence,
        "holds": o.holds,
        "covered": o.not_covered is None,
        "not_covered": o.not_covered,
        "search": _search_json(o.main),
        "unreduced": None if o.unreduced is None else _search_json(o.unreduced),
        "counterexample": None,
        "converse": None,
    }
    cx = o.counterexample
    if cx is not None:
        out["counterexample"] = {
            "kind": cx.kind,
            "shortest_over_every_interleaving": o.shortest,
            "outcome": "returned" if cx.outcome is None else f"raised {cx.outcome}",
            "length": len(cx.steps),
            "steps": [
                {"process": r.lane, "step": r.name, "detail": r.detail,
                 "observation": None if r.observation is None else str(r.observation)}
                for r in cx.steps
            ],
            "trace": [str(x) for x in cx.trace],
            "reasons": list(cx.reasons),
            "chart": ascii_chart(cx),
        }
    if o.converse is not None:
        out["converse"] = {
            "holds": o.converse.holds,
            "pairs": o.converse.pairs,
            "missing": None if o.converse.missing is None
            else [str(x) for x in o.converse.missing],
        }
    return out


__all__ = ["configure", "run"]

if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["explore", *sys.argv[1:]]))
