"""`workerjob explore` within bounds: a search that runs out of its state or memory
budget is "bound not covered" (exit 3), in every phase (the search, the unreduced
search of --compare, the converse); a search estimated past the budget is not
started. Each test fails without the budget (the search would run on, or hold)."""

from __future__ import annotations

import json

import pytest

from workerjob.conformance import cli
from workerjob.conformance.cli import explore_cmd

TR = ["--spec", "token-read-early"]  # the original holds against it: searches run to the end


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["explore", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_state_budget_stops_the_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*TR, "--adders", "2", "--max-states", "1000"], capsys)
    assert code == 3
    assert "bound not covered: the search passed 1,000 states (--max-states)" in out
    assert "holds:" not in out


def test_the_budget_covers_the_unreduced_search_of_compare(
        capsys: pytest.CaptureFixture[str]) -> None:
    # reduced: 6,422 states; unreduced: many more
    code, out, _ = _run([*TR, "--adders", "2", "--compare", "--max-states", "20000"], capsys)
    assert code == 3
    assert "the unreduced search passed 20,000 states" in out
    assert "6,422 states" in out  # the main search's figures are still shown


def test_the_budget_covers_the_converse(capsys: pytest.CaptureFixture[str]) -> None:
    # the search: 1,016 states; the converse: 1,326 knowledge pairs
    code, out, _ = _run([*TR, "--adders", "1", "--converse", "--max-states", "1100"], capsys)
    assert code == 3
    assert "the converse search passed 1,100 states" in out


def test_the_memory_budget_stops_the_search(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_cmd, "_memory_mib", lambda: 5000.0)
    code, out, _ = _run([*TR, "--adders", "3"], capsys)
    assert code == 3
    assert "reached 5,000 MiB of memory" in out and "(--max-memory 2,048)" in out


def test_a_search_estimated_past_the_budget_is_not_started(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--adders", "100", "--json"], capsys)
    assert code == 3
    result = json.loads(out)["results"][0]
    assert result["covered"] is False and result["holds"] is False
    assert "estimate for original with 100 adders" in result["not_covered"]
    assert "not searched" in result["not_covered"]


def test_an_estimate_within_the_budget_is_shown_and_the_search_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([*TR, "--adders", "4", "--keys", "1", "--no-read", "--no-cancel",
                           "--outcome", "normal"], capsys)
    assert code == 0, out
    assert "workerjob explore: estimate for original with 4 adders: about" in err
    assert "holds" in out
