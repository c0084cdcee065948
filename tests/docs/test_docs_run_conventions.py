"""The docs-that-run conventions read a document's directives as shell words: one that
does not parse is named with its document and line, not a collection traceback."""

from __future__ import annotations

import pytest

from tests.docs import docs_run

DOC = '''<!-- docs-test: skip "workerjob" (it's slow) -->
```sh
workerjob verify
```
'''


def test_a_directive_that_does_not_parse_is_named_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"^NOTES\.md:\d+: a docs-test directive does not "
                                         r"parse as shell words"):
        docs_run.commands("NOTES.md", DOC)


def unchecked_outputs(text: str) -> list[int]:
    """Lines of the output blocks (fenced, no language) that no command's output is
    compared with: one that does not follow a command block directly."""
    found = docs_run.blocks(text)
    return [b.line for i, b in enumerate(found) if b.lang == "" and not (
        i and found[i - 1].lang in docs_run.SHELL_LANGS and not found[i - 1].after.strip())]


@pytest.mark.parametrize("doc", ["README.md", "conformance/traces/DRIVER.md",
                                 "proofs_notes/walkthrough.md"])
def test_every_output_a_document_shows_is_compared(doc: str) -> None:
    """Regression: a paragraph between a command and the output shown for it made the
    output a block nobody compared (the walkthrough's bug report, wrong for a while)."""
    from tests.docs.test_docs_run import ROOT

    assert unchecked_outputs((ROOT / doc).read_text(encoding="utf-8")) == []


def test_an_output_after_a_paragraph_is_found() -> None:
    text = "```sh\nworkerjob verify\n```\n\n(a note)\n\n```\nconforms\n```\n"
    assert unchecked_outputs(text) == [7]
