"""Ctrl-C for every command: exit 130 with one line on stderr, no traceback, and never
swallowed.

`guarded(prog, body)` runs a command's body under a SIGINT handler of its own. The
first Ctrl-C sets a flag and raises `KeyboardInterrupt` where the main thread is, as
Python's default handler does. Code under test may catch it (an implementation's
`except BaseException`, a continuation, a library), so the flag is what counts:

- `check()` re-raises it at the next safe point (the campaign calls it after every
  example), so a swallowed interrupt still ends the command;
- whatever the body returns once the flag is set, the command exits 130;
- an interrupt that lands in a finalizer or a weak reference's callback (the
  controllable loop holds tasks weakly; the garbage collector runs those callbacks
  anywhere) is "ignored" by Python, which prints it with a traceback: the
  unraisable hook drops that print, the flag carries the interrupt on;
- a second Ctrl-C, or the first one not honoured within `GRACE` seconds (a busy loop
  that swallows every exception), ends the process at once with the same line and
  exit 130 (`os._exit`: nothing else can be trusted to run by then).

Imports only the standard library. A SIGINT that the parent process set to be ignored
(a background job of a shell) stays ignored: the handler is only installed over the
default one.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a process Ctrl-C killed
GRACE = 5.0  # seconds a first Ctrl-C has to end the command before the hard exit

_state: dict[str, object] = {"hits": 0, "prog": "workerjob"}


def interrupted() -> bool:
    """Ctrl-C was pressed during the current command."""
    return bool(_state["hits"])


def check() -> None:
    """Raise KeyboardInterrupt again if Ctrl-C was pressed (and swallowed since)."""
    if interrupted():
        raise KeyboardInterrupt


def _line() -> str:
    return f"{_state['prog']}: interrupted"


# Bound at import: while a campaign runs, `os._exit` raises instead (campaign.py refuses
# it to the implementation), and the hard exit must still end the process.
_os_exit = os._exit


def _hard_exit() -> None:
    try:
        sys.stderr.write(_line() + "\n")
        sys.stderr.flush()
    finally:
        _os_exit(EXIT_INTERRUPTED)


def _handler(signum: int, frame: FrameType | None) -> None:
    hits = int(str(_state["hits"])) + 1
    _state["hits"] = hits
    if hits > 1:
        _hard_exit()
    timer = threading.Timer(GRACE, _hard_exit)
    timer.daemon = True
    timer.start()
    _state["timer"] = timer
    raise KeyboardInterrupt


def _unraisable(previous: Callable[[sys.UnraisableHookArgs], object],
                ) -> Callable[[sys.UnraisableHookArgs], object]:
    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and interrupted():
            return  # the flag carries it: check() raises it again at the next safe point
        previous(unraisable)
    return hook


def guarded(prog: str, body: Callable[[], int]) -> int:
    """Run `body` (a command) with Ctrl-C handled as this module says; its exit code."""
    _state.update(hits=0, prog=prog, timer=None)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(previous_hook)
    installed = False
    previous: object = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
        if previous is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, _handler)
            installed = True
    try:
        code = body()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        sys.stderr.write(_line() + "\n")
    else:
        if interrupted():  # swallowed on the way: still an interrupt
            if code != EXIT_INTERRUPTED:  # a command that said so itself has printed
                sys.stderr.write(_line() + "\n")
            code = EXIT_INTERRUPTED
    finally:
        timer = _state.get("timer")
        if isinstance(timer, threading.Timer):
            timer.cancel()
        if installed:
            signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
        sys.unraisablehook = previous_hook
    return code
