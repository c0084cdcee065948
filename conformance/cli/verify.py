"""`workerjob verify`: the project's main job. Runs the conformance campaign against an
implementation and says whether it conforms.

Exit 0 when it conforms, 1 on a violation (with the report), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import random
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workerjob.conformance.stateful import spec_choice
from workerjob.conformance.stateful.campaign import CampaignResult, run_campaign
from workerjob.conformance.stateful.machine import LEVELS, levels_for
from workerjob.conformance.stateful.profiles import load_profile
from workerjob.conformance.stateful.subject import DEFAULT_IMPL, ENV_VAR, SubjectError, load_subject
from workerjob.model import Spec

# Shrinking is most of the wait for a counterexample (it re-runs the machine hundreds
# of times); its first passes, which drop whole rules, do most of the work quickly.
SHRINK_SECONDS = 0.5


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--impl", metavar="MODULE", default=None,
                        help=f"module exporting SPEC's names (default: ${ENV_VAR}, "
                        f"else {DEFAULT_IMPL})")
    parser.add_argument("--examples", type=_positive, default=200, metavar="N",
                        help="examples per level (default: 200)")
    parser.add_argument("--seed", type=_seed, default=None, metavar="N",
                        help="seed of the campaign (default: random, printed)")
    parser.add_argument("--level", choices=[*LEVELS, "all"], default="all",
                        help="check Continuations alone, the WorkerJob, its progress and "
                        "metrics, the JobScheduler, or all (default; a level whose names the "
                        "implementation does not export is skipped, and said so)")
    spec_choice.add_options(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--workers", type=_positive, default=1, metavar="N",
                        help="split the examples over N processes sharing the run's "
                        "example database (default: 1)")
    parser.add_argument("--shrink-time", type=_seconds, default=SHRINK_SECONDS,
                        metavar="SECONDS", help="stop shrinking a failure after this long "
                        f"and report the smallest found so far (default: {SHRINK_SECONDS:g})")


def run(args: argparse.Namespace) -> int:
    load_profile()
    err = Console(stderr=True)
    try:
        subject = load_subject(args.impl)
    except SubjectError as exc:
        err.print(f"workerjob verify: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    spec = spec_choice.chosen(args.spec, args.allow)
    levels = tuple(LEVELS) if args.level == "all" else (args.level,)
    if args.level != "all" and args.level not in levels_for(subject):
        err.print(f"workerjob verify: {subject.name!r} does not export what the "
                  f"{args.level} level drives", markup=False, highlight=False, soft_wrap=True)
        return 2
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                        disable=args.json or not err.is_terminal, transient=True)
    with progress:
        checked = sum(level in levels_for(subject) for level in levels)
        bar = progress.add_task(f"verify {subject.name}", total=args.examples * checked)
        if args.workers > 1:
            from workerjob.conformance.stateful.parallel import run_parallel

            result = run_parallel(args.impl, subject.name, workers=args.workers,
                                  examples=args.examples, seed_value=seed_value,
                                  spec=spec, levels=levels,
                                  shrink_seconds=args.shrink_time,
                                  tick=lambda done: progress.update(bar, completed=done))
        else:
            result = run_campaign(subject, examples=args.examples, seed_value=seed_value,
                                  spec=spec, levels=levels,
                                  shrink_seconds=args.shrink_time,
                                  tick=lambda: progress.advance(bar))
    if args.json:
        print(json.dumps(as_json(result, spec), indent=2))
    else:
        show(result, args, spec, Console())
    return 0 if result.conforms else 1


def as_json(result: CampaignResult, spec: Spec) -> dict[str, object]:
    return {
        "subject": result.subject,
        "spec": spec.name,
        "departures": sorted(spec.departures),
        "seed": result.seed,
        "conforms": result.conforms,
        "skipped": result.skipped,
        "levels": [
            {"level": r.level, "examples": r.examples, "steps": r.steps,
             "distinct_schedules": r.schedules, "violations": r.violations,
             "report": r.report}
            for r in result.levels
        ],
    }


def show(result: CampaignResult, args: argparse.Namespace, spec: Spec,
         console: Console) -> None:
    for r in result.levels:
        if r.report is not None:
            console.rule(f"[red]violation at the {r.level} level")
            console.print(r.report, markup=False, highlight=False, soft_wrap=True)
    table = Table(title=f"workerjob verify {result.subject} ({spec.name} spec)",
                  caption=f"departures in force: {spec.in_force()}")
    for column in ("level", "examples", "steps", "distinct schedules", "violations"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for r in result.levels:
        table.add_row(r.level, str(r.examples), str(r.steps), str(r.schedules),
                      f"[red]{r.violations}" if r.violations else "0")
    console.print(table)
    for level in result.skipped:
        console.print(f"level {level} skipped: {result.subject} does not export what it "
                      "drives (ENHANCEMENTS.md's names or options)", soft_wrap=True)
    workers = f" --workers {args.workers}" if args.workers > 1 else ""
    verdict = "[green]conforms" if result.conforms else "[red]does not conform"
    replay = "".join(f" --allow {d}" for d in args.allow)
    if args.spec != "atomic":
        replay = f" --spec {args.spec}{replay}"
    console.print(f"{result.subject} {verdict}[/]  (seed {result.seed}; replay with "
                  f"--seed {result.seed} --examples {args.examples}{replay}{workers})",
                  soft_wrap=True)


if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["verify", *sys.argv[1:]]))
