"""What the timeout and retry options cost a job, against a job without them, measured
in the same run on the stock event loop.

    .venv/bin/python benchmarks/bench_timeouts.py           # a few seconds
    .venv/bin/python benchmarks/bench_timeouts.py --quick --json

A round launches a batch of jobs whose run() returns at once and waits for them all:
without options (the baseline: SPEC's path), with `timeout=` (a timer armed and
cancelled per job), with `retry=` (no retry happens: the attempts loop only), and with
both. Rounds alternate kinds, with the cyclic collector off during each; each kind's
ratio is the median over rounds of its time / the baseline round's just before it.
These are measurements, not tests: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from typing import Any

from workerjob.impl import CancellationToken, RetryPolicy, Worker, WorkerJob

KINDS: dict[str, dict[str, Any]] = {
    "none": {},
    "timeout": {"timeout": 60.0},
    "retry": {"retry": RetryPolicy()},
    "timeout+retry": {"timeout": 60.0, "grace": 1.0, "retry": RetryPolicy()},
}


class Returns:
    async def run(self) -> None:
        return None


async def batch(jobs: int, options: dict[str, Any]) -> float:
    worker, task = Worker("bench"), Returns()
    start = time.perf_counter()
    made = [WorkerJob(worker, task, CancellationToken(), **options) for _ in range(jobs)]
    for job in made:
        job.launch()
    for job in made:
        await job.wait()
    return time.perf_counter() - start


async def measure(jobs: int, rounds: int) -> dict[str, float]:
    ratios: dict[str, list[float]] = {kind: [] for kind in KINDS if kind != "none"}
    for _ in range(rounds):
        for kind in ratios:
            gc.disable()
            try:
                base = await batch(jobs, KINDS["none"])
                other = await batch(jobs, KINDS[kind])
            finally:
                gc.enable()
            ratios[kind].append(other / base)
    return {kind: round(statistics.median(values), 3) for kind, values in ratios.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small numbers")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    jobs, rounds = (200, 3) if args.quick else (5000, 9)
    ratios = asyncio.run(measure(jobs, rounds))
    if args.json:
        print(json.dumps({"jobs": jobs, "rounds": rounds, "ratio_to_no_options": ratios}))
    else:
        for kind, ratio in ratios.items():
            print(f"{kind:>14}: {ratio:.2f}x a job without options ({jobs} jobs, {rounds} rounds)")


if __name__ == "__main__":
    main()
