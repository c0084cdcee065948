"""The import rules of ARCHITECTURE.md, read from the source with `ast` (nothing is imported).

- the model (`workerjob.model`, with `model.protocol`) imports nothing of asyncio,
  threading, time or random, and nothing of `workerjob.impl` or `workerjob.conformance`;
- `workerjob.impl` imports nothing of `workerjob` but itself;
- no package imports a package of a higher layer: the model's core < `model.protocol`
  < `conformance.loop` < `render` < `stateful` < `traces` < `cli`;
- every module of the three folders belongs to a layer, and every package has a
  docstring and is listed in pyproject.toml (else the wheel leaves it out).

An import inside `if __name__ == "__main__":` is a program's entry, not a dependency of
the module, and is not checked (`traces.check_trace` runs the command line from there).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"model": "workerjob.model", "impl": "workerjob.impl",
           "conformance": "workerjob.conformance"}

# Each layer may import itself and the layers before it; `impl` stands alone.
LAYERS = [
    "workerjob.model",
    "workerjob.model.protocol",
    "workerjob.conformance.loop",
    "workerjob.conformance.render",
    "workerjob.conformance.stateful",
    "workerjob.conformance.traces",
    "workerjob.conformance.cli",
]
IMPL = "workerjob.impl"
# The conformance package's own `__init__` (a docstring) sits below all its layers.
UNLAYERED = {"workerjob.conformance": 1.5}
# What the model may not use: it is a spec, not a program that runs.
MODEL_FORBIDDEN = {"asyncio", "threading", "time", "random"}


@dataclass(frozen=True)
class Import:
    target: str  # absolute dotted name: a module, or the module a name is taken from
    line: int


def modules() -> Iterator[tuple[str, Path]]:
    """(dotted name, file) for every module of the three folders."""
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join([package, *parts]), path


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _is_main_guard(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__"
                    for c in test.comparators))


def imports(module: str, source: str, package: bool = False) -> list[Import]:
    """Every import of `source` (the module `module`), relative ones resolved; `from M
    import N` counts as an import of `M.N` (N may be a module) and of nothing else."""
    here = module if package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if _is_main_guard(node):
                continue
            for child in ast.walk(node):
                if isinstance(child, ast.Import):
                    found.extend(Import(a.name, child.lineno) for a in child.names)
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = here.split(".")
                        anchor = anchor[: len(anchor) - (child.level - 1)]
                        base = ".".join([*anchor, *([base] if base else [])])
                    found.extend(Import(f"{base}.{a.name}", child.lineno)
                                 for a in child.names)

    visit(ast.parse(source).body)
    return found


def layer_of(name: str) -> str | None:
    """The longest layer (or `impl`) that `name` is in, or None."""
    if name in UNLAYERED:
        return name
    best = None
    for layer in [*LAYERS, IMPL]:
        if (name == layer or name.startswith(layer + ".")) and (
                best is None or len(layer) > len(best)):
            best = layer
    return best


def rank(layer: str) -> float:
    return UNLAYERED[layer] if layer in UNLAYERED else LAYERS.index(layer)


def violations(module: str, source: str, package: bool = False) -> list[str]:
    """What breaks the rules in one module; empty when it keeps them."""
    own = layer_of(module)
    if own is None:
        return [f"{module}: in no layer (put it in a sub-package of ARCHITECTURE.md)"]
    out = []
    for imp in imports(module, source, package):
        where = f"{module}:{imp.line} imports {imp.target}"
        top = imp.target.split(".")[0]
        if own.startswith("workerjob.model") and top in MODEL_FORBIDDEN:
            out.append(f"{where}: the model is pure (no {top})")
        if top != "workerjob":
            continue
        theirs = layer_of(imp.target)
        if own == IMPL or theirs == IMPL:
            if own != theirs:
                out.append(f"{where}: impl and the rest share names, not code")
            continue
        if theirs is None:
            continue  # `workerjob` itself, or a name that is no module (mypy's job)
        if rank(theirs) > rank(own):
            out.append(f"{where}: {own} may not import the higher layer {theirs}")
    return out


# --- the project's own modules ------------------------------------------------------


ALL = list(modules())


def test_every_folder_is_read() -> None:
    names = {name for name, _ in ALL}
    assert {"workerjob.model.spec", "workerjob.model.protocol.explorer",
            "workerjob.impl.job", "workerjob.conformance.loop.loop",
            "workerjob.conformance.cli"} <= names
    assert len(ALL) > 40


@pytest.mark.parametrize(("module", "path"), ALL, ids=[name for name, _ in ALL])
def test_module_keeps_the_import_rules(module: str, path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(module, source, is_package(path)) == []


PACKAGES = [(name, path) for name, path in ALL if is_package(path)]


@pytest.mark.parametrize(("package", "path"), PACKAGES, ids=[name for name, _ in PACKAGES])
def test_package_says_what_it_is_and_is_installed(package: str, path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.relative_to(ROOT)}: a package says what it is and what it may import"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert package in config["tool"]["setuptools"]["packages"], (
        f"{package} is missing from [tool.setuptools] packages in pyproject.toml, "
        "so the wheel leaves it out")


# --- the checker catches what it exists for ----------------------------------------

BROKEN = [
    ("workerjob.model.spec", "import asyncio\n", "the model is pure (no asyncio)"),
    ("workerjob.model.oracle", "from time import monotonic\n", "no time"),
    ("workerjob.model.protocol.explorer", "import random\n", "no random"),
    ("workerjob.model.protocol.explorer", "from threading import Lock\n", "no threading"),
    ("workerjob.model.state", "from workerjob.impl import Done\n", "share names, not code"),
    ("workerjob.model.spec", "from workerjob.conformance.loop.loop import Step\n",
     "may not import the higher layer"),
    ("workerjob.model.spec", "from workerjob.model.protocol import explorer\n",
     "may not import the higher layer workerjob.model.protocol"),
    ("workerjob.model.oracle", "def f() -> None:\n    from .protocol.protocol import BOOM\n",
     "may not import the higher layer workerjob.model.protocol"),
    ("workerjob.impl.job", "from workerjob.model import Oracle\n", "share names, not code"),
    ("workerjob.impl.job", "import workerjob.conformance.stateful.subject\n",
     "share names, not code"),
    ("workerjob.conformance.stateful.machine", "from workerjob.impl import WorkerJob\n",
     "share names, not code"),
    ("workerjob.conformance.loop.loop", "from ..stateful.machine import KEYS\n",
     "workerjob.conformance.loop may not import the higher layer "
     "workerjob.conformance.stateful"),
    ("workerjob.conformance.loop.choosers", "from ..render import chart\n",
     "may not import the higher layer workerjob.conformance.render"),
    ("workerjob.model.protocol.protocol", "import workerjob.conformance\n",
     "may not import the higher layer workerjob.conformance"),
    ("workerjob.conformance.render.chart", "from workerjob.conformance import stateful\n",
     "may not import the higher layer workerjob.conformance.stateful"),
    ("workerjob.conformance.stateful.campaign",
     "from workerjob.conformance.traces.jsonl import one_line\n",
     "may not import the higher layer workerjob.conformance.traces"),
    ("workerjob.conformance.traces.drive", "from workerjob.conformance.cli import main\n",
     "may not import the higher layer workerjob.conformance.cli"),
    ("workerjob.conformance.traces.drive",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from workerjob.conformance.cli.verify import run\n",
     "may not import the higher layer workerjob.conformance.cli"),
    ("workerjob.conformance.timeouts", "", "in no layer"),
]


@pytest.mark.parametrize(("module", "source", "expected"), BROKEN)
def test_a_broken_module_is_caught(module: str, source: str, expected: str) -> None:
    found = violations(module, source)
    assert any(expected in v for v in found), found


FINE = [
    ("workerjob.model.spec", "from dataclasses import dataclass\n"
     "from workerjob.model.state import State\nfrom workerjob.model import Oracle\n"),
    ("workerjob.model.protocol.explorer", "from workerjob.model.spec import ATOMIC\n"
     "from workerjob.model.protocol.protocol import BOOM\n"),
    ("workerjob.impl.job", "import asyncio\nfrom .continuations import Continuations\n"
     "from ._checks import check_task\n"),
    ("workerjob.conformance.loop.loop", "import asyncio\nimport random\n"
     "from .choosers import Chooser\n"),
    ("workerjob.conformance.traces.drive",
     "import threading\nfrom workerjob.conformance.stateful.machine import KEYS\n"
     "from .jsonl import one_line\nfrom workerjob.model.protocol import explorer\n"
     "if __name__ == '__main__':\n    from workerjob.conformance.cli import main\n"),
    ("workerjob.conformance.cli.verify", "from . import main\nfrom ..stateful import campaign\n"),
]


@pytest.mark.parametrize(("module", "source"), FINE)
def test_a_module_that_keeps_the_rules_passes(module: str, source: str) -> None:
    assert violations(module, source) == []


def test_relative_imports_resolve_from_the_module_or_the_package() -> None:
    assert [i.target for i in imports("workerjob.conformance.loop.loop",
                                      "from .choosers import X\nfrom .. import render\n")] == [
        "workerjob.conformance.loop.choosers.X", "workerjob.conformance.render"]
    assert [i.target for i in imports("workerjob.conformance.cli",
                                      "from .verify import run\n", package=True)] == [
        "workerjob.conformance.cli.verify.run"]
