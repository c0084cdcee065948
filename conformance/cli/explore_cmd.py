"""`workerjob explore`: exhaustively explore the protocol model of the original.

Every interleaving of a variant's processes within a bound (`model/protocol/protocol.py`) is
searched for a deadlock, a continuation left behind, or an observable trace the spec's
oracle rejects (`model/protocol/explorer.py`). Exit 0 when everything holds, 1 with a
counterexample when something fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
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

    @property
    def holds(self) -> bool:
        return self.main.report.holds


def run(args: argparse.Namespace) -> int:
    config = Config(args.adders, args.keys, args.cancel, args.read, OUTCOMES[args.outcome],
                    job=args.job)
    spec = SPECS[args.spec]
    variants = list(VARIANTS.values()) if args.variant == "all" else [VARIANTS[args.variant]]
    err = Console(stderr=True)
    live = not args.json and err.is_terminal
    outcomes = [_explore_one(v, config, spec, args, err if live else None) for v in variants]
    if args.json:
        print(json.dumps(as_json(config, spec, outcomes), indent=2))
    else:
        console = Console(highlight=False)
        for outcome in outcomes:
            show(config, spec, outcome, console)
    return 0 if all(o.holds for o in outcomes) else 1


def _explore_one(variant: Variant, config: Config, spec: Spec, args: argparse.Namespace,
                 err: Console | None) -> Outcome:
    main = _timed(variant, config, spec, FULL if args.reduce else NONE, err)
    unreduced = None
    if args.compare and args.reduce:
        unreduced = _timed(variant, config, spec, NONE, err)
    cx = main.report.counterexample
    shortest = not args.reduce
    if cx is not None and args.shortest and args.reduce:
        found = _timed(variant, config, spec, SHORTEST, err, max_depth=len(cx.steps))
        cx, shortest = found.report.counterexample or cx, True
    converse = spec_traces_included(variant, config, spec) if args.converse else None
    return Outcome(variant, main, unreduced, cx, shortest, converse)


def _timed(variant: Variant, config: Config, spec: Spec, reduction: Reduction,
           err: Console | None, max_depth: int | None = None) -> Timed:
    """One search, timed, with a progress line on a terminal once it runs long."""
    label = variant.name if reduction == FULL else f"{variant.name} ({reduction})"
    start = time.perf_counter()
    with _Ticker(label, err) as ticker:
        report = explore(variant, config, spec, reduce=reduction, max_depth=max_depth,
                         progress=ticker.tick)
    return Timed(report, time.perf_counter() - start)


class _Ticker:
    """A progress line with the search's counts, shown only once a search has run
    for half a second."""

    def __init__(self, label: str, console: Console | None) -> None:
        self.label = label
        self.console = console
        self.start = time.perf_counter()
        self.progress: Progress | None = None
        self.task = TaskID(0)

    def __enter__(self) -> _Ticker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def tick(self, states: int, transitions: int, depth: int) -> None:
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
            f"{self.label}: {states:,} states, depth {depth}, {rate:,.0f}/s"))


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
    if o.holds:
        console.print(f"[green]holds[/]: no deadlock, no continuation left behind, every "
                      f"trace accepted by the {spec.name} oracle")
        console.print(_figures(o.main))
    else:
        console.print(f"[red]fails[/]: {r.counterexample.kind if r.counterexample else ''} "
                      f"(search stopped at depth {r.depth})")
        console.print(_figures(o.main))
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
