"""The channel closes for readers but still accepts reports: a task that run() spawned
reports after the job is Done, and it is taken. Killed by `closed-at-done`."""

from __future__ import annotations

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob, Progress, ProgressChannel


class Channel(ProgressChannel):
    def _publish(self, progress: Progress) -> None:
        closed, self._closed = self._closed, False  # the bug: closed is not checked
        try:
            super()._publish(progress)
        finally:
            self._closed = closed


class WorkerJob(BaseJob):
    channel_type = Channel
