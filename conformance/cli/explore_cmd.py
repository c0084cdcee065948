"""`workerjob explore`: exhaustively explore the protocol model of the original.

Every interleaving of a variant's processes within a bound (`model/protocol/protocol.py`) is
searched for a deadlock, a continuation left behind, or an observable trace the spec's
oracle rejects (`model/protocol/explorer.py`). Exit 0 when everything holds, 1 with a
counterexample when something fails, 2 on bad usage, 3 when the bound was not covered.

Every search runs within a budget (`--max-states`, `--max-memory`): the number of
states grows exponentially with the adders, and a search that cannot finish must say
so rather than grow until the machine swaps. When the budget runs out the verdict is
"bound not covered": nothing was proved or refuted for that bound. Before a search
with more than three adders, the searches at 1, 2, ... adders give an estimate of its
size (the growth per adder, extrapolated); a search estimated past the budget is not
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
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

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
    err = Console(stderr=True)
    live = not args.json and err.is_terminal
    budget = Budget(args.max_states, args.max_memory)
    outcomes = [_explore_one(v, config, spec, args, err if live else None, budget, err)
                for v in variants]
    if args.json:
        print(json.dumps(as_json(config, spec, outcomes), indent=2))
    else:
        console = Console(highlight=False)
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
        if args.estimate and config.adders > ESTIMATE_FROM:
            _estimate(variant, config, spec, reduction, budget, err)
        main = _timed(variant, config, spec, reduction, live, budget)
        cx = main.report.counterexample
        if args.compare and args.reduce:
            unreduced = _timed(variant, config, spec, NONE, live, budget)
        if cx is not None and args.shortest and args.reduce:
            found = _timed(variant, config, spec, SHORTEST, live, budget,
                           max_depth=len(cx.steps))
            cx, shortest = found.report.counterexample or cx, True
        if args.converse:
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


ESTIMATE_FROM = 3  # searches up to this many adders take seconds at most
ALARM_EVERY = 0.25  # seconds between two checks of the memory during a search


def _estimate(variant: Variant, config: Config, spec: Spec, reduction: Reduction,
              budget: Budget, err: Console) -> None:
    """Search the same bound with 1, 2, 3 adders (each within a small budget), and
    extrapolate the growth per adder to `config.adders`. Over the budget: the bound is
    not covered, and the search is not started. The estimate is printed (stderr)."""
    sizes: list[int] = []
    probe_budget = Budget(max(budget.states // 20, 1), budget.memory_mib)
    for adders in range(1, min(config.adders, ESTIMATE_FROM + 1)):
        small = Config(adders, config.keys, config.cancel, config.read, config.outcomes)
        try:
            report = explore(variant, small, spec, reduce=reduction,
                             progress=lambda n, _t, _d: probe_budget.check(n, "the estimate"))
        except BoundNotCovered:
            break
        # (a failing variant's search stops at its first counterexample: the sizes
        # then estimate the work up to it, which also grows with the adders)
        sizes.append(report.states)
    if len(sizes) < 2:
        return
    growth = max(sizes[-1] / max(sizes[-2], 1), 1.0)
    estimate = sizes[-1] * growth ** (config.adders - len(sizes))
    known = ", ".join(f"{n:,} at {i} adder{'s' if i > 1 else ''}"
                      for i, n in enumerate(sizes, 1))
    line = (f"estimate for {variant.name} with {config.adders} adders: about "
            f"{_approx(estimate)} states ({known}: x{growth:.1f} per adder)")
    if estimate > budget.states:
        raise BoundNotCovered(f"{line}, over the budget of {budget.states:,} (--max-states): "
                              "not searched")
    err.print(f"workerjob explore: {line}", markup=False, highlight=False, soft_wrap=True)


def _approx(n: float) -> str:
    return f"{n:,.0f}" if n < 1e9 else f"{n:.1e}"


def _timed(variant: Variant, config: Config, spec: Spec, reduction: Reduction,
           err: Console | None, budget: Budget, max_depth: int | None = None) -> Timed:
    """One search, timed, within the budget, with a progress line on a terminal once
    it runs long."""
    label = variant.name if reduction == FULL else f"{variant.name} ({reduction})"
    phase = {FULL: "the search", NONE: "the unreduced search",
             SHORTEST: "the search for a shortest counterexample"}.get(reduction, "the search")
    start = time.perf_counter()
    with _Ticker(label, err, budget, phase) as ticker:
        report = explore(variant, config, spec, reduce=reduction, max_depth=max_depth,
                         progress=ticker.tick)
    return Timed(report, time.perf_counter() - start)


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
    if o.not_covered is not None and r.holds:
        console.print(f"[yellow]bound not covered[/]: {o.not_covered}; nothing is proved "
                      "or refuted for this bound (a smaller bound, or a larger budget)",
                      markup=True, soft_wrap=True)
        if r.states:  # the main search finished; a later phase ran out
            console.print(_figures(o.main))
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
