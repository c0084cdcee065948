"""Three jobs report their progress; a rich progress bar per job follows
`job.progress.updates()`; at the end the metrics are read back with `snapshot()`.

    .venv/bin/python examples/progress_bar.py

The videos are cancelled half-way, by their own bar's reader when it sees 30 files
copied (cooperatively: the job checks its token between files), so the metrics show two
jobs completed normally and one cancelled.
"""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    Worker,
    WorkerJob,
    report_progress,
    snapshot,
)


class CopyFiles:
    """A WorkerTask: copies `count` files, reporting after each one."""

    def __init__(self, count: int, token: CancellationToken) -> None:
        self.count, self.token = count, token

    async def run(self) -> None:
        report_progress(0, self.count, "starting")
        for done in range(1, self.count + 1):
            await asyncio.sleep(0.005)  # copy one file (or wait to)
            if self.token.is_cancelled():
                return  # cooperative: stop between files
            report_progress(done, self.count, f"file {done}")


async def follow(job: WorkerJob, bars: Progress, name: str, stop_at: float | None) -> None:
    """One bar, driven by the job's updates until the job is Done."""
    bar = bars.add_task(name, total=None)
    async for p in job.progress.updates():
        bars.update(bar, completed=p.done, total=p.total, description=f"{name}: {p.note}")
        if stop_at is not None and p.done >= stop_at:
            # The reader is woken at once by the report; the job sleeps 5 ms before it
            # checks its token again, so it stops at exactly this file.
            job.cancel()


async def main() -> None:
    console = Console()
    done_kinds: list[str] = []

    async def on_done(worker: Worker, kind: CompletionType, message: str | None) -> None:
        done_kinds.append(f"{worker.name}: {kind.value}")

    jobs = []
    plan = (("photos", 40, None), ("music", 25, None), ("videos", 60, 30))
    for name, count, _ in plan:
        token = CancellationToken()
        job = WorkerJob(Worker(name), CopyFiles(count, token), token)
        await job.worker_job_continuations.add_or_run_now("log", on_done, job.worker)
        jobs.append(job)
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn())
    # The bars are for a terminal; piped, only the summary below is printed.
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bars:
        followers = [asyncio.create_task(follow(job, bars, name, stop_at))
                     for job, (name, _, stop_at) in zip(jobs, plan, strict=True)]
        for job in jobs:
            job.launch()
        await asyncio.gather(*(job.wait() for job in jobs))
        await asyncio.gather(*followers)  # every reader ends once its job is Done
    await asyncio.sleep(0)  # the continuations run in their own tasks
    for job in jobs:
        p = job.progress.latest
        assert p is not None
        state = "all copied" if p.done == p.total else f"stopped at {p.note}"
        console.print(f"{job.worker.name:<7} {p.done:g}/{p.total:g} {state}")
    console.print(", ".join(sorted(done_kinds)))

    metrics = snapshot()
    table = Table("metric", "value", title="workerjob.impl.snapshot()")
    for key in ("jobs_launched", "attempts", "jobs_running", "continuations_started",
                "continuations_registered"):
        table.add_row(key, str(metrics[key]))
    for kind, count in metrics["jobs_completed"].items():
        table.add_row(escape(f"jobs_completed[{kind}]"), str(count))
    table.add_row("run_duration count", str(metrics["run_duration"]["count"]))
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
