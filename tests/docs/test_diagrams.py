"""The committed diagrams (`proofs_notes/diagrams/`) are what `workerjob diagram` draws
from the model today, and the bounds they are drawn within are big enough."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from workerjob.conformance.cli import COMMANDS, diagram
from workerjob.conformance.render import diagrams
from workerjob.conformance.render.diagrams import Graph

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "proofs_notes" / "diagrams"
REGENERATE = "workerjob diagram --out proofs_notes/diagrams"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return diagram.generate()


def test_committed_diagrams_are_current(generated: dict[str, str]) -> None:
    stale = [name for name, text in generated.items()
             if not (COMMITTED / name).is_file()
             or (COMMITTED / name).read_text(encoding="utf-8") != text]
    assert not stale, (f"stale diagrams {stale}: the model changed. Run `{REGENERATE}` "
                       "from the repository root and commit the result.")


def test_no_diagram_is_left_over(generated: dict[str, str]) -> None:
    extra = sorted(p.name for p in COMMITTED.iterdir() if p.name not in generated)
    assert not extra, f"{extra} in proofs_notes/diagrams/ are not drawn any more: remove them"


def test_every_diagram_in_every_format(generated: dict[str, str]) -> None:
    for name in diagrams.NAMES:
        assert generated[f"{name}.mmd"].split("\n")[3] in ("stateDiagram-v2", "sequenceDiagram")
        assert generated[f"{name}.dot"].split("\n")[1].startswith("digraph ")
        assert f"```mermaid\n{generated[f'{name}.mmd'].rstrip()}\n```" in generated["README.md"]


def _edges(g: Graph) -> dict[tuple[str, str], set[str]]:
    return {(a, b): set(kinds) for a, b, kinds in g.edges}


def _subsumed(bigger: Graph, g: Graph) -> bool:
    """Every node and edge of `bigger` is in `g`, and every kind of action too."""
    edges = _edges(g)
    return set(bigger.nodes) <= set(g.nodes) and set(bigger.initial) <= set(g.initial) and all(
        pair in edges and kinds <= edges[pair] for pair, kinds in _edges(bigger).items())


# The operations that never move the abstraction: leaving them out of the bigger
# bound (to keep it cheap) loses nothing, as the first assertion of each test shows.
JOB_MOVERS = frozenset({"launch", "complete", "hard_cancel"})
CONTINUATION_MOVERS = frozenset({"add", "complete"})


def _mentions(g: Graph, ops: tuple[str, ...]) -> bool:
    return any(k.startswith(op) for _, _, kinds in g.edges for k in kinds for op in ops)


def test_job_bound_is_big_enough() -> None:
    g = diagrams.job_phases()
    assert not _mentions(g, ("invoke", "add_or_run_now", "cancel", "state", "wait"))
    bigger = replace(diagrams.JOB_BOUND, max_ops=diagrams.JOB_BOUND.max_ops + 1,
                     ops=JOB_MOVERS, errors=(None,))
    assert _subsumed(diagrams.job_phases(bigger), g)


def test_continuation_bound_is_big_enough() -> None:
    g = diagrams.continuation_phases()
    assert not _mentions(g, ("cancel", "state"))
    bigger = replace(diagrams.CONTINUATION_BOUND,
                     max_ops=diagrams.CONTINUATION_BOUND.max_ops + 1, ops=CONTINUATION_MOVERS)
    assert _subsumed(diagrams.continuation_phases(bigger), g)


def test_the_phases_are_the_ones_the_notes_name() -> None:
    job = {n.split(", ")[0] for n in diagrams.job_phases().nodes}
    assert job == {"not launched", "running", "run ended", "completed"}
    cont = {n.split(", ")[0] for n in diagrams.continuation_phases().nodes}
    assert cont == {"add in flight", "registered", "replaced", "due", "started"}


def test_mermaid_labels_escape_what_its_grammar_reads() -> None:
    assert diagrams._mermaid_text('a;b "c" <d>') == "a#59;b #quot;c#quot; #lt;d>"


def test_anomaly_trace_is_the_one_the_model_tests_use() -> None:
    from tests.model.test_traces import ORIGINAL_ANOMALY

    assert list(diagrams.ORIGINAL_ANOMALY) == ORIGINAL_ANOMALY
    chart = diagrams.anomaly_chart()
    assert [r.observation for r in chart.rows if r.observation is not None] == [
        str(o) for o in ORIGINAL_ANOMALY]
    assert "reads the token: clear" in [r.detail for r in chart.rows]
    assert chart.verdict[0].startswith("observation 7:")


def test_diagram_is_a_workerjob_command() -> None:
    assert COMMANDS["diagram"][0] == "workerjob.conformance.cli.diagram"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    diagram.configure(parser)
    return parser.parse_args(argv)


def test_command_writes_the_files(tmp_path: Path, generated: dict[str, str]) -> None:
    assert diagram.run(_args("--out", str(tmp_path))) == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == generated
    dot_only = tmp_path / "dot"
    assert diagram.run(_args("--format", "dot", "--out", str(dot_only))) == 0
    assert sorted(p.name for p in dot_only.iterdir()) == sorted(
        f"{n}.dot" for n in diagrams.NAMES)


def test_command_prints_mermaid_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert diagram.run(_args()) == 0
    out = capsys.readouterr().out
    assert out.count("stateDiagram-v2") == 2 and out.count("sequenceDiagram") == 2
    assert diagram.run(_args("--format", "dot")) == 0
    assert capsys.readouterr().out.count("digraph ") == 4


def test_command_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert diagram.run(_args("--out", str(blocker / "sub"))) == 2


def test_command_refuses_a_file_for_its_folder(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Before: "[Errno 17] File exists" and nothing to say which option was wrong."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert diagram.run(_args("--out", str(blocker))) == 2
    assert capsys.readouterr().err == (f"workerjob diagram: --out {blocker}: exists and is "
                                       "not a directory\n")
