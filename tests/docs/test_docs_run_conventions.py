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
