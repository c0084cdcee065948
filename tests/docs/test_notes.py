"""The notes in `proofs_notes/` cannot rot silently: every invariant of the model has a
section in invariants.md, every `tests/...::name` a note cites is a test that exists,
and every relative link points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workerjob.model.invariants import STATE_INVARIANTS, STEP_INVARIANTS

ROOT = Path(__file__).resolve().parents[2]
NOTES = ROOT / "proofs_notes"
NOTE_FILES = sorted(NOTES.glob("*.md"))

# tests/model/test_traces.py::test_accepted, tests/x.py::Class::test_method
TEST_REF = re.compile(r"(tests/[\w/.-]+\.py)::(\w+(?:::\w+)*)")
# [text](target), not an absolute URL, not a pure anchor
LINK = re.compile(r"\[[^\]]*\]\((?!https?:|mailto:|#)([^)\s#]+)(?:#[^)]*)?\)")


def references() -> list[tuple[str, str, str]]:
    """(note, file, name) for every test reference in the notes."""
    return [(note.name, m.group(1), m.group(2))
            for note in NOTE_FILES
            for m in TEST_REF.finditer(note.read_text(encoding="utf-8"))]


def test_the_notes_cite_tests() -> None:
    names = {note.name for note in NOTE_FILES}
    assert {"invariants.md", "classification.md", "model.md", "walkthrough.md"} <= names
    assert len(references()) > 50


INVARIANTS = [i.name for i in STATE_INVARIANTS] + [i.name for i in STEP_INVARIANTS]


@pytest.mark.parametrize("name", INVARIANTS)
def test_every_invariant_has_a_section(name: str) -> None:
    text = (NOTES / "invariants.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ `{re.escape(name)}`\s*$", text, re.MULTILINE), (
        f"proofs_notes/invariants.md has no section `### `{name}`` for the invariant "
        "of model/invariants.py: add its statement, proof and check")


def test_every_cited_test_exists() -> None:
    missing = []
    for note, file, name in references():
        path = ROOT / file
        if not path.is_file():
            missing.append(f"{note}: {file} does not exist")
            continue
        source = path.read_text(encoding="utf-8")
        *classes, function = name.split("::")
        for cls in classes:
            if not re.search(rf"^\s*class {cls}\b", source, re.MULTILINE):
                missing.append(f"{note}: {file} has no class {cls}")
        if not re.search(rf"^\s*(async )?def {function}\(", source, re.MULTILINE):
            missing.append(f"{note}: {file} has no test {function}")
    assert not missing, "\n".join(sorted(set(missing)))


# Notes other engineers own, linked before they land: a link to one is checked as soon
# as the file exists, and not before.
PENDING = {"races.md"}


def test_every_relative_link_resolves() -> None:
    broken = [f"{note.name}: {target}"
              for note in NOTE_FILES
              for target in LINK.findall(note.read_text(encoding="utf-8"))
              if not (note.parent / target).exists() and target not in PENDING]
    assert not broken, "broken links in proofs_notes: " + ", ".join(broken)
