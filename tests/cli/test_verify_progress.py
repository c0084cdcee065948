"""The progress of `workerjob verify`: a bar whose count never passes its total and
whose timer runs to the end, and a line per N examples when stderr is not a terminal."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from rich.progress import TimeElapsedColumn

from workerjob.conformance.cli import main
from workerjob.conformance.cli.verify_progress import CampaignProgress, _Elapsed


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def test_the_count_never_passes_the_total() -> None:
    """Hypothesis runs more examples than it counts (discarded ones, shrinking): 517/400
    before; each round now moves the bar by its budget at most."""
    console, _ = _console(terminal=True)
    with CampaignProgress("verify x", 100, console) as progress:
        for level in ("continuations", "job"):
            progress.round(level, 50)
            for _ in range(80):
                progress.tick()
                assert progress.completed <= 100
        assert progress.completed == 100
        assert progress.bar is not None
        assert progress.bar.tasks[0].completed == 100


def test_the_timer_runs_while_the_last_round_does() -> None:
    """rich's own column freezes once the count reaches the total; ours does not."""
    console, _ = _console(terminal=True)
    with CampaignProgress("verify x", 10, console) as progress:
        progress.round("continuations", 10)
        for _ in range(10):
            progress.tick()
        assert progress.bar is not None
        task = progress.bar.tasks[0]
        assert task.finished
        frozen = str(TimeElapsedColumn().render(task))
        time.sleep(1.1)
        assert str(TimeElapsedColumn().render(task)) == frozen  # what the bug was
        assert str(_Elapsed().render(task)) != frozen


def test_a_line_per_n_examples_when_not_a_terminal() -> None:
    console, out = _console(terminal=False)
    with CampaignProgress("verify x", 100, console, every=20) as progress:
        progress.round("continuations", 50)
        for _ in range(70):
            progress.tick()
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "verify x: 20/100 examples", "verify x: 40/100 examples"]


def test_verify_prints_progress_lines_on_a_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--examples", "20", "--seed", "3", "--no-database",
                 "--progress-every", "10", "--level", "continuations"]) == 0
    err = capsys.readouterr().err
    assert "verify workerjob.impl: 10/20 examples" in err
    assert "verify workerjob.impl: 20/20 examples" in err
