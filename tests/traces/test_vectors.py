"""The committed test vectors are what the generator writes, and check-trace gives each
the verdict its header labels it with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workerjob.conformance.traces import vectors
from workerjob.conformance.traces.check_trace import check_file

from .helpers import VECTORS, cli

FILES = sorted(VECTORS.glob("*.jsonl"))


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert vectors.differences(VECTORS) == [], (
        "regenerate with: python -m workerjob.conformance.traces.vectors --write test_vectors")


def test_there_are_vectors_of_every_kind() -> None:
    names = [p.stem for p in FILES]
    for prefix in ("walk-continuations-", "walk-job-", "allowed-", "rejected-",
                   "perturbed-continuations-", "perturbed-job-"):
        assert sum(n.startswith(prefix) for n in names) >= 4, prefix
    labels = [json.loads(p.read_text().splitlines()[0])["expect"] for p in FILES]
    assert labels.count("conforms") >= 20 and labels.count("violation") >= 20


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_check_trace_gives_each_vector_its_label(path: Path) -> None:
    header = json.loads(path.read_text().splitlines()[0])
    assert header["reason"]
    outcome = check_file(str(path))
    assert outcome.verdict == header["expect"], outcome.message
    assert outcome.line == header.get("violation_line")


def test_write_and_check_from_the_command_line(tmp_path: Path) -> None:
    assert vectors.main(["--write", str(tmp_path)]) == 0
    (tmp_path / "stale.jsonl").write_text("{}\n")
    assert vectors.main(["--check", str(tmp_path)]) == 1
    assert vectors.main(["--write", str(tmp_path)]) == 0  # removes the stale file
    assert not (tmp_path / "stale.jsonl").exists()
    assert vectors.main(["--check", str(tmp_path)]) == 0
    ran = cli("check-trace", str(tmp_path / "rejected-replaced-starts.jsonl"))
    assert ran.code == 1 and "line 8" in ran.out


def test_the_generator_fails_where_the_oracle_accepts_a_perturbation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each perturbation is a violation by its own reason, so an oracle that accepts one
    is wrong, and generating the vectors fails (it used to drop the perturbation). Here
    an oracle that does not look at a start's completion type."""
    from dataclasses import replace

    from workerjob.model import spec
    from workerjob.model.actions import Start
    from workerjob.model.state import State

    real = spec._start

    def blind_to_the_type(s: State, obs: Start) -> State | str:
        due = next((d for d in s.due if d.cont == obs.cont), None)
        return real(s, obs if due is None else replace(obs, completion_type=due.completion_type))

    monkeypatch.setattr(spec, "_start", blind_to_the_type)
    with pytest.raises(AssertionError, match="start-other-type: labelled violation, but the "
                                             "oracle says conforms"):
        vectors.perturbed(vectors.walks())


def test_every_perturbation_is_checked_on_every_walk_it_applies_to() -> None:
    applied = {name for name, _ in vectors.perturbations(vectors.walks())}
    assert applied == {name for name, _, _ in vectors.PERTURBATIONS}
