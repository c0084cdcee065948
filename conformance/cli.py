"""The `workerjob` command line: one subcommand per module.

Each subcommand lives in its own module with `configure(parser)` and `run(args) -> int`.
Exit codes are shared: 0 all holds, 1 a violation (with its report), 2 bad usage or
unreadable input (argparse's own convention), 130 interrupted by Ctrl-C (one line on
stderr, never a traceback: `interrupts.py`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from . import interrupts

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("workerjob.conformance.verify", "check an implementation against the model"),
    "explore": ("workerjob.conformance.explore_cmd",
                "exhaustively explore the protocol model of the original"),
    "diagram": ("workerjob.conformance.diagram", "draw the model's diagrams (Mermaid, DOT)"),
    "check-trace": ("workerjob.conformance.check_trace", "check a trace file against the model"),
    "drive": ("workerjob.conformance.drive", "check an implementation through a driver process"),
}


class Command(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...
    def run(self, args: argparse.Namespace) -> int: ...


def _load(module: str) -> Command:
    return cast(Command, importlib.import_module(module))


def build_parser() -> argparse.ArgumentParser:
    return _build()[0]


def _build() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="workerjob",
        description="Reference model, asyncio implementation and conformance kit "
        "for WorkerJob/Continuations job runners.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, (module, help_text) in COMMANDS.items():
        command = _load(module)
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        command.configure(parsers[name])
    return parser, parsers


def main(argv: Sequence[str] | None = None) -> int:
    parser, parsers = _build()
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        parser.print_help()
        return 2
    if unknown:  # `verify --bogus`: verify's usage, not the top-level one
        parsers[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    module, _ = COMMANDS[args.command]
    return interrupts.guarded(f"workerjob {args.command}", lambda: _load(module).run(args))


if __name__ == "__main__":
    sys.exit(main())
