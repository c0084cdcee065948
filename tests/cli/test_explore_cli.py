"""`workerjob explore` through the command line's own entry point: exit codes 0, 1, 2,
the chart of a counterexample, and the JSON summary."""

from __future__ import annotations

import json

import pytest

from workerjob.conformance import cli

SMALL = ["--adders", "1", "--keys", "1", "--outcome", "normal"]


@pytest.fixture(autouse=True)
def _only_explore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the parser with this subcommand alone, so that these tests do not depend
    on the other subcommands' modules; the entry itself is the registered one."""
    monkeypatch.setattr(cli, "COMMANDS", {"explore": cli.COMMANDS["explore"]})


def exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse's bad-usage exit
        return int(exc.code or 0)


def test_exit_0_when_everything_holds(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["explore", *SMALL, "--spec", "token-read-early"]) == 0
    out = capsys.readouterr().out
    assert "holds" in out
    assert "states/s" in out


def test_exit_1_with_the_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", "--variant", "guard-dropped", *SMALL, "--no-cancel", "--no-read",
            "--shortest"]
    assert exit_code(argv) == 1
    out = capsys.readouterr().out
    assert "fails" in out
    assert "a shortest counterexample over every interleaving" in out
    assert "guard-dropped: lost continuation against the atomic spec (17 steps" in out
    assert "c1 was due but never started" in out


def test_the_original_fails_the_atomic_spec_by_default(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["explore", *SMALL]) == 1
    assert "original: refinement against the atomic spec" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "named"), [
    (["--variant", "nope"], "--variant"),
    (["--adders", "-1"], "--adders"),
    (["--keys", "0"], "--keys"),
    (["--keys", "two"], "--keys"),
    (["--spec", "linearizable"], "--spec"),
])
def test_exit_2_on_bad_usage(argv: list[str], named: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["explore", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1  # one line, not the usage and the error
    assert err.startswith(f"workerjob explore: argument {named}")
    assert "Traceback" not in err


def test_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", "--variant", "all", *SMALL, "--json", "--compare"]
    assert exit_code(argv) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is False
    assert summary["spec"] == "atomic"
    assert summary["bound"]["adders"] == 1
    results = {r["variant"]: r for r in summary["results"]}
    assert set(results) == {"original", "guard-dropped", "classify-at-effect",
                            "drain-first", "lock-order-inverted"}
    assert results["classify-at-effect"]["holds"] is True
    assert results["classify-at-effect"]["counterexample"] is None
    search = results["classify-at-effect"]["search"]
    assert search["states"] < results["classify-at-effect"]["unreduced"]["states"]
    assert search["reduction"] == "por+fuse+subsume+symmetry"
    cx = results["lock-order-inverted"]["counterexample"]
    assert cx["kind"] == "deadlock"
    assert cx["length"] == len(cx["steps"])
    assert {"process", "step", "detail", "observation"} <= set(cx["steps"][0])


def test_json_with_the_converse(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", *SMALL, "--spec", "token-read-early", "--converse", "--json"]
    assert exit_code(argv) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["converse"]["holds"] is True
