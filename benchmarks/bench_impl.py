"""Benchmarks for workerjob.impl, on the stock event loop and on uvloop.

    .venv/bin/python benchmarks/bench_impl.py            # full run (a few minutes)
    .venv/bin/python benchmarks/bench_impl.py --quick    # small numbers (seconds)
    .venv/bin/python benchmarks/bench_impl.py --quick --load-only --json

Two parts, each reported per loop:

overhead   launch + complete + N continuations per job, for a batch of jobs, against a
           baseline measured in the same run: the same work written by hand with bare
           `create_task` and done-callbacks (run the work in a task; when it is done,
           classify the outcome and start each continuation as a task, holding it in a
           set until it finishes, as the asyncio docs require). Baseline and impl rounds
           alternate, with the cyclic collector off during each; the ratio is the
           median over rounds of impl / baseline (each impl round against the
           baseline round just before it). Target: <= 1.3x. A second, stricter
           baseline is reported beside it: the same work with the spawning done by
           the work's own task instead of a done-callback.

load       10^5 concurrent jobs with 10^6 continuations (--quick: 10^3 and 10^4). Every
           continuation counts its own slot, so the run reports how many were lost and
           how many ran twice (both must be 0), how many ran with the wrong outcome, and
           whether any replaced continuation ran. Memory is measured with tracemalloc
           (Python heap: peak during the run, and what is left after the jobs are dropped
           and collected, in all and outside asyncio's own task registry) and as the
           process's resident set size after (which pymalloc and glibc keep high: freed
           memory is reused, not returned to the system).

These are measurements, not tests: nothing here asserts a time. The one test that runs
this script (tests/impl/test_impl_bench.py) checks the counts only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from array import array
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Worker,
    WorkerJob,
)

LoopFactory = Callable[[], asyncio.AbstractEventLoop]
CoroutineFn = Callable[[Worker, CompletionType, str | None], Coroutine[Any, Any, None]]
MIB = 1024 * 1024


def loop_factories() -> dict[str, LoopFactory]:
    factories: dict[str, LoopFactory] = {"asyncio": asyncio.SelectorEventLoop}
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on Windows
        return factories
    factories["uvloop"] = uvloop.new_event_loop
    return factories


def run_on(factory: LoopFactory, main: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


# --- shared pieces -------------------------------------------------------------------


class Countdown:
    """Counts continuation runs; resolves `finished` when `target` is reached."""

    def __init__(self, target: int) -> None:
        self.remaining = target
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if target == 0:
            self.finished.set_result(None)

    async def continuation(
        self, worker: Worker, completion_type: CompletionType, error_message: str | None
    ) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            self.finished.set_result(None)


class Nothing:
    """A WorkerTask that returns at once: the benchmark measures the machinery."""

    async def run(self) -> None:
        return None


async def nothing() -> None:
    return None


# --- overhead: impl against hand-written create_task + done-callbacks -------------------


async def impl_round(jobs: int, per_job: int) -> float:
    countdown = Countdown(jobs * per_job)
    keys = [f"c{i}" for i in range(per_job)]
    worker, task = Worker("bench"), Nothing()
    start = time.perf_counter()
    launched = []
    for _ in range(jobs):
        job = WorkerJob(worker, task, CancellationToken())
        add = job.worker_job_continuations.add_or_run_now
        for key in keys:
            await add(key, countdown.continuation, worker)
        job.launch()
        launched.append(job)
    for job in launched:
        await job.wait()
    await countdown.finished
    return time.perf_counter() - start


def _message(error: BaseException | None) -> str | None:
    return None if error is None else (str(error) or type(error).__name__)


async def baseline_round(jobs: int, per_job: int) -> float:
    loop = asyncio.get_running_loop()
    countdown = Countdown(jobs * per_job)
    keys = [f"c{i}" for i in range(per_job)]
    worker = Worker("bench")
    held: set[asyncio.Task[None]] = set()

    def on_done(
        registry: dict[str, CoroutineFn], token: CancellationToken, task: asyncio.Task[None]
    ) -> None:
        error: BaseException | None
        if task.cancelled():
            kind, error = CompletionType.CANCELLED, asyncio.CancelledError()
        else:
            error = task.exception()
            cancelled = token.is_cancelled()
            if cancelled:
                kind = CompletionType.CANCELLED
            else:
                kind = CompletionType.FAILED if error is not None else CompletionType.NORMAL
        message = _message(error)
        for callback in registry.values():
            spawned = loop.create_task(callback(worker, kind, message))
            held.add(spawned)
            spawned.add_done_callback(held.discard)

    start = time.perf_counter()
    tasks = []
    for _ in range(jobs):
        registry: dict[str, CoroutineFn] = {}
        for key in keys:
            registry[key] = countdown.continuation
        task = loop.create_task(nothing())
        token = CancellationToken()
        task.add_done_callback(functools.partial(on_done, registry, token))
        tasks.append(task)
    for task in tasks:
        await task
    await countdown.finished
    return time.perf_counter() - start


async def without_gc(round_: Awaitable[float]) -> float:
    """Run a timed round with the cyclic collector off (as timeit does): a collection
    landing in one round and not the other would swamp the difference measured."""
    gc.collect()
    gc.disable()
    try:
        return await round_
    finally:
        gc.enable()


async def inline_round(jobs: int, per_job: int) -> float:
    """A second hand-written baseline: the work's own task classifies and spawns.

    Not what the brief names (that is `baseline_round`), but a faster way to write the
    same thing by hand, reported beside it as the stricter comparison.
    """
    loop = asyncio.get_running_loop()
    countdown = Countdown(jobs * per_job)
    keys = [f"c{i}" for i in range(per_job)]
    worker = Worker("bench")
    held: set[asyncio.Task[None]] = set()

    async def work(registry: dict[str, CoroutineFn], token: CancellationToken) -> None:
        error: BaseException | None = None
        try:
            await nothing()
        except BaseException as exc:
            error = exc
        if token.is_cancelled():
            kind = CompletionType.CANCELLED
        else:
            kind = CompletionType.FAILED if error is not None else CompletionType.NORMAL
        message = _message(error)
        for callback in registry.values():
            spawned = loop.create_task(callback(worker, kind, message))
            held.add(spawned)
            spawned.add_done_callback(held.discard)
        if error is not None:
            raise error

    start = time.perf_counter()
    tasks = []
    for _ in range(jobs):
        registry: dict[str, CoroutineFn] = {}
        for key in keys:
            registry[key] = countdown.continuation
        tasks.append(loop.create_task(work(registry, CancellationToken())))
    for task in tasks:
        await task
    await countdown.finished
    return time.perf_counter() - start


@dataclass
class Overhead:
    loop: str
    jobs: int
    continuations_per_job: int
    baseline_s: float
    inline_s: float
    impl_s: float
    ratio: float
    ratio_vs_inline: float


async def overhead(loop_name: str, jobs: int, per_job: int, rounds: int) -> Overhead:
    for warm_up in (impl_round, baseline_round, inline_round):  # first-call costs
        await warm_up(min(jobs, 200), per_job)
    base: list[float] = []
    inline: list[float] = []
    impl: list[float] = []
    for _ in range(rounds):
        base.append(await without_gc(baseline_round(jobs, per_job)))
        inline.append(await without_gc(inline_round(jobs, per_job)))
        impl.append(await without_gc(impl_round(jobs, per_job)))
    # Paired: each impl round against the baseline rounds of the same repeat, so that
    # a slow stretch of the machine (other processes) weighs on both sides alike.
    return Overhead(
        loop_name,
        jobs,
        per_job,
        statistics.median(base),
        statistics.median(inline),
        statistics.median(impl),
        statistics.median(i / b for b, i in zip(base, impl, strict=True)),
        statistics.median(i / b for b, i in zip(inline, impl, strict=True)),
    )


# --- load: 10^5 jobs, 10^6 continuations, every one counted -----------------------------

REGISTERED_PER_JOB = 8  # added while Running; the rest are added after Done (run now)


def expected_kind(j: int) -> CompletionType:
    """The outcome job `j` is driven to: failed, token-cancelled, hard-cancelled, normal."""
    match j % 10:
        case 0:
            return CompletionType.FAILED
        case 1 | 2:
            return CompletionType.CANCELLED
        case _:
            return CompletionType.NORMAL


class LoadTask:
    """Waits at a shared gate so that every job is in flight at once, then ends."""

    def __init__(self, gate: asyncio.Event, fail: bool) -> None:
        self.gate = gate
        self.fail = fail

    async def run(self) -> None:
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("load failure")


@dataclass
class Load:
    loop: str
    jobs: int
    continuations: int
    lost: int = 0
    doubled: int = 0
    wrong_outcome: int = 0
    replaced_ran: int = 0
    seconds: float = 0.0
    peak_traced_mib: float = 0.0
    after_traced_mib: float = 0.0
    after_outside_registry_mib: float = 0.0
    before_traced_mib: float = 0.0
    rss_after_mib: float = 0.0
    notes: list[str] = field(default_factory=list)


class Tally:
    def __init__(self, slots: int) -> None:
        self.counts = array("L", [0]) * slots
        self.wrong = 0
        self.replaced_ran = 0

    def continuation(self, slot: int, expected: CompletionType) -> ContinuationFn:
        async def count(w: Worker, kind: CompletionType, message: str | None) -> None:
            self.counts[slot] += 1
            if kind is not expected:
                self.wrong += 1

        return count

    async def replaced(self, w: Worker, kind: CompletionType, message: str | None) -> None:
        self.replaced_ran += 1


async def _drain() -> None:
    me = asyncio.current_task()
    while others := asyncio.all_tasks() - {me}:
        await asyncio.wait(others)


async def load_jobs(jobs: int, per_job: int, tally: Tally) -> None:
    gate = asyncio.Event()
    worker = Worker("load")
    launched: list[WorkerJob] = []
    for j in range(jobs):
        kind = expected_kind(j)
        job = WorkerJob(worker, LoadTask(gate, fail=j % 10 == 0), CancellationToken())
        add = job.worker_job_continuations.add_or_run_now
        if j % 4 == 0:
            await add("c0", tally.replaced, worker)  # replaced below: must never run
        for k in range(min(per_job, REGISTERED_PER_JOB)):
            await add(f"c{k}", tally.continuation(j * per_job + k, kind), worker)
        job.launch()
        launched.append(job)
    await asyncio.sleep(0)  # one step: every job's task is now waiting at the gate
    for j, job in enumerate(launched):
        if j % 10 == 1:
            job.cancel()
        elif j % 10 == 2 and job.task_handle is not None:
            job.task_handle.cancel()
    gate.set()
    for job in launched:
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            await job.wait()
    for j, job in enumerate(launched):
        add = job.worker_job_continuations.add_or_run_now
        for k in range(REGISTERED_PER_JOB, per_job):
            await add(f"c{k}", tally.continuation(j * per_job + k, expected_kind(j)), worker)
    launched.clear()
    await _drain()


def load(loop_name: str, factory: LoopFactory, jobs: int, per_job: int) -> Load:
    result = Load(loop_name, jobs, jobs * per_job)
    tally = Tally(jobs * per_job)
    gc.collect()
    tracemalloc.start()
    result.before_traced_mib = tracemalloc.get_traced_memory()[0] / MIB
    start = time.perf_counter()
    run_on(factory, load_jobs(jobs, per_job, tally))
    result.seconds = time.perf_counter() - start
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    result.after_outside_registry_mib = outside_task_registry(tracemalloc.take_snapshot())
    tracemalloc.stop()
    result.peak_traced_mib, result.after_traced_mib = peak / MIB, current / MIB
    result.rss_after_mib = rss_mib()
    result.lost = sum(1 for c in tally.counts if c == 0)
    result.doubled = sum(1 for c in tally.counts if c > 1)
    result.wrong_outcome, result.replaced_ran = tally.wrong, tally.replaced_ran
    result.notes.append("tracemalloc on: the run is slower than without it")
    return result


def outside_task_registry(snapshot: tracemalloc.Snapshot) -> float:
    """MiB still traced, leaving out asyncio's own registry of tasks.

    asyncio keeps every task in a WeakSet (`asyncio.tasks._all_tasks`); the set inside
    it never shrinks its table, so after a burst of 10^6 tasks it keeps tens of MiB
    whoever created the tasks. What remains besides it is what the run left behind.
    """
    kept = snapshot.filter_traces([tracemalloc.Filter(False, "*_weakrefset.py")])
    return sum(stat.size for stat in kept.statistics("filename")) / MIB


def rss_mib() -> float:
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:  # pragma: no cover - not Linux
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


# --- driver ----------------------------------------------------------------------------------


@dataclass
class Settings:
    overhead_jobs: int
    overhead_per_job: tuple[int, ...]
    rounds: int
    load_jobs: int
    load_per_job: int


FULL = Settings(2_000, (1, 10, 100), 15, 100_000, 10)
QUICK = Settings(300, (1, 10), 3, 1_000, 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument("--load-only", action="store_true", help="skip the overhead part")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    report: dict[str, list[dict[str, Any]]] = {"overhead": [], "load": []}
    for name, factory in loop_factories().items():
        if not args.load_only:
            for per_job in settings.overhead_per_job:
                o = run_on(
                    factory, overhead(name, settings.overhead_jobs, per_job, settings.rounds)
                )
                report["overhead"].append(asdict(o))
                _say(args.json, format_overhead(o))
        result = load(name, factory, settings.load_jobs, settings.load_per_job)
        report["load"].append(asdict(result))
        _say(args.json, format_load(result))
    if args.json:
        print(json.dumps(report))
    return 0 if all(r["lost"] == r["doubled"] == 0 for r in report["load"]) else 1


def _say(quiet: bool, line: str) -> None:
    if not quiet:
        print(line, flush=True)


def format_overhead(o: Overhead) -> str:
    return (
        f"overhead {o.loop:8} {o.jobs} jobs x {o.continuations_per_job:3} continuations: "
        f"impl {o.impl_s * 1e3:7.1f} ms, done-callback baseline {o.baseline_s * 1e3:7.1f} ms "
        f"-> ratio {o.ratio:.2f}x; inline baseline {o.inline_s * 1e3:7.1f} ms "
        f"-> {o.ratio_vs_inline:.2f}x"
    )


def format_load(r: Load) -> str:
    return (
        f"load     {r.loop:8} {r.jobs} jobs, {r.continuations} continuations: "
        f"lost {r.lost}, doubled {r.doubled}, wrong outcome {r.wrong_outcome}, "
        f"replaced ran {r.replaced_ran}; {r.seconds:.1f} s; traced peak "
        f"{r.peak_traced_mib:.1f} MiB, after {r.after_traced_mib:.1f} MiB "
        f"({r.after_outside_registry_mib:.2f} MiB outside asyncio's task registry; "
        f"before {r.before_traced_mib:.1f}); RSS after {r.rss_after_mib:.1f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
