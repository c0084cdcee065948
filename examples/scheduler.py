"""JobScheduler: GPU jobs one at a time, CPU jobs four at a time, an urgent job first.

    python examples/scheduler.py

Three training jobs need the one GPU, six resize jobs need one CPU each (there are
four), and an urgent GPU job, submitted last, goes ahead of the training jobs still
waiting. The durations are far apart, so the order printed is the same on every run.
"""

from __future__ import annotations

import asyncio

from workerjob.impl import CancellationToken, JobScheduler, Worker, WorkerJob


class Work:
    """A WorkerTask that takes `seconds` and says when it starts and ends."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds

    async def run(self) -> None:
        print(f"start {self.name}")
        await asyncio.sleep(self.seconds)
        print(f"  end {self.name}")


async def main() -> None:
    jobs: list[WorkerJob] = []
    async with JobScheduler(5, capacity={"gpu": 1, "cpu": 4}) as scheduler:

        def submit(name: str, seconds: float, needs: dict[str, float], priority: int = 0) -> None:
            job = WorkerJob(Worker(name), Work(name, seconds), CancellationToken())
            scheduler.submit(job, priority=priority, needs=needs)  # plain call, no await
            jobs.append(job)

        for i in range(3):
            submit(f"train-{i}", 0.5, {"gpu": 1})
        for i in range(6):
            submit(f"resize-{i}", 0.1, {"cpu": 1})
        submit("urgent-fix", 0.2, {"gpu": 1}, priority=10)  # jumps ahead of train-1, train-2
        print(f"queued {scheduler.queued}, running {scheduler.running}")
        for job in jobs:
            await job.wait()  # while queued too: it returns once the job has ended
    # Leaving `async with` closes the scheduler: nothing queued is left to cancel here.


if __name__ == "__main__":
    asyncio.run(main())
