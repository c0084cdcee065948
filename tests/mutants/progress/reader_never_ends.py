"""Done marks the channel closed but wakes nobody: a reader waiting for the next report
when the job ends waits for ever. Killed by `reader-ends`."""

from __future__ import annotations

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob, ProgressChannel


class Channel(ProgressChannel):
    def _close(self) -> None:
        self._closed = True  # the bug: no self._wake()


class WorkerJob(BaseJob):
    channel_type = Channel
