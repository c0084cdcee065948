"""A reader keeps its own list of the reports it has not been given, and takes the
newest first (`list.pop()` where `pop(0)` was meant): a slow reader gets the latest,
then an older one. Killed by `in-order`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tests.mutants.progress._base import *  # noqa: F403
from tests.mutants.progress._base import BaseJob, Progress, ProgressChannel


class Channel(ProgressChannel):
    __slots__ = ("_buffers",)

    def __init__(self) -> None:
        super().__init__()
        self._buffers: list[list[Progress]] = []

    def _publish(self, progress: Progress) -> None:
        super()._publish(progress)
        for buffer in self._buffers:
            buffer.append(progress)

    def updates(self) -> AsyncIterator[Progress]:
        buffer = [] if self._latest is None else [self._latest]
        self._buffers.append(buffer)
        return _Buffered(self, buffer)


class _Buffered:
    def __init__(self, channel: Channel, buffer: list[Progress]) -> None:
        self.channel, self.buffer = channel, buffer

    def __aiter__(self) -> _Buffered:
        return self

    async def __anext__(self) -> Progress:
        while True:
            if self.buffer:
                return self.buffer.pop()  # the bug: newest first
            if self.channel.closed:
                raise StopAsyncIteration
            event = self.channel._changed
            if event is None:
                event = self.channel._changed = asyncio.Event()
            await event.wait()


class WorkerJob(BaseJob):
    channel_type = Channel
