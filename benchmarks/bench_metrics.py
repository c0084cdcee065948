"""The cost of metrics per job: the same batch of jobs with metrics on and off, in the
same run.

    .venv/bin/python benchmarks/bench_metrics.py            # 2000 jobs x 15 rounds
    .venv/bin/python benchmarks/bench_metrics.py --quick    # small numbers (seconds)
    .venv/bin/python benchmarks/bench_metrics.py --otel     # with an OpenTelemetry SDK
    .venv/bin/python benchmarks/bench_metrics.py --scheduler  # jobs submitted to a JobScheduler

A job here is what a user runs: a WorkerJob whose run() reports progress once, with
one continuation, launched, waited, its continuation run. Rounds alternate off / on
(`workerjob.impl.metrics.set_enabled`), the cyclic collector off during each; the
ratio is the median over rounds of on / off, each on round against the off round just
before it. Goal: < 1.2x. `--otel` configures an SDK meter provider (an in-memory
reader, collected once at the end) before the first job, so the histograms are
recorded through OpenTelemetry too; without it, whatever `opentelemetry-api` does
unconfigured (a no-op) is what is measured, if it is installed. `--scheduler` submits
each job to a `JobScheduler` (no limit in the way) instead of launching it, so a job
is also queued, dequeued and counted in the scheduler's own registry.

A measurement, not a test: nothing here asserts a time. tests/impl/test_impl_bench.py
runs it --quick and checks only that it reports a ratio and that the counts add up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from typing import Any

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    JobScheduler,
    Worker,
    WorkerJob,
    metrics,
    report_progress,
    snapshot,
)


class Task:
    async def run(self) -> None:
        report_progress(1, 1)


async def batch(jobs: int, scheduled: bool = False) -> float:
    worker = Worker("bench")
    ran = 0
    all_ran = asyncio.Event()

    async def continuation(_w: Worker, _t: CompletionType, _m: str | None) -> None:
        nonlocal ran
        ran += 1
        if ran == jobs:
            all_ran.set()

    start = time.perf_counter()
    made = [WorkerJob(worker, Task(), CancellationToken()) for _ in range(jobs)]
    if scheduled:
        async with JobScheduler(jobs) as scheduler:
            for job in made:
                await job.worker_job_continuations.add_or_run_now("done", continuation, worker)
                scheduler.submit(job)
            for job in made:
                await job.wait()
    else:
        for job in made:
            await job.worker_job_continuations.add_or_run_now("done", continuation, worker)
            job.launch()
        for job in made:
            await job.wait()
    await all_ran.wait()
    return time.perf_counter() - start


def timed(jobs: int, on: bool, scheduled: bool = False) -> float:
    metrics.set_enabled(on)
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(batch(jobs, scheduled))
    finally:
        gc.enable()
        metrics.set_enabled(True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--otel", action="store_true", help="configure an OpenTelemetry SDK")
    parser.add_argument("--scheduler", action="store_true",
                        help="submit each job to a JobScheduler instead of launching it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    jobs, rounds = (300, 5) if args.quick else (2000, 15)
    reader = None
    if args.otel:
        from opentelemetry import metrics as otel
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        reader = InMemoryMetricReader()
        otel.set_meter_provider(MeterProvider(metric_readers=[reader]))
        metrics._publish()  # on the SDK's meter now
    try:
        import opentelemetry.metrics  # noqa: F401

        api = True
    except ImportError:
        api = False
    before = snapshot()
    timed(jobs, True, args.scheduler)  # warm-up
    ratios, offs, ons = [], [], []
    for _ in range(rounds):
        off = timed(jobs, False, args.scheduler)
        on = timed(jobs, True, args.scheduler)
        offs.append(off)
        ons.append(on)
        ratios.append(on / off)
    after = snapshot()
    counted = after["jobs_launched"] - before["jobs_launched"]
    report = {
        "jobs": jobs, "rounds": rounds, "opentelemetry_api": api, "sdk": args.otel,
        "scheduler": args.scheduler,
        "off_us_per_job": statistics.median(offs) / jobs * 1e6,
        "on_us_per_job": statistics.median(ons) / jobs * 1e6,
        "ratio": statistics.median(ratios),
        "ratio_quartiles": statistics.quantiles(ratios, n=4),
        "counted_jobs": counted, "expected_jobs": jobs * (rounds + 1),
        "running_after": after["jobs_running"] - before["jobs_running"],
    }
    if reader is not None:
        reader.get_metrics_data()
    if args.json:
        print(json.dumps(report))
    else:
        where = "submitted to a JobScheduler" if args.scheduler else "launched"
        print(f"{jobs} jobs {where} x {rounds} rounds (opentelemetry-api installed: {api}, "
              f"SDK configured: {args.otel})")
        print(f"  metrics off  {report['off_us_per_job']:7.2f} us/job")
        print(f"  metrics on   {report['on_us_per_job']:7.2f} us/job")
        q1, _, q3 = report["ratio_quartiles"]
        print(f"  ratio on/off {report['ratio']:.3f}x (median over rounds, quartiles "
              f"{q1:.3f}-{q3:.3f}; goal < 1.2x)")
    return report


if __name__ == "__main__":
    main()
