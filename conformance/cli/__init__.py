"""The `workerjob` command line: one subcommand per module.

Each subcommand lives in its own module with `configure(parser)` and `run(args) -> int`.
Exit codes are shared: 0 all holds, 1 a violation (with its report), 2 bad usage or
unreadable input (argparse's own convention), 130 interrupted by Ctrl-C (one line on
stderr, never a traceback: `stateful/interrupts.py`), 141 the reader of the output went
away (`workerjob verify | head`: nothing more is printed, as a shell reports a process
that SIGPIPE ended).

The top of the conformance layer: this package may import every other package of
`workerjob.conformance` and the model, and nothing imports it (but the `__main__` entry
of a subcommand module that lives elsewhere, `traces.check_trace` and `traces.drive`).
Commands that belong to one concept live with it; this package holds the dispatcher and
the commands that only put other packages' work on a terminal (`verify`, `explore`,
`diagram`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from workerjob.conformance.stateful import interrupts

EXIT_READER_GONE = 141  # 128 + SIGPIPE

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


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line on stderr naming what is wrong
    and where the options are listed, then exit 2 (argparse prints the whole usage
    first). `add_subparsers` makes the subcommands' parsers of this class too."""

    argv: Sequence[str] = ()  # the words being parsed, for `error`

    def error(self, message: str) -> NoReturn:
        # argparse checks the required arguments before it complains of unknown ones:
        # `check-trace --bogus` would name the missing FILE, not the word that is wrong.
        if message.startswith("the following arguments are required"):
            unknown = _unknown_options(self, self.argv)
            if unknown:
                message = f"unrecognized arguments: {' '.join(unknown)}"
        self.exit(2, f"{self.prog}: {message} (options: {self.prog} --help)\n")


def _unknown_options(parser: argparse.ArgumentParser, words: Sequence[str]) -> list[str]:
    """The words before `--` that look like options and begin none of the parser's
    (argparse takes a unique prefix of an option for the option)."""
    known = [s for action in parser._actions for s in action.option_strings]
    out = []
    for word in words:
        if word == "--":
            break
        name = word.split("=", 1)[0]
        if (name.startswith("-") and name != "-" and not _NUMBER.fullmatch(name)
                and not any(option.startswith(name) for option in known)):
            out.append(word)
    return out


_NUMBER = re.compile(r"-\d+(\.\d*)?")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("workerjob")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _load(module: str) -> Command:
    return cast(Command, importlib.import_module(module))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `only`, the other commands are listed but not configured,
    so their modules (and what they import) are not loaded: start-up is part of every
    command's wait."""
    return _build(only)[0]


def _build(only: str | None = None,
           ) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = _Parser(
        prog="workerjob",
        description="Reference model, asyncio implementation and conformance kit "
        "for WorkerJob/Continuations job runners.",
    )
    parser.add_argument("--version", action="version", version=f"workerjob {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, (module, help_text) in COMMANDS.items():
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            _load(module).configure(parsers[name])
    return parser, parsers


def main(argv: Sequence[str] | None = None) -> int:
    # Hypothesis loads every installed plugin (its "hypothesis" entry points) when it is
    # first imported: HypoFuzz's alone doubles the start-up of `verify`, and no command
    # here uses one. An empty HYPOTHESIS_NO_PLUGINS= in the environment loads them.
    os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")
    args_list = sys.argv[1:] if argv is None else list(argv)
    # The command is the first word that is not an option (the top level has none but
    # -h); `workerjob --help` and `workerjob` alone load no command at all.
    first = next((a for a in args_list if not a.startswith("-")), None)
    command = first if first in COMMANDS else ""
    # Guarded from the start: a Ctrl-C while the command's modules are imported (a
    # second of start-up) is one line and exit 130 like any other.
    prog = f"workerjob {command}" if command else "workerjob"
    try:
        return interrupts.guarded(prog, lambda: _dispatch(args_list, command))
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of our output closed it (`| head`). Python's default is a traceback,
    then another at exit when it flushes stdout again; instead, whatever is left to
    print goes nowhere, and the exit code says what happened. (Not SIGPIPE's default
    action: a write to a driver that died must stay an error `drive` reports.)"""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_READER_GONE


def _dispatch(args_list: list[str], command: str) -> int:
    parser, parsers = _build(only=command)
    for each in (parser, *parsers.values()):
        cast(_Parser, each).argv = args_list
    args, unknown = parser.parse_known_args(args_list)
    if args.command is None:
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        parser.print_help()
        return 2
    if unknown:  # `verify --bogus`: named by verify, not by the top level
        parsers[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    module, _ = COMMANDS[args.command]
    return _load(module).run(args)
