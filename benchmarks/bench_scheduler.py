"""How JobScheduler's cost per operation grows with the queue's length.

    .venv/bin/python benchmarks/bench_scheduler.py            # 10^3 .. 10^5 queued jobs
    .venv/bin/python benchmarks/bench_scheduler.py --quick    # 10^2 .. 10^4 (seconds)
    .venv/bin/python benchmarks/bench_scheduler.py --quick --json

For each queue length n, on one event loop (the stock one):

submit   n jobs submitted to a scheduler whose one slot is taken: each is queued (a heap
         push, then a dispatch that finds no room). Cost per submit.
end      the queue drained: each job's run() returns at once, its task's done-callback
         frees its room and starts the next job (a heap pop). Cost per job end,
         including the job's own task (the same constant at every n).
cancel   n queued jobs cancelled with job.cancel(), in submission order (each completes
         at once; the dead entries are swept once they outnumber the live ones).
classes  as submit and end, with the jobs spread over k = 10 distinct needs (one heap
         per needs: a dispatch looks at each heap's head, so O(log n + k)).

Each figure is the best of --rounds rounds (default 3), reported as a ratio against
the same figure at the smallest n (the baseline), measured in the same run: O(log n)
shows as a ratio that grows by a small constant per factor of 10, O(n) as one that
grows tenfold. Memory effects show too: a larger queue no longer fits the CPU's
caches, which raises even the O(1) cancel from 10^3 to 10^4. Nothing here asserts a
time; tests/impl/test_scheduler_bench.py runs --quick and checks that no job was lost
or run twice.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from dataclasses import asdict, dataclass

from workerjob.impl import CancellationToken, JobScheduler, Worker, WorkerJob

WORKER = Worker("bench")


class Tally:
    """Runs per job, and an event set once `left` runs have happened."""

    def __init__(self, n: int) -> None:
        self.counts = [0] * n
        self.left = n
        self.all_ran = asyncio.Event()


class Count:
    """A run() that counts its calls (per job) and returns at once."""

    __slots__ = ("i", "tally")

    def __init__(self, tally: Tally, i: int) -> None:
        self.tally = tally
        self.i = i

    async def run(self) -> None:
        self.tally.counts[self.i] += 1
        self.tally.left -= 1
        if self.tally.left == 0:
            self.tally.all_ran.set()


class Block:
    """The run() that holds the scheduler's one slot until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def run(self) -> None:
        await self.release.wait()


@dataclass
class Row:
    n: int
    classes: int
    submit_us: float
    end_us: float
    cancel_us: float
    lost: int
    doubled: int


def _needs(i: int, classes: int) -> dict[str, float] | None:
    return None if classes == 1 else {f"r{i % classes}": 1}


async def measure(n: int, classes: int) -> Row:
    capacity = {f"r{c}": 1 for c in range(classes)} if classes > 1 else {}
    tally = Tally(n)
    # submit, then end: a blocker holds the only slot while n jobs are queued.
    sched = JobScheduler(1, capacity=capacity)
    blocker = Block()
    sched.submit(WorkerJob(WORKER, blocker, CancellationToken()))
    jobs = [WorkerJob(WORKER, Count(tally, i), CancellationToken()) for i in range(n)]
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for i, job in enumerate(jobs):
            sched.submit(job, priority=i % 5, needs=_needs(i, classes))
        t1 = time.perf_counter()
        blocker.release.set()
        t2 = time.perf_counter()
        await tally.all_ran.wait()
        t3 = time.perf_counter()
    finally:
        gc.enable()
    await sched.aclose()
    # cancel: n queued jobs behind a blocker, cancelled one by one.
    sched = JobScheduler(1, capacity=capacity)
    blocker = Block()
    sched.submit(WorkerJob(WORKER, blocker, CancellationToken()))
    never = Tally(n)
    doomed = [WorkerJob(WORKER, Count(never, i), CancellationToken()) for i in range(n)]
    for i, job in enumerate(doomed):
        sched.submit(job, priority=i % 5, needs=_needs(i, classes))
    gc.collect()
    gc.disable()
    try:
        t4 = time.perf_counter()
        for job in doomed:
            job.cancel()
        t5 = time.perf_counter()
    finally:
        gc.enable()
    blocker.release.set()
    await sched.aclose()
    return Row(n, classes, (t1 - t0) / n * 1e6, (t3 - t2) / n * 1e6, (t5 - t4) / n * 1e6,
               lost=tally.counts.count(0) + (n - never.counts.count(0)),
               doubled=sum(1 for c in tally.counts if c > 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^2 .. 10^4 jobs")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (best kept)")
    args = parser.parse_args(argv)
    sizes = (100, 1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    rows = []
    for classes in (1, 10):
        for n in sizes:
            runs = [asyncio.run(measure(n, classes)) for _ in range(args.rounds)]
            # The fastest of the rounds: the least disturbed by the rest of the machine.
            rows.append(Row(n, classes, min(r.submit_us for r in runs),
                            min(r.end_us for r in runs), min(r.cancel_us for r in runs),
                            sum(r.lost for r in runs), sum(r.doubled for r in runs)))
    base = {r.classes: r for r in rows if r.n == sizes[0]}
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows]}))
        return 0
    print(f"{'jobs':>8} {'needs':>6} {'submit':>16} {'end':>16} {'cancel':>16}  lost doubled")
    for r in rows:
        b = base[r.classes]
        cells = [f"{v:6.2f}us {v / bv:5.2f}x" for v, bv in
                 ((r.submit_us, b.submit_us), (r.end_us, b.end_us), (r.cancel_us, b.cancel_us))]
        print(f"{r.n:>8} {r.classes:>6} " + " ".join(f"{c:>16}" for c in cells)
              + f"  {r.lost:>4} {r.doubled:>7}")
    print(f"(ratios against {sizes[0]} jobs with the same number of distinct needs, "
          "measured in this run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
