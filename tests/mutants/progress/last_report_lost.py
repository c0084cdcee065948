"""A reader looks whether the job is Done before it looks for a new report: a reader
that was behind when the job ended stops without the last report. Killed by
`last-seen`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob, Progress, ProgressChannel


class Channel(ProgressChannel):
    def updates(self) -> AsyncIterator[Progress]:
        return _DoneFirst(self)


class _DoneFirst:
    def __init__(self, channel: Channel) -> None:
        self.channel, self.seen = channel, 0

    def __aiter__(self) -> _DoneFirst:
        return self

    async def __anext__(self) -> Progress:
        ch = self.channel
        while True:
            if ch._closed:  # the bug: before the version test
                raise StopAsyncIteration
            if ch._version > self.seen:
                self.seen = ch._version
                assert ch._latest is not None
                return ch._latest
            event = ch._changed
            if event is None:
                event = ch._changed = asyncio.Event()
            await event.wait()


class WorkerJob(BaseJob):
    channel_type = Channel
