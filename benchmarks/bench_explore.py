"""The explorer's speed, what its reduction saves, and the largest bound it can do.

    python benchmarks/bench_explore.py [--budget SECONDS] [--skip-largest]

1. The default bound (3 adders over 2 keys, a cancel, a state read, run() returning
   and raising): every variant against both specs. Target (issue 5): the original
   verified in under 10 s on one core.
2. Reduced against unreduced on the same bound, in the same run: the ratio of states
   and of time. Once on a bound the unreduced search can finish (2 adders over 2 keys,
   the rest as the default), and once on the default bound itself, where the
   unreduced search is stopped at the budget (the ratio is then a lower bound).
3. The largest bound that finishes within the budget (60 s): the original against
   token-read-early (which it refines, so every search runs to the end), adding
   adders over 2 keys until a search runs out of time; then the other key counts at
   the largest number of adders that finished, and more adders over a single key.

Wall time and CPU time are both shown; the budget counts CPU time, which a busy
machine does not inflate (the search is single-threaded, so on an idle machine the
two agree).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from workerjob.model.protocol.explorer import FULL, NONE, Reduction, Report, explore
from workerjob.model.protocol.protocol import ORIGINAL, VARIANTS, Config, Variant
from workerjob.model.spec import ATOMIC, SPECS, TOKEN_READ_EARLY, Spec


class OverBudget(Exception):
    """A search stopped because it ran out of time."""

    def __init__(self, states: int) -> None:
        super().__init__(states)
        self.states = states


@dataclass(frozen=True)
class Run:
    report: Report | None  # None: stopped at the budget
    states: int
    wall: float
    cpu: float

    @property
    def finished(self) -> bool:
        return self.report is not None

    def line(self) -> str:
        rate = self.states / self.cpu if self.cpu > 0 else 0.0
        if self.report is None:
            return (f"stopped at the budget after {self.states:,} states "
                    f"({self.wall:.1f} s wall, {self.cpu:.1f} s CPU)")
        r = self.report
        verdict = "holds" if r.holds else f"fails ({r.counterexample.kind})" \
            if r.counterexample else "fails"
        return (f"{verdict:<26} {r.states:>9,} states {r.transitions:>10,} transitions "
                f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU {rate:>9,.0f} states/s")


def timed(variant: Variant, config: Config, spec: Spec, reduction: Reduction,
          budget: float | None = None) -> Run:
    wall0, cpu0 = time.perf_counter(), time.process_time()

    def check(states: int, transitions: int, depth: int) -> None:
        if budget is not None and time.process_time() - cpu0 > budget:
            raise OverBudget(states)

    try:
        report = explore(variant, config, spec, reduce=reduction, progress=check,
                         every=1 << 11)
    except OverBudget as over:
        return Run(None, over.states, time.perf_counter() - wall0,
                   time.process_time() - cpu0)
    return Run(report, report.states, time.perf_counter() - wall0,
               time.process_time() - cpu0)


def default_bound() -> None:
    print("1. the default bound:", Config().describe())
    for variant in VARIANTS.values():
        for spec in SPECS.values():
            run = timed(variant, Config(), spec, FULL)
            print(f"   {variant.name:<20} {spec.name:<17} {run.line()}")


def ratio(big: Run, small: Run) -> str:
    more = "> " if not big.finished else ""
    return (f"{more}{big.states / small.states:.1f}x states, "
            f"{more}{big.cpu / small.cpu:.1f}x CPU time")


def compare(budget: float) -> None:
    print("2. reduced against unreduced, same bound, same run")
    for config in (Config(adders=2, keys=2), Config()):
        for variant, spec in ((ORIGINAL, TOKEN_READ_EARLY), (ORIGINAL, ATOMIC)):
            reduced = timed(variant, config, spec, FULL)
            plain = timed(variant, config, spec, NONE, budget)
            print(f"   {config.describe()}; {variant.name} against {spec.name}")
            print(f"     reduced ({FULL}):  {reduced.line()}")
            print(f"     unreduced:        {plain.line()}")
            print(f"     the reduction saves {ratio(plain, reduced)}")
            parts = [Reduction(por=x == "por", fuse=x == "fuse", subsume=x == "subsume",
                               symmetry=x == "symmetry")
                     for x in ("por", "fuse", "subsume", "symmetry")]
            if config == Config() and spec is TOKEN_READ_EARLY:
                for part in parts:
                    alone = timed(variant, config, spec, part, budget)
                    print(f"     {part!s:<9} alone:  {alone.line()}")


def largest(budget: float) -> None:
    print(f"3. the largest bound within {budget:.0f} s: original against token-read-early")
    finished = 0
    for adders in range(1, 12):
        run = timed(ORIGINAL, Config(adders=adders, keys=min(2, adders)), TOKEN_READ_EARLY,
                    FULL, budget)
        print(f"   {adders} adder(s) over {min(2, adders)} key(s): {run.line()}")
        if not run.finished:
            break
        finished = adders
    for keys in range(1, finished + 1):
        if keys == min(2, finished):
            continue
        run = timed(ORIGINAL, Config(adders=finished, keys=keys), TOKEN_READ_EARLY, FULL,
                    budget)
        print(f"   {finished} adder(s) over {keys} key(s): {run.line()}")
    # one more adder fits where all share one key: symmetry makes them one orbit
    for adders in range(finished + 1, 12):
        run = timed(ORIGINAL, Config(adders=adders, keys=1), TOKEN_READ_EARLY, FULL, budget)
        print(f"   {adders} adder(s) over 1 key: {run.line()}")
        if not run.finished:
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds a search may take (default: 60)")
    parser.add_argument("--skip-largest", action="store_true",
                        help="leave out the search for the largest bound")
    args = parser.parse_args()
    default_bound()
    compare(args.budget)
    if not args.skip_largest:
        largest(args.budget)


if __name__ == "__main__":
    main()
