"""A continuation added after Done is counted as started when it is added, and again
when its task starts. Killed by `gauges-exact` (the counter at the next snapshot)."""

from __future__ import annotations

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob, ContinuationFn, Continuations, Done, Worker
from workerjob.impl import metrics


class CountingContinuations(Continuations):
    async def add_or_run_now(self, key: str, callback: ContinuationFn, worker: Worker) -> None:
        if isinstance(self.state, Done):
            metrics.continuation_started()  # the bug: _run_one counts it too
        await super().add_or_run_now(key, callback, worker)


class WorkerJob(BaseJob):
    continuations_type = CountingContinuations
