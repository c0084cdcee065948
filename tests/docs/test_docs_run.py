"""Every command shown in the user-facing documents runs, and prints what the
document shows where it shows it (the conventions: `tests/docs/docs_run.py`).

The documents: README.md, conformance/traces/DRIVER.md, proofs_notes/walkthrough.md, and any
markdown file under `examples/` or `docs/`; a command added to any of them is run by
this test with no change here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs import docs_run

ROOT = Path(__file__).resolve().parents[2]
FIXED = ["README.md", "conformance/traces/DRIVER.md", "proofs_notes/walkthrough.md"]
DOCS = FIXED + sorted(str(p.relative_to(ROOT)) for folder in ("examples", "docs")
                      for p in (ROOT / folder).rglob("*.md"))
COMMANDS = docs_run.load(ROOT, DOCS)
IGNORE = shutil.ignore_patterns(".git", ".venv", ".tox", "__pycache__", ".mypy_cache",
                                ".pytest_cache", ".ruff_cache", ".hypothesis", "build",
                                "*.egg-info")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the repository with `.venv` pointing at this environment."""
    base = tmp_path_factory.mktemp("docs")
    repo = base / "repo"
    shutil.copytree(ROOT, repo, symlinks=True, ignore=IGNORE)
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"HYPOTHESIS_PROFILE", "WORKERJOB_IMPL", "COLUMNS", "LINES",
                        "XDG_CACHE_HOME", "PYTHONPATH", "FORCE_COLOR", "NO_COLOR"}}
    env.update(HOME=str(home), PATH=f"{repo / '.venv' / 'bin'}{os.pathsep}{env['PATH']}",
               TERM="dumb")
    return repo, env


def test_the_documents_have_commands() -> None:
    per_doc = {doc: sum(c.doc == doc for c in COMMANDS) for doc in FIXED}
    assert all(n >= 3 for n in per_doc.values()), per_doc
    assert sum(c.shown is not None for c in COMMANDS) >= 5


@pytest.mark.parametrize("command", COMMANDS, ids=[c.id for c in COMMANDS])
def test_documented_command(command: docs_run.Command,
                            sandbox: tuple[Path, dict[str, str]]) -> None:
    if command.skip is not None:
        pytest.skip(command.skip)
    repo, env = sandbox
    program = command.text.split()[0]
    if program.startswith(".venv/bin/") and not (repo / program).exists():
        # tox's test environments install the test extra only; `type` and `lint` run these
        pytest.skip(f"{program.removeprefix('.venv/bin/')} is not installed here")
    for name, content in command.files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    proc = subprocess.run(["bash", "-c", "set -eo pipefail\n" + command.text], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    where = f"{command.id}: `{command.text.splitlines()[0]}`"
    assert "Traceback (most recent call last)" not in proc.stderr, f"{where}\n{proc.stderr}"
    if command.exit_code is not None:
        assert proc.returncode == command.exit_code, f"{where}\n{proc.stdout}\n{proc.stderr}"
    else:
        assert proc.returncode in (0, 1), f"{where} exited {proc.returncode}\n{proc.stderr}"
    if command.shown is not None:
        problem = docs_run.matches(command.shown, proc.stdout)
        assert problem is None, f"{where} does not print what the document shows:\n{problem}"


# --- the extraction itself ------------------------------------------------------------

SAMPLE = """\
Some text.

<!-- docs-test: replace "--examples 2000" "--examples 20" -->
<!-- docs-test: skip "tox" (it runs the whole suite) -->
```sh
workerjob verify --examples 2000   # a comment
.venv/bin/tox
.venv/bin/python - <<'EOF'
print("a")
EOF
```

```
a
```

Exit status 0: fine.

<!-- docs-test: save trace.jsonl -->
```jsonl
{"trace":"workerjob"}
```

```python
print("not a command")
```
"""


def test_extraction_follows_the_conventions() -> None:
    found = docs_run.commands("sample.md", SAMPLE)
    assert [c.text.splitlines()[0] for c in found] == [
        "workerjob verify --examples 20   # a comment", ".venv/bin/tox",
        ".venv/bin/python - <<'EOF'"]
    assert found[1].skip == "it runs the whole suite"
    assert found[2].text.endswith("EOF") and found[2].shown == "a"
    assert found[2].exit_code == 0 and found[0].exit_code is None
    assert [c.line for c in found] == [6, 7, 8]
    assert docs_run.commands("x.md", "```sh\npython3 -m venv .venv && .venv/bin/pip install . "
                             "&& .venv/bin/workerjob verify\n```\n")[0].text == \
        ".venv/bin/workerjob verify"
    saved = docs_run.commands("x.md", SAMPLE + "```sh\ncat trace.jsonl\n```\n")[-1]
    assert saved.files == {"trace.jsonl": '{"trace":"workerjob"}\n'}


def test_matching_output() -> None:
    assert docs_run.matches("a\nb\n", "a\nb   \n\n") is None
    assert docs_run.matches("a\nb\n", "a\nc\n") is not None
    assert docs_run.matches("a\n...\nz\n", "a\nb\nc\nz\n") is None
    assert docs_run.matches("a\n...\nz\n", "a\nb\nz\nq\n") is not None  # z must end it
    assert docs_run.matches("a\n...\n", "a\nanything\n") is None
    assert docs_run.matches("...\nb\n...\n", "a\nb\nc\n") is None
    assert docs_run.matches("...\nb\n...\n", "a\nc\n") is not None


def test_a_python_block_marked_run_is_a_program() -> None:
    doc = ("<!-- docs-test: run -->\n```python\nprint(1)\n```\n\n```\n1\n```\n\n"
           "```python\nexcerpt()\n```\n")
    found = docs_run.commands("x.md", doc)
    assert len(found) == 1
    assert found[0].text == ".venv/bin/python - <<'DOCS_PY'\nprint(1)\nDOCS_PY"
    assert found[0].shown == "1"


def test_a_console_block_runs_its_prompted_lines() -> None:
    found = docs_run.commands("x.md", "```console\n$ workerjob verify\nsome output\n"
                                      "$ echo hi\nhi\n```\n")
    assert [c.text for c in found] == ["workerjob verify", "echo hi"]
