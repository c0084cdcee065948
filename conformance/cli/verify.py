"""`workerjob verify`: the project's main job. Runs the conformance campaign against an
implementation and says whether it conforms.

Exit 0 when it conforms, 1 on a violation or a hang (with the report), 2 on bad usage,
130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys

import hypothesis
from hypothesis import settings
from hypothesis.core import decode_failure
from hypothesis.errors import InvalidArgument
from rich.console import Console
from rich.table import Table

from workerjob.conformance.cli import terminal
from workerjob.conformance.stateful import spec_choice
from workerjob.conformance.stateful.campaign import CampaignResult, run_campaign
from workerjob.conformance.stateful.database import (
    DatabaseError,
    choose,
    default_path,
    keep_out_of_the_current_directory,
)
from workerjob.conformance.stateful.machine import LEVELS, levels_for
from workerjob.conformance.stateful.profiles import ProfileError, load_profile
from workerjob.conformance.stateful.subject import DEFAULT_IMPL, ENV_VAR, SubjectError, load_subject
from workerjob.conformance.stateful.watchdog import DEFAULT_TIMEOUT
from workerjob.model import Spec

from .verify_progress import CampaignProgress

# Shrinking is most of the wait for a counterexample (it re-runs the machine hundreds
# of times); its first passes, which drop whole rules, do most of the work quickly.
SHRINK_SECONDS = 0.35


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
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _count(text: str) -> int:
    value = _seed(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
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
                        help="check Continuations alone, the WorkerJob, the JobScheduler, "
                        "a job's timeouts and retries, its progress and metrics, or all "
                        "(default; a level whose names the implementation does not export "
                        "is skipped, and said so)")
    spec_choice.add_options(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--workers", type=_positive, default=1, metavar="N",
                        help="split the examples over N processes sharing the run's "
                        "example database (default: 1)")
    parser.add_argument("--shrink-time", type=_seconds, default=SHRINK_SECONDS,
                        metavar="SECONDS", help="stop shrinking a failure after this long "
                        f"and report the smallest found so far (default: {SHRINK_SECONDS:g})")
    parser.add_argument("--example-timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help="an example running longer is reported as a hang, with the "
                        f"operation that never returned (default: {DEFAULT_TIMEOUT:g})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database", metavar="PATH|redis://HOST:PORT/DB", default=None,
                       help="the example database: failing examples are saved there and "
                       f"replayed first (default: {_home(str(default_path()))}; the ci "
                       "profile: none)")
    where.add_argument("--no-database", action="store_true",
                       help="use no example database: the seed alone decides the run")
    parser.add_argument("--reproduce", nargs=2, metavar=("VERSION", "BLOB"), default=None,
                        help="run only the example a report's replay line names "
                        "(Hypothesis' @reproduce_failure: its version and the example), "
                        "at one --level")
    parser.add_argument("--progress-every", type=_count, default=100, metavar="N",
                        help="when stderr is not a terminal, a progress line every N "
                        "examples (default: 100; 0: none)")


def _home(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "~" and path.startswith(home + os.sep) else path


def _usage_error(err: Console, exc: Exception) -> int:
    err.print(f"workerjob verify: {exc}", markup=False, highlight=False, soft_wrap=True)
    return 2


def run(args: argparse.Namespace) -> int:
    err = terminal.console(stderr=True)
    try:
        profile = load_profile()
        subject = load_subject(args.impl)
        database = choose(args.database, disabled=args.no_database,
                          profile_has_one=settings().database is not None)
    except (ProfileError, SubjectError, DatabaseError) as exc:
        return _usage_error(err, exc)
    problem = _reproduce_problem(args)
    if problem is not None:
        return _usage_error(err, ValueError(problem))
    # The campaign's settings: the profile's, with the database chosen above (never a
    # `.hypothesis/` of the current directory).
    settings.register_profile("workerjob-verify", settings(settings(), database=database.database))
    settings.load_profile("workerjob-verify")
    keep_out_of_the_current_directory()
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    spec = spec_choice.chosen(args.spec, args.allow)
    levels = tuple(LEVELS) if args.level == "all" else (args.level,)
    if args.level != "all" and args.level not in levels_for(subject):
        return _usage_error(err, ValueError(f"{subject.name!r} does not export what the "
                                            f"{args.level} level drives"))
    checked = sum(level in levels_for(subject) for level in levels)
    reproduce = None if args.reproduce is None else (args.reproduce[0], args.reproduce[1])
    with CampaignProgress(f"verify {subject.name}", args.examples * checked, err,
                          every=args.progress_every, quiet=args.json) as progress:
        if args.workers > 1 and reproduce is None:
            from workerjob.conformance.stateful.parallel import WorkerDied, run_parallel

            try:
                result = run_parallel(args.impl, subject.name, workers=args.workers,
                                      examples=args.examples, seed_value=seed_value,
                                      spec=spec, levels=levels,
                                      shrink_seconds=args.shrink_time,
                                      example_timeout=args.example_timeout,
                                      tick=progress.show)
            except WorkerDied as died:  # a verdict on the implementation, not a crash
                print(f"workerjob verify: {subject.name} does not conform: {died}",
                      file=sys.stderr)
                return 1
        else:
            result = run_campaign(subject, examples=args.examples, seed_value=seed_value,
                                  spec=spec, levels=levels, shrink_seconds=args.shrink_time,
                                  tick=progress.tick, example_timeout=args.example_timeout,
                                  on_round=progress.round, reproduce=reproduce)
    replay = replay_command(result, args, profile, database.flag)
    if args.json:
        print(json.dumps(as_json(result, spec, database.where, replay, args.examples),
                         indent=2))
    else:
        show(result, args, spec, terminal.console(), _home(database.where), replay)
    return 0 if result.conforms else 1


def _reproduce_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with `--reproduce`, if anything (checked before anything runs)."""
    if args.reproduce is None:
        return None
    version, blob = args.reproduce
    if args.level == "all":
        return "--reproduce replays one example: name its --level (the replay line does)"
    if version != hypothesis.__version__:
        return (f"--reproduce {version} ...: the example was printed by Hypothesis {version}, "
                f"this is {hypothesis.__version__}; replay it without --reproduce (by its "
                "--seed and the example database)")
    try:
        decode_failure(blob.encode())
    except (InvalidArgument, ValueError):
        return f"--reproduce: {blob!r} is not an example Hypothesis printed"
    return None


def replay_command(result: CampaignResult, args: argparse.Namespace, profile: str,
                   database: str | None) -> str:
    """The complete command that runs this campaign again: the failing level only when
    there is one (its rounds have the same seeds alone as beside the other levels)."""
    failing = [r.level for r in result.levels if r.report is not None]
    blob = next((r.reproduce for r in result.levels if r.report is not None), None)
    words = [] if profile == "dev" else [f"HYPOTHESIS_PROFILE={profile}"]
    words += ["workerjob", "verify"]
    if failing:
        words += ["--level", failing[0]]
    elif args.level != "all":
        words += ["--level", args.level]
    if args.spec != "atomic":
        words += ["--spec", args.spec]
    for departure in args.allow:
        words += ["--allow", departure]
    words += ["--impl", result.subject, "--seed", str(result.seed),
              "--examples", str(args.examples)]
    if args.workers > 1:  # (ignored with --reproduce; kept for a replay without it)
        words += ["--workers", str(args.workers)]
    if args.shrink_time != SHRINK_SECONDS:
        words += ["--shrink-time", f"{args.shrink_time:g}"]
    if args.example_timeout != DEFAULT_TIMEOUT:
        words += ["--example-timeout", f"{args.example_timeout:g}"]
    if database is not None:
        words += shlex.split(database)
    if blob is not None:  # the example itself: shrinking, cut at a time budget, may differ
        words += ["--reproduce", *blob]
    return shlex.join(words).replace("'HYPOTHESIS_PROFILE=", "HYPOTHESIS_PROFILE='")


def as_json(result: CampaignResult, spec: Spec, database: str = "none",
            replay: str = "", examples: int | None = None) -> dict[str, object]:
    """`examples_asked` per level; per level, `examples` Hypothesis counted against
    it and `runs` of the machine (with the attempts it discards and the shrinking)."""
    return {
        "subject": result.subject,
        "spec": spec.name,
        "departures": sorted(spec.departures),
        "seed": result.seed,
        "database": database,
        "replay": replay,
        "conforms": result.conforms,
        "skipped": result.skipped,
        "examples_asked": examples,
        "levels": [
            {"level": r.level, "examples": r.examples, "runs": r.runs, "steps": r.steps,
             "distinct_schedules": r.schedules, "violations": r.violations,
             "report": r.report}
            for r in result.levels
        ],
    }


def show(result: CampaignResult, args: argparse.Namespace, spec: Spec, console: Console,
         database: str = "none", replay: str = "") -> None:
    for r in result.levels:
        if r.report is not None:
            what = "hang" if "\nhung: " in r.report.split("\n\n", 1)[0] else "violation"
            console.rule(f"[red]{what} at the {r.level} level")
            console.print(r.report, markup=False, highlight=False, soft_wrap=True)
    # "examples" is what `--examples` asks for per level (Hypothesis' valid examples);
    # "runs" adds the attempts Hypothesis discards and, at a failure, the shrinking.
    table = Table(title=f"workerjob verify {result.subject} ({spec.name} spec)",
                  caption=f"examples asked per level: {args.examples}; departures in "
                  f"force: {spec.in_force()}")
    for column in ("level", "examples", "runs", "steps", "distinct schedules", "violations"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for r in result.levels:
        table.add_row(r.level, str(r.examples), str(r.runs), str(r.steps), str(r.schedules),
                      f"[red]{r.violations}" if r.violations else "0")
    console.print(table)
    for level in result.skipped:
        console.print(f"level {level} skipped: {result.subject} does not export what it "
                      "drives (ENHANCEMENTS.md's names or options)", soft_wrap=True)
    if args.reproduce is not None and result.conforms:
        console.print("--reproduce ran one example, the reported one, and it passes now "
                      f"at the {args.level} level (a blob replays only at the level of the "
                      "replay line that printed it); without --reproduce, a whole campaign "
                      "runs", soft_wrap=True)
    verdict = "[green]conforms" if result.conforms else "[red]does not conform"
    console.print(f"{result.subject} {verdict}[/]  (seed {result.seed}; examples database: "
                  f"{database})", soft_wrap=True, highlight=False)
    console.print(f"replay: {replay}", markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["verify", *sys.argv[1:]]))
