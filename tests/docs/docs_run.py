"""Docs that run: the commands of the user-facing documents, extracted from their code
blocks, and the output they show.

What counts as a command, so that a section added later is picked up with no change
here:

- every line of a fenced block whose language is `sh`, `bash` or `shell`, joined
  across `\\` line ends and `<<'EOF'` here-documents; in a `console` block, the lines
  after a `$ ` prompt (the others are output, not compared);
- the output a command must print is a fenced block with no language right after its
  block (blank lines between only), and belongs to the block's last command. A line
  `...` in it stands for any number of lines (output trimmed); without one, the whole
  output must match. Trailing spaces are ignored.
- a command must exit 0 or 1 (a verdict) with no traceback on stderr, or exactly N
  when the paragraph after its block begins `Exit status N`.

A document says what the test does differently, in HTML comments (invisible when
rendered) before a block, each applying to the next code block:

- `<!-- docs-test: replace "OLD" "NEW" -->`: run with OLD replaced (smaller bounds);
- `<!-- docs-test: skip "TEXT" (reason) -->`: commands containing TEXT are not run
  (a reason is required: the whole suite, a network install);
- `<!-- docs-test: save NAME -->`: the block's text is saved as the file NAME;
- `<!-- docs-test: run -->` before a `python` block: the block is a program, run by
  the environment's Python (other `python` blocks are excerpts and not run);
- `<!-- docs-test: file NAME -->` then lines then `-->` ... written as one comment:
  `<!-- docs-test: file NAME\\nCONTENT\\n-->` writes CONTENT to NAME first.

Commands run in a copy of the repository (so that a command that writes files changes
nothing here), with `.venv` there pointing at the environment running the tests,
its `bin/` first on PATH, HOME and the caches in a temporary folder, and no
HYPOTHESIS_PROFILE, WORKERJOB_IMPL or COLUMNS unless the command sets them. A line
that creates the virtual environment and installs into it
(`python3 -m venv .venv && .venv/bin/pip install ... && REST`) runs as REST: the
environment is the one the tests run in.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGS = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)(`{3,})\s*([\w-]*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->", re.DOTALL | re.MULTILINE)
INSTALL = re.compile(r"^python3? -m venv \.venv && \.venv/bin/pip install [^&]+(?:&& )?")
EXIT = re.compile(r"^\s*Exit status (\d+)")


@dataclass
class Block:
    lang: str
    text: str
    line: int  # 1-based line of the opening fence
    directives: list[str] = field(default_factory=list)
    after: str = ""  # the text between this block and the next


@dataclass
class Command:
    doc: str
    line: int
    text: str  # as run (replacements applied)
    shown: str | None  # the output the document shows, None if none
    exit_code: int | None  # the exit status the document states, None if none
    skip: str | None  # why it is not run
    files: dict[str, str]  # files to write before it runs

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a markdown text, with the directives before each."""
    out: list[Block] = []
    lines = text.splitlines()
    pending: list[str] = []
    i, prose_start = 0, 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        prose = "\n".join(lines[prose_start:i])
        if out:
            out[-1].after = prose
        pending += DIRECTIVE.findall(prose)
        indent, fence, lang = m.groups()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        out.append(Block(lang.lower(), "\n".join(body), i + 1, pending))
        pending = []
        i = prose_start = j + 1
    if out:
        out[-1].after = "\n".join(lines[prose_start:])
    return out


def split_commands(text: str, *, prompts: bool = False) -> list[tuple[int, str]]:
    """(offset of its first line, command) for each command of a shell block (with
    `prompts`, a console block: only the lines after a `$ ` prompt)."""
    out: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        i += 1
        if prompts:
            if not line.startswith("$ "):
                continue
            line = line[2:]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [line]
        while parts[-1].endswith("\\") and i < len(lines):
            parts.append(lines[i])
            i += 1
        here = re.search(r"<<-?\s*'?\"?(\w+)'?\"?", parts[-1])
        if here:
            end = here.group(1)
            while i < len(lines):
                parts.append(lines[i])
                i += 1
                if parts[-1].strip() == end:
                    break
        out.append((start, "\n".join(parts)))
    return out


def _directive_args(directive: str) -> list[str]:
    return shlex.split(directive.split("\n", 1)[0])


def commands(doc: str, text: str) -> list[Command]:
    """Every command of the document `doc` (its text `text`), in order."""
    out: list[Command] = []
    found = blocks(text)
    files: dict[str, str] = {}
    for n, block in enumerate(found):
        replaces: list[tuple[str, str]] = []
        skips: list[tuple[str, str]] = []
        run = False
        for directive in block.directives:
            try:
                words = _directive_args(directive)
            except ValueError as exc:  # an apostrophe in a reason opens a quote
                raise ValueError(f"{doc}:{block.line}: a docs-test directive does not "
                                 f"parse as shell words ({exc}): {directive!r}") from None
            if words[0] == "replace":
                replaces.append((words[1], words[2]))
            elif words[0] == "skip":
                reason = " ".join(words[2:]).strip("()")
                if not reason:
                    raise ValueError(f"{doc}:{block.line}: a skip needs its reason")
                skips.append((words[1], reason))
            elif words[0] == "save":
                files[words[1]] = block.text + "\n"
            elif words[0] == "run":
                run = True
            elif words[0] == "file":
                files[words[1]] = directive.split("\n", 1)[1] if "\n" in directive else ""
            else:
                raise ValueError(f"{doc}:{block.line}: unknown docs-test directive {words[0]!r}")
        if block.lang == "python" and run:
            program = f".venv/bin/python - <<'DOCS_PY'\n{block.text}\nDOCS_PY"
        elif block.lang not in SHELL_LANGS:
            continue
        shown = None
        nxt = found[n + 1] if n + 1 < len(found) else None
        if nxt is not None and nxt.lang == "" and not block.after.strip():
            shown = nxt.text
        stated = EXIT.match((nxt.after if shown is not None and nxt else block.after).strip())
        cmds = (split_commands(block.text, prompts=block.lang == "console")
                if block.lang != "python" else [(-1, program)])
        for k, (offset, cmd) in enumerate(cmds):
            for old, new in replaces:
                cmd = cmd.replace(old, new)
            cmd = INSTALL.sub("", cmd)
            skip = next((reason for what, reason in skips if what in cmd), None)
            if not cmd.strip():
                skip = "creates the virtual environment the tests already run in"
            last = k == len(cmds) - 1
            out.append(Command(doc, block.line + 1 + offset, cmd, shown if last else None,
                               int(stated.group(1)) if stated and last else None, skip,
                               dict(files)))
    return out


def matches(shown: str, actual: str) -> str | None:
    """None if `actual` is what `shown` shows (`...` lines: anything), else why not."""
    want = [line.rstrip() for line in shown.strip("\n").splitlines()]
    have = [line.rstrip() for line in actual.splitlines()]
    while have and not have[-1]:
        have.pop()
    segments: list[list[str]] = [[]]
    for line in want:
        if line.strip() == "...":
            segments.append([])
        else:
            segments[-1].append(line)
    if len(segments) == 1:
        return None if want == have else _diff(want, have)
    pos = 0
    for n, segment in enumerate(segments):
        if not segment:
            continue
        if n == 0:  # before the first `...`: the output starts so
            if have[:len(segment)] != segment:
                return _diff(segment, have[:len(segment) + 3])
            pos = len(segment)
            continue
        last = n == len(segments) - 1
        for at in range(pos, len(have) - len(segment) + 1):
            if have[at:at + len(segment)] == segment and (
                    not last or at + len(segment) == len(have)):
                pos = at + len(segment)
                break
        else:
            return _diff(segment, have[pos:])
    return None


def _diff(want: list[str], have: list[str]) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(want, have, "shown", "printed", lineterm=""))


def load(root: Path, docs: list[str]) -> list[Command]:
    out: list[Command] = []
    for doc in docs:
        out += commands(doc, (root / doc).read_text(encoding="utf-8"))
    return out
