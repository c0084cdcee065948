"""The rich console of the commands that draw tables (`verify`, `explore`).

rich's own answer to a closed pipe is to exit 1, which is `verify`'s "violation": this
console raises `BrokenPipeError` instead, and the dispatcher (`cli.main`) ends every
command whose reader left the same way (exit 141, nothing printed). Imports rich only.
"""

from __future__ import annotations

import errno

from rich.console import Console


class _Console(Console):
    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def console(*, stderr: bool = False, highlight: bool = True) -> Console:
    return _Console(stderr=stderr, highlight=highlight)
