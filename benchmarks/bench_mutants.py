"""Time to a counterexample, as the user waits for it: `workerjob verify --impl
tests.mutants.X` run as a command, for every mutant of the catalogue (SPEC's, and the
scheduler's, the timeouts' and the progress' sub-catalogues: `tests.mutants.timeouts.X`),
on several seeds.

    python benchmarks/bench_mutants.py [--seeds K] [--kill-seeds M] [--examples N]

Each run is a fresh process in a fresh temporary directory (so no example database
holds anything from an earlier run; `--no-database` is passed too where `verify` has
it): start-up, both levels, the failure's shrinking (at verify's default budget) and
the report are all inside the figure. Baselines measured in the same run, so the
figures are ratios too: the start-up alone (`workerjob verify --help`: the same
imports, no campaign) and the correct base passing the same campaign.

Printed:
1. the user's wall time per mutant (median and max over the seeds, killed/runs), and
   beside it, labelled, the in-process time to the first violation (no start-up, no
   shrinking: the figure this benchmark used to report);
2. where the time goes, per mutant (one seed, in-process under cProfile): the start-up
   (imports), finding the failure and shrinking it, and the CPU split between Hypothesis
   (generation and shrinking), C builtins called from anywhere, the oracle (`model/`), the
   controllable loop with asyncio, and the harness with the subject;
3. detection: every mutant on `--kill-seeds` seeds at the default budget (in-process, no
   shrinking, every level as `verify` runs them), the worst time it took and the seeds it
   survived; then the correct variants (`CORRECT`) on three seeds each: no false alarm.

`--only WORD` keeps the mutants whose module name contains WORD (e.g. `timeouts.`).

Goal (issue 13): median < 1 s and none > 5 s per mutant from the command line, every
mutant killed on every seed. None of this is a test: no timed assertions anywhere.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import settings  # noqa: E402

from tests.mutants import CORRECT as CORRECT_VARIANTS  # noqa: E402
from tests.mutants import MUTANTS  # noqa: E402
from tests.mutants.progress import MUTANTS as PROGRESS  # noqa: E402
from tests.mutants.scheduler import MUTANTS as SCHEDULER  # noqa: E402
from tests.mutants.timeouts import MUTANTS as TIMEOUTS  # noqa: E402
from workerjob.conformance.cli.verify import SHRINK_SECONDS  # noqa: E402
from workerjob.conformance.stateful.campaign import run_campaign  # noqa: E402
from workerjob.conformance.stateful.profiles import load_profile  # noqa: E402
from workerjob.conformance.stateful.subject import load_subject  # noqa: E402

# Every mutant of the catalogue, as the module a user names (`--impl`).
CATALOGUE: tuple[str, ...] = (
    *(f"tests.mutants.{name}" for name in MUTANTS),
    *(f"tests.mutants.scheduler.{name}" for name in SCHEDULER),
    *(f"tests.mutants.timeouts.{name}" for name in TIMEOUTS),
    *(f"tests.mutants.progress.{name}" for name in PROGRESS),
)
# The correct subjects: SPEC's base and its correct variants, and the bundled
# implementation (the base of every enhancement's mutant).
CORRECT = ("tests.mutants.base", "workerjob.impl",
           *(f"tests.mutants.{name}" for name in CORRECT_VARIANTS))


def short(module: str) -> str:
    return module.removeprefix("tests.mutants.")


def command() -> list[str]:
    """The installed `workerjob` script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("workerjob")
    return [str(script)] if script.exists() else [sys.executable, "-m",
                                                  "workerjob.conformance.cli"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("HYPOTHESIS_PROFILE", None)  # the default profile, as a user has it
    env.pop("HYPOTHESIS_NO_PLUGINS", None)
    env["COLUMNS"] = "100"
    return env


def no_database_flag() -> list[str]:
    """`--no-database` when this version of verify has it (the fresh directory already
    guarantees an empty database; the flag also keeps the run from writing one)."""
    out = subprocess.run([*command(), "verify", "--help"], capture_output=True, text=True,
                         env=environment(), check=False).stdout
    return ["--no-database"] if "--no-database" in out else []


def wall(args: Sequence[str]) -> tuple[float, int]:
    """Seconds and exit code of one command, in a fresh temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-mutants-") as cwd:
        begin = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, env=environment(), capture_output=True,
                              check=False)
        seconds = time.perf_counter() - begin
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n"
                         f"{done.stderr.decode(errors='replace')}")
    return seconds, done.returncode


def verify_args(module: str, seed: int, examples: int, extra: list[str]) -> list[str]:
    return [*command(), "verify", "--impl", module, "--seed", str(seed),
            "--examples", str(examples), *extra]


def in_process(module: str, seed: int, examples: int) -> tuple[float, bool]:
    """Seconds to the first violation, in this process: no start-up, no shrinking."""
    subject = load_subject(module)
    begin = time.perf_counter()
    result = run_campaign(subject, examples=examples, seed_value=seed, shrink=False)
    return time.perf_counter() - begin, result.conforms


# --- where the time goes -----------------------------------------------------------------

AREAS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("hypothesis", lambda f: f"{os.sep}hypothesis{os.sep}" in f),
    ("builtins", lambda f: f == "~"),  # C functions (isinstance, len, gc.collect, ...)
    ("oracle", lambda f: f"{os.sep}model{os.sep}" in f),
    ("loop", lambda f: f"conformance{os.sep}loop{os.sep}" in f
     or f"{os.sep}asyncio{os.sep}" in f),
)


def startup_import() -> float:
    """Seconds to import what `workerjob verify` needs, in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import workerjob.conformance.cli as c; "
            "c.build_parser(); import workerjob.conformance.cli.verify; "
            "import workerjob.conformance.stateful.campaign; print(time.perf_counter() - t)")
    env = environment()
    env.setdefault("HYPOTHESIS_NO_PLUGINS", "1")  # as `workerjob` sets it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    return float(out)


def breakdown(module: str, seed: int, examples: int) -> dict[str, float]:
    """Find and shrink times (wall) and the CPU split by area, for one campaign."""
    subject = load_subject(module)
    begin = time.perf_counter()
    run_campaign(subject, examples=examples, seed_value=seed, shrink=False)
    find = time.perf_counter() - begin
    # No example database (an earlier run's failure would replay, and nothing shrink).
    settings.register_profile("bench-no-database", parent=settings(), database=None)
    settings.load_profile("bench-no-database")
    profile = cProfile.Profile()
    begin = time.perf_counter()
    try:
        profile.runcall(run_campaign, subject, examples=examples, seed_value=seed,
                        shrink_seconds=SHRINK_SECONDS)
    finally:
        load_profile()  # back to the profile this benchmark runs under
    total = time.perf_counter() - begin
    stats = pstats.Stats(profile)
    own: dict[str, float] = {name: 0.0 for name, _ in AREAS}
    own["harness+subject"] = 0.0
    shrink_cum = 0.0
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime, cumtime = row[2], row[3]
        area = next((name for name, test in AREAS if test(filename)), "harness+subject")
        own[area] += tottime
        if function == "shrink_interesting_test_cases":
            shrink_cum = max(shrink_cum, cumtime)
    cpu = sum(own.values()) or 1.0
    result = {"find": find, "shrink share": shrink_cum / cpu, "profiled": total}
    result.update({name: seconds / cpu for name, seconds in own.items()})
    return result


# --- main --------------------------------------------------------------------------------


def wall_table(catalogue: Sequence[str], examples: int, seeds: range, extra: list[str]) -> None:
    """Part 1: the user's wall time per mutant, against the start-up."""
    startup = statistics.median(wall([*command(), "verify", "--help"])[0] for _ in range(3))
    base_wall, base_code = wall(verify_args("tests.mutants.base", 1, examples, extra))
    print(f"baseline: `workerjob verify --help` (start-up) {startup:.2f} s; the correct base "
          f"passes `verify --examples {examples}` in {base_wall:.2f} s "
          f"(exit {base_code}); shrink budget {SHRINK_SECONDS:g} s\n")

    print("user's wall time: `workerjob verify --impl tests.mutants.X --seed S` in a fresh "
          "directory, no database")
    print(f"{'mutant':34s} {'killed':>7s} {'median s':>9s} {'max s':>7s} "
          f"{'x start-up':>10s} | {'in-process, no start-up/shrink: median s':>41s}")
    medians, maxima, ratios = [], [], []
    for module in catalogue:
        # The start-up again beside each mutant's runs: on a shared machine the load
        # drifts, and each ratio is against the start-up measured next to it.
        near = wall([*command(), "verify", "--help"])[0]
        runs = [wall(verify_args(module, s, examples, extra)) for s in seeds]
        times = [t for t, _ in runs]
        killed = sum(code == 1 for _, code in runs)
        inside = statistics.median(in_process(module, s, examples)[0] for s in seeds)
        med = statistics.median(times)
        medians.append(med)
        maxima.append(max(times))
        ratios.append((med / near, max(times) / near))
        print(f"{short(module):34s} {killed:>3d}/{len(runs):<3d} {med:9.2f} {max(times):7.2f} "
              f"{med / near:10.1f} | {inside:41.2f}", flush=True)
    print(f"\nall {len(catalogue)} mutants: median {statistics.median(medians):.2f} s, "
          f"worst median {max(medians):.2f} s, max {max(maxima):.2f} s "
          "(goal: median < 1 s, none > 5 s)")
    print(f"as multiples of the start-up beside them: median "
          f"{statistics.median(r for r, _ in ratios):.1f}x, max {max(m for _, m in ratios):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="verify's --examples")
    parser.add_argument("--seeds", type=int, default=3, help="command-line runs per mutant")
    parser.add_argument("--kill-seeds", type=int, default=10,
                        help="seeds of the in-process detection sweep (0: skip)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the profile")
    parser.add_argument("--no-wall", action="store_true",
                        help="skip the command-line table (print the other parts only)")
    parser.add_argument("--only", metavar="WORD", default="",
                        help="only the mutants whose module name contains WORD")
    args = parser.parse_args()
    load_profile()
    seeds = range(1, args.seeds + 1)
    extra = no_database_flag()
    catalogue = [m for m in CATALOGUE if args.only in m]

    if not args.no_wall:
        wall_table(catalogue, args.examples, seeds, extra)

    if not args.no_breakdown:
        print(f"\nwhere the time goes (seed 1, in-process, no database; the imports "
              f"`verify` needs take {startup_import():.2f} s in a fresh interpreter)")
        names = ["hypothesis", "builtins", "oracle", "loop", "harness+subject"]
        print(f"{'mutant':34s} {'find s':>7s} {'shrink':>7s} "
              + " ".join(f"{n:>10s}" for n in names) + "   (shares of CPU, profiled)")
        for module in catalogue:
            b = breakdown(module, 1, args.examples)
            print(f"{short(module):34s} {b['find']:7.2f} {b['shrink share']:7.0%} "
                  + " ".join(f"{b[n]:10.0%}" for n in names), flush=True)

    if args.kill_seeds:
        print(f"\ndetection: {args.kill_seeds} seeds per mutant at --examples "
              f"{args.examples} (in-process, no shrinking)")
        print(f"{'mutant':34s} {'killed':>7s} {'worst s':>8s}  survived on seeds")
        for module in catalogue:
            runs = [in_process(module, s, args.examples)
                    for s in range(1, args.kill_seeds + 1)]
            missed = [s for s, (_, conforms) in enumerate(runs, 1) if conforms]
            print(f"{short(module):34s} {len(runs) - len(missed):>3d}/{len(runs):<3d} "
                  f"{max(t for t, _ in runs):8.2f}  {missed or '-'}", flush=True)
        for module in CORRECT:
            runs = [in_process(module, s, args.examples) for s in range(1, 4)]
            alarms = sum(not conforms for _, conforms in runs)
            print(f"{module:34s} {alarms} false alarm(s) in {len(runs)} campaigns")


if __name__ == "__main__":
    main()
