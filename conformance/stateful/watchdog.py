"""The per-example watchdog: an implementation that never gives control back (a busy
loop, a blocking call) becomes a reported verdict instead of a silent hang.

A controllable loop runs one step of a task at a time; a step that never returns
stops the whole campaign, and no check inside the loop can notice. So the watchdog
is a real-time alarm (`SIGALRM`, POSIX, main thread) armed when an example starts and
disarmed when it ends. When it fires, its handler raises `ExampleHung` where the main
thread is, with a report of what was running: the task of the operation that never
returned (its name is `#id operation`), the line it was executing, the observations
and the schedule so far.

`ExampleHung` is a `KeyboardInterrupt` on purpose: asyncio's tasks and Hypothesis'
engine catch every other exception (as the operation's outcome, as a failure to
shrink), and only these two let it through to the campaign. Hypothesis does not
shrink it: each attempt would cost the full timeout. The seed replays it.

Where SIGALRM does not exist (Windows) or off the main thread, there is no watchdog
and a hang is a hang; Ctrl-C still ends the command (`conformance/stateful/interrupts.py`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from workerjob.conformance.stateful import interrupts

DEFAULT_TIMEOUT = 10.0  # seconds of wall time per example; a normal one takes milliseconds


class ExampleHung(KeyboardInterrupt):
    """An example ran past the watchdog's bound; `report` says where it was."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _where(frame: FrameType | None) -> str:
    """The innermost line the main thread was running, as `file:line in function`."""
    if frame is None:
        return "an unknown place"
    code = frame.f_code
    return f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}()"


class Watchdog:
    """Arms per example; `describe(machine)` turns the machine into the report."""

    def __init__(self, seconds: float, describe: Callable[[Any, str], str]) -> None:
        self.seconds = seconds
        self.describe = describe
        self.machine: Any = None
        self.fired: ExampleHung | None = None

    def arm(self, machine: Any) -> None:
        self.machine = machine
        if available():
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        if available():
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.machine = None

    def _alarm(self, signum: int, frame: FrameType | None) -> None:
        machine = self.machine
        if machine is None:  # between examples: Hypothesis' own work is not bounded
            return
        if self.fired is not None:  # again, in the teardown after the first: same verdict
            raise self.fired
        task = asyncio.current_task(machine.loop) if machine.loop is not None else None
        if task is not None:
            what = (f"operation {task.get_name()} never returned: its task's step ran for "
                    f"more than {self.seconds:g} s (--example-timeout) without giving control "
                    f"back to the loop; it was at {_where(frame)}")
        else:
            what = (f"the example ran for more than {self.seconds:g} s (--example-timeout) "
                    f"outside any operation's task, at {_where(frame)} (a constructor of "
                    "the implementation, or the harness itself)")
        self.fired = ExampleHung(self.describe(machine, f"hung: {what}"))
        raise self.fired

    @contextmanager
    def installed(self) -> Iterator[Watchdog]:
        """The SIGALRM handler for the duration of a campaign (restored after)."""
        if not available() or self.seconds <= 0:
            yield self
            return
        previous = signal.signal(signal.SIGALRM, self._alarm)
        try:
            yield self
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def watched(machine: type[Any], watchdog: Watchdog) -> type[Any]:
    """`machine` with each example under `watchdog`, and a swallowed Ctrl-C re-raised
    at the end of every example."""

    class Watched(machine):  # type: ignore[misc]
        def __init__(self) -> None:
            self.loop = None  # until the machine makes its own: the alarm may fire first
            watchdog.fired = None
            watchdog.arm(self)  # before the subject's constructors run
            super().__init__()

        def quiesce(self) -> None:
            if watchdog.fired is None:  # after a hang, running the loop may hang again
                super().quiesce()

        def teardown(self) -> None:
            try:
                if watchdog.fired is not None:
                    watchdog.arm(self)  # the shutdown may step the busy task again
                super().teardown()
            finally:
                watchdog.disarm()
            interrupts.check()
            if watchdog.fired is not None:  # swallowed on the way (an `except BaseException`
                raise watchdog.fired        # of the subject's or the harness's): still a hang

    Watched.__name__ = Watched.__qualname__ = machine.__name__
    return Watched
