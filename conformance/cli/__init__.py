"""The `workerjob` command line: one subcommand per module.

Each subcommand lives in its own module with `configure(parser)` and `run(args) -> int`.
Exit codes are shared: 0 all holds, 1 a violation (with its report), 2 bad usage or
unreadable input (argparse's own convention).

The top of the conformance layer: this package may import every other package of
`workerjob.conformance` and the model, and nothing imports it (but the `__main__` entry
of a subcommand module that lives elsewhere, `traces.check_trace` and `traces.drive`).
Commands that belong to one concept live with it; this package holds the dispatcher and
the commands that only put other packages' work on a terminal (`verify`, `explore`,
`diagram`).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Protocol, cast

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("workerjob.conformance.cli.verify", "check an implementation against the model"),
    "explore": ("workerjob.conformance.cli.explore_cmd",
                "exhaustively explore the protocol model of the original"),
    "diagram": ("workerjob.conformance.cli.diagram", "draw the model's diagrams (Mermaid, DOT)"),
    "check-trace": ("workerjob.conformance.traces.check_trace",
                    "check a trace file against the model"),
    "drive": ("workerjob.conformance.traces.drive",
              "check an implementation through a driver process"),
}


class Command(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...
    def run(self, args: argparse.Namespace) -> int: ...


def _load(module: str) -> Command:
    return cast(Command, importlib.import_module(module))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workerjob",
        description="Reference model, asyncio implementation and conformance kit "
        "for WorkerJob/Continuations job runners.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        command = _load(module)
        command.configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module, _ = COMMANDS[args.command]
    return _load(module).run(args)

