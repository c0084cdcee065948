"""Retries and timeouts: a flaky task retried, a slow one timed out, a stubborn one
hard-cancelled once its grace period is over.

Run it from the repository root: `python examples/retry_and_timeout.py`.
"""

from __future__ import annotations

import asyncio

from workerjob.impl import CancellationToken, CompletionType, RetryPolicy, Worker, WorkerJob


class Flaky:
    """Fails twice with a ConnectionError, then succeeds."""

    def __init__(self) -> None:
        self.calls = 0

    async def run(self) -> None:
        self.calls += 1
        if self.calls < 3:
            raise ConnectionError(f"connection reset (call {self.calls})")


class Slow:
    """Cooperative: works until its token is cancelled, then stops with an error."""

    def __init__(self, token: CancellationToken) -> None:
        self.token = token

    async def run(self) -> None:
        await self.token.cancelled()
        raise RuntimeError("stopped half-way")


class Stubborn:
    """Ignores its token altogether."""

    async def run(self) -> None:
        await asyncio.sleep(3600)


async def report(worker: Worker, completion_type: CompletionType, message: str | None) -> None:
    print(f"  continuation of {worker.name}: {completion_type.value}, {message!r}")


async def launch_and_wait(job: WorkerJob) -> None:
    await job.worker_job_continuations.add_or_run_now("report", report, job.worker)
    job.launch()
    try:
        await job.wait()
        outcome = "wait() returned None"
    except Exception as exc:
        cause = exc.__cause__
        outcome = f"wait() raised {exc!r}" + (f" from {cause!r}" if cause else "")
    await asyncio.sleep(0)  # the continuation runs in its own task: let it print first
    print(f"{job.worker.name}: {outcome}; attempts={job.attempts}, timed_out={job.timed_out}")


async def main() -> None:
    retry = RetryPolicy(max_attempts=5, initial=0.01, factor=2.0, retry_on=(ConnectionError,))
    await launch_and_wait(WorkerJob(Worker("flaky"), Flaky(), CancellationToken(), retry=retry))

    token = CancellationToken()
    await launch_and_wait(WorkerJob(Worker("slow"), Slow(token), token, timeout=0.05))

    await launch_and_wait(WorkerJob(Worker("stubborn"), Stubborn(), CancellationToken(),
                                    timeout=0.05, grace=0.05))


if __name__ == "__main__":
    asyncio.run(main())
