"""`workerjob explore` within bounds: a search that runs out of its state or memory
budget is "bound not covered" (exit 3), in every phase (the search, the unreduced
search of --compare, the converse); a search estimated past the budget is not
started. Each test fails without the budget (the search would run on, or hold)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workerjob.conformance import cli
from workerjob.conformance.cli import explore_cmd

ROOT = Path(__file__).resolve().parents[2]
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


# --- an estimate before every search that has a budget ------------------------------------


def test_a_converse_estimated_past_the_budget_is_not_started_and_the_search_still_runs(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: `--spec token-read-early --converse` (3 adders) ran the converse for
    minutes before the memory budget stopped it; nothing said it would not fit. Memory
    held still here, so the estimate is in pairs alone (and the same on every machine)."""
    monkeypatch.setattr(explore_cmd, "_memory_mib", lambda: 100.0)
    code, out, _ = _run([*TR, "--converse", "--max-states", "100000"], capsys)
    assert code == 3
    assert ("bound not covered after it: estimate for the converse of original with 3 "
            "adders: about 137,957 knowledge pairs (130 at 0 adders, 1,326 at 1 adder: "
            "x10.2 per adder), over the budget of 100,000 knowledge pairs (--max-states): "
            "not searched") in " ".join(out.split())
    assert "holds:" in out and "26,024 states" in out  # the search's verdict is kept


def test_a_converse_estimated_past_the_memory_budget_is_not_started() -> None:
    """As a user meets it (a fresh process: the probes' memory is the process's growth)."""
    env = {**os.environ, "COLUMNS": "300", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    ran = subprocess.run([sys.executable, "-m", "workerjob.conformance.cli", "explore", *TR,
                          "--converse", "--max-memory", "1024"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert re.search(r"estimate for the converse of original with 3 adders: about 137,957 "
                     r"knowledge pairs and [\d,]+ MiB \(130 at 0 adders, 1,326 at 1 adder: "
                     r"x10.2 per adder\), over the budget of 1,024 MiB \(--max-memory\): "
                     r"not searched", ran.stdout), ran.stdout
    assert time.monotonic() - started < 120  # not the minutes of the search itself


def test_a_converse_estimate_within_the_budget_is_shown_and_the_converse_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([*TR, "--adders", "2", "--keys", "1", "--no-read", "--no-cancel",
                           "--outcome", "normal", "--converse"], capsys)
    assert code == 0, out
    assert ("workerjob explore: estimate for the converse of original with 2 adders: "
            "about 161 knowledge pairs (3 at 0 adders, 22 at 1 adder: x7.3 per adder)") in err
    assert "converse: every trace of token-read-early is a trace of original" in out


def test_the_unreduced_search_of_compare_is_estimated_too(
        capsys: pytest.CaptureFixture[str]) -> None:
    # the unreduced search at 3 adders is over the probes' budget (a twentieth): the
    # estimate is from 1 and 2 adders, about 855,000 states
    code, out, _ = _run([*TR, "--adders", "4", "--keys", "1", "--no-read", "--no-cancel",
                         "--outcome", "normal", "--compare", "--max-states", "700000"], capsys)
    assert code == 3
    flat = " ".join(out.split())
    assert "estimate for the unreduced search of original with 4 adders: about " in flat
    assert "over the budget of 700,000 states (--max-states): not searched" in flat
    assert "holds:" in out  # the reduced search ran
