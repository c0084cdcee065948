"""Progress reporting (ENHANCEMENTS.md, "Progress"): a watch channel per job.

Inside `run()`, `report_progress(done, total, note)` finds its job through a context
variable that the job's task sets before it calls `run()`; `WorkerTask.run()` keeps the
seed's signature. A task that `run()` creates inherits the variable (asyncio copies the
context into every new task), so it reports for the same job, and is refused once that
job is Done.

`job.progress` is the channel: `latest` is the last report, `updates()` an async
iterator of the latest value whenever it changes. tokio's `watch` is the anchor: each
report is a new *version*; a reader remembers the version it was given last. The rules
(`proofs_notes/progress.md`) are three lines of `_Updates.__anext__`; their order is
the contract.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

__all__ = ["Progress", "ProgressChannel", "report_progress"]


@dataclass(frozen=True, slots=True)
class Progress:
    """One report: `done` out of `total` (None: unknown), with an optional note."""

    done: float
    total: float | None = None
    note: str | None = None


class ProgressChannel:
    """A job's progress: the last report, a version per report, closed at Done."""

    __slots__ = ("_changed", "_closed", "_latest", "_version")

    def __init__(self) -> None:
        self._latest: Progress | None = None
        self._version = 0
        self._closed = False
        # Created by the first reader that waits, replaced after each wake-up: one
        # Event per generation, so each waiter has its own future (a reader cancelled
        # while waiting cancels only itself).
        self._changed: asyncio.Event | None = None

    @property
    def latest(self) -> Progress | None:
        """The last report accepted, or None before the first."""
        return self._latest

    @property
    def closed(self) -> bool:
        """True once the job is Done: no more reports."""
        return self._closed

    def updates(self) -> AsyncIterator[Progress]:
        """`async for p in job.progress.updates()`: the latest value whenever it
        changes; ends once the job is Done and the last report was given."""
        return _Updates(self)

    def _publish(self, progress: Progress) -> None:
        if self._closed:
            raise RuntimeError("the job is Done: progress can no longer be reported")
        latest = self._latest
        if latest is not None and progress.done < latest.done:
            raise ValueError(
                f"progress goes back: done={progress.done!r} after done={latest.done!r}"
            )
        # One instant (no await): the value and its version change together.
        self._latest = progress
        self._version += 1
        self._wake()

    def _close(self) -> None:
        """Called by the job's continuations at the instant they become Done."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        changed = self._changed
        if changed is not None:
            self._changed = None
            changed.set()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ProgressChannel {state} version={self._version} latest={self._latest}>"


class _Updates:
    """One reader: the version it was given last."""

    __slots__ = ("_channel", "_seen")

    def __init__(self, channel: ProgressChannel) -> None:
        self._channel = channel
        self._seen = 0

    def __aiter__(self) -> _Updates:
        return self

    async def __anext__(self) -> Progress:
        ch = self._channel
        while True:
            # The version test comes first: a reader always gets the last report made
            # before Done, even when it looks only after Done. Test and return are one
            # step, so what it returns is the latest at the instant it gets it.
            if ch._version > self._seen:
                self._seen = ch._version
                assert ch._latest is not None
                return ch._latest
            if ch._closed:
                raise StopAsyncIteration
            changed = ch._changed
            if changed is None:
                changed = ch._changed = asyncio.Event()
            await changed.wait()


_CURRENT: contextvars.ContextVar[ProgressChannel] = contextvars.ContextVar(
    "workerjob_progress"
)
"""The channel of the job whose task runs the current code; set by the job's task."""


def enter(channel: ProgressChannel) -> None:
    """Make `channel` the current job's (called once by the job's task, in its own
    context, before `run()`)."""
    _CURRENT.set(channel)


def report_progress(done: float, total: float | None = None, note: str | None = None) -> None:
    """Report progress for the job whose `run()` is running this code.

    `done` never decreases within a job (ValueError); `0 <= done <= total` when `total`
    is given (ValueError). RuntimeError outside any job, or once the job is Done.
    """
    _check_number("done", done)
    if total is not None:
        _check_number("total", total)
    if note is not None and not isinstance(note, str):
        raise TypeError(f"note must be str or None, got {type(note).__name__}")
    if done < 0 or (total is not None and done > total):
        bound = "" if total is None else f" <= total={total!r}"
        raise ValueError(f"progress out of range: need 0 <= done={done!r}{bound}")
    try:
        channel = _CURRENT.get()
    except LookupError:
        raise RuntimeError("report_progress() called outside any WorkerJob's run()") from None
    channel._publish(Progress(done, total, note))


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
