"""The commands that document `--spec original` and `--allow` (README.md and
conformance/traces/DRIVER.md) are run here: a `console` block's output is what the command
prints; an `sh` line of the README's departures section exits as its comment says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.traces.helpers import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "conformance" / "traces" / "DRIVER.md"]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def console_commands() -> list[tuple[str, str, str]]:
    """(document, command, the output shown under it)."""
    out = []
    for doc in DOCS:
        for block in BLOCK.findall(doc.read_text(encoding="utf-8")):
            parts = re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]
            for part in parts:
                command, _, shown = part.partition("\n")
                out.append((doc.name, command, shown))
    return out


COMMANDS = console_commands()


def test_the_documents_show_the_original_conforming() -> None:
    docs = {doc for doc, command, _ in COMMANDS if "allowed-original" in command}
    assert docs == {"README.md", "DRIVER.md"}


@pytest.mark.parametrize(("doc", "command", "shown"), COMMANDS,
                         ids=[f"{d}:{c}" for d, c, _ in COMMANDS])
def test_a_shown_command_prints_what_is_shown(doc: str, command: str, shown: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    assert argv[0] == "workerjob"
    ran = cli(*argv[1:])
    assert ran.out == shown, f"{doc}: `{command}` printed:\n{ran.out}"


def sh_commands() -> list[tuple[str, int]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Known departures", 1)[1].split("\n## ", 1)[0]
    out = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            out.append((command.strip(), int(comment.split()[1])))
    return out


@pytest.mark.parametrize(("command", "code"), sh_commands())
def test_a_documented_verify_exits_as_documented(command: str, code: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    assert argv[0] == "workerjob"
    assert cli(*argv[1:]).code == code
