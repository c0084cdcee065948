"""CancellationToken: cooperative cancellation, as in tokio-util's token of the same name."""

from __future__ import annotations

import asyncio

__all__ = ["CancellationToken"]


class CancellationToken:
    """A flag that a job's task checks; `cancel()` sets it, once and for all.

    The token never interrupts anything by itself: the task decides when to look.
    It may be created outside a running loop; the event behind `cancelled()` is
    created only when someone first waits, so a token nobody waits on stays small.
    """

    __slots__ = ("_cancelled", "_event")

    def __init__(self) -> None:
        self._cancelled = False
        self._event: asyncio.Event | None = None

    def cancel(self) -> None:
        """Mark the token cancelled and wake every waiter. Idempotent."""
        self._cancelled = True
        if self._event is not None:
            self._event.set()

    def is_cancelled(self) -> bool:
        return self._cancelled

    async def cancelled(self) -> None:
        """Return once the token is cancelled (at once if it already is)."""
        if self._cancelled:
            return
        # No await between the check above and the event's creation: `cancel()` cannot
        # slip in between and set a flag that nobody would then see.
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()

    def __repr__(self) -> str:
        return f"<CancellationToken cancelled={self._cancelled}>"
