"""Time to kill each mutant of the catalogue (tests/mutants), against the time the
correct base takes to pass the same budget, measured in the same run.

    python benchmarks/bench_mutants.py [--examples N] [--seeds K]

For each mutant and seed: the seconds until the campaign (both levels taking turns in
rounds of 50 examples, as `workerjob verify` runs; no shrinking) reports its first
violation. Targets (issue 4):
every mutant killed at the default budget, median < 1 s, none over 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.mutants import MUTANTS
from workerjob.conformance.stateful.campaign import run_campaign
from workerjob.conformance.stateful.subject import load_subject


def time_campaign(module: str, examples: int, seed: int) -> tuple[float, bool]:
    subject = load_subject(module)
    begin = time.perf_counter()
    result = run_campaign(subject, examples=examples, seed_value=seed, shrink=False)
    return time.perf_counter() - begin, result.conforms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    base = [time_campaign("tests.mutants.base", args.examples, s)[0] for s in seeds]
    baseline = statistics.median(base)
    print(f"baseline: the correct base passes {args.examples} examples/level in "
          f"{baseline:.2f} s (median of {args.seeds} seeds)\n")
    print(f"{'mutant':24s} {'killed':>7s} {'median s':>9s} {'max s':>7s} {'of baseline':>12s}")
    medians = []
    for name in MUTANTS:
        runs = [time_campaign(f"tests.mutants.{name}", args.examples, s) for s in seeds]
        times = [t for t, _ in runs]
        killed = sum(not conforms for _, conforms in runs)
        med = statistics.median(times)
        medians.append(med)
        print(f"{name:24s} {killed:>3d}/{len(runs):<3d} {med:9.2f} {max(times):7.2f} "
              f"{med / baseline:11.0%}")
    print(f"\nmedian time to kill: {statistics.median(medians):.2f} s; "
          f"worst median: {max(medians):.2f} s")


if __name__ == "__main__":
    main()
