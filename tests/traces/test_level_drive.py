"""The campaign shared by the levels with scenarios of their own (`level_drive`), on a
toy level whose driver is in-process: the report's layout, the exit codes, the failing
run kept, the driver closed on every path, and the answer read up to its `end`."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from workerjob.conformance.traces import (
    level_drive,
    progress_drive,
    scheduler_drive,
    timeouts_drive,
)
from workerjob.conformance.traces.check_trace import check_file
from workerjob.conformance.traces.jsonl import JsonObject

from .helpers import REFERENCE_DRIVER, cli


class ToyDriverError(Exception):
    """The toy level's driver broke the protocol."""


class ProcessBroke(Exception):
    """The process's own error (as `drive`'s `DriverError`)."""


class ToyRun(level_drive.StepsRun):
    """A toy scenario's answer; its trace is JSON lines under a toy header."""

    def trace_text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in [{"toy": 1}, *self.events])


class ToyProcess:
    """A driver that answers each step `n` with an event `n`; a step of 5 or more is a
    violation. It can break at its `breaks_at`-th scenario, or at the first one after a
    violation."""

    def __init__(self, breaks_at: int | None = None, *, after_violation: bool = False,
                 interrupt: bool = False) -> None:
        self.breaks_at = breaks_at
        self.after_violation = after_violation
        self.interrupt = interrupt
        self.scenarios = 0
        self.violations = 0
        self.first_failing: list[JsonObject] | None = None
        self.closed = 0
        self.limits = (0, 0)

    def close(self) -> None:
        self.closed += 1


def toy_exchange(process: ToyProcess, number: int, steps: list[JsonObject], *,
                 max_events: int, max_bytes: int) -> ToyRun:
    process.scenarios += 1
    process.limits = (max_events, max_bytes)
    if process.interrupt:
        raise KeyboardInterrupt
    if process.scenarios == process.breaks_at:
        raise ProcessBroke("the driver exited")
    if process.after_violation and process.violations:
        raise ToyDriverError("it printed garbage")
    run = ToyRun(number, steps, [{"event": "n", "n": s["n"]} for s in steps])
    for line, step in enumerate(steps, 2):
        if step["n"] >= 5:
            run.violation, run.violation_line = f"line {line}: {step['n']} is too big", line
            process.violations += 1
            process.first_failing = process.first_failing or steps
            break
    return run


def toy_scenarios() -> st.SearchStrategy[list[JsonObject]]:
    return st.lists(st.integers(0, 9), max_size=6).map(
        lambda ns: [{"do": "n", "n": n} for n in ns])


TOY = level_drive.Level("toy", spec="toy-spec", model="the toy model",
                        scenarios=toy_scenarios, exchange=toy_exchange,
                        driver_error=ToyDriverError)


def campaign(process: ToyProcess, capsys: pytest.CaptureFixture[str], *,
             level: level_drive.Level[Any, Any] = TOY,
             **options: Any) -> tuple[int, str, str]:
    settings: dict[str, Any] = {"command": "toy-driver", "examples": 100, "seed_value": 1,
                                "shrink": True, "as_json": False, "save_trace": None,
                                "replay": "workerjob drive --level toy -- toy-driver"}
    code = level.run_campaign(lambda: process, ProcessBroke, **{**settings, **options})
    out, err = capsys.readouterr()
    timing = r"\d+ scenarios in \d+\.\d s"
    return code, re.sub(timing, "N scenarios in X s", out), re.sub(timing, "N scenarios in X s",
                                                                  err)


def test_a_violation_is_reported_shrunk_marked_and_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "failing.jsonl"
    process = ToyProcess()
    code, out, err = campaign(process, capsys, save_trace=str(saved))
    assert (code, err, process.closed) == (1, "", 1)
    assert out == (
        "workerjob drive: toy-driver does not conform (toy level)\n\n"
        "scenario (1 steps, shrunk):\n"
        '  {"do": "n", "n": 5}\n\n'
        "the trace the driver answered with:\n"
        '     1  {"toy": 1}\n'
        '>>   2  {"event": "n", "n": 5}\n\n'
        "line 2: 5 is too big\n\n"
        f"saved to {saved}: workerjob check-trace {saved}\n"
        "N scenarios in X s; seed 1\n"
        "replay: workerjob drive --level toy -- toy-driver\n")
    assert saved.read_text() == '{"toy": 1}\n{"event": "n", "n": 5}\n'


def test_a_trace_that_cannot_be_written_is_not_said_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, "cannot write FILE" on stderr and "saved to FILE" in the report."""
    where = tmp_path / "no" / "such" / "dir.jsonl"
    code, out, err = campaign(ToyProcess(), capsys, save_trace=str(where))
    assert code == 1 and err.startswith(f"workerjob drive: cannot write {where}: ")
    assert "saved to" not in out and "toy level" in out


def test_the_report_is_the_scenario_hypothesis_shrank_to() -> None:
    """Among failing runs of as many steps, the one kept is the last: Hypothesis runs
    the example it shrank to last (the scheduler and progress levels once kept the
    first, a one-step run with a larger step)."""
    result = TOY.check(ToyProcess(), examples=100, seed_value=1)
    assert result.failing is not None and result.failing.steps == [{"do": "n", "n": 5}]


def test_without_shrinking_the_first_violation_is_the_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    process = ToyProcess()
    code, out, _ = campaign(process, capsys, shrink=False)
    first = process.first_failing
    assert code == 1 and first is not None
    assert first != [{"do": "n", "n": 5}]  # (on this seed: not what a shrink would show)
    shown = "".join(f"  {json.dumps(step)}\n" for step in first)
    assert f"scenario ({len(first)} steps):\n{shown}\n" in out, out


def test_the_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = campaign(ToyProcess(), capsys, as_json=True,
                              save_trace=str(tmp_path / "no" / "such" / "dir.jsonl"))
    summary = json.loads(out)
    assert code == 1 and err.startswith("workerjob drive: cannot write ")
    assert summary["seconds"] >= 0 and summary["scenarios"] > 1
    del summary["seconds"], summary["scenarios"]
    assert summary == {
        "command": "toy-driver", "spec": "toy-spec", "seed": 1, "exit": 1,
        "verdict": "violation", "broken": None,
        "failing": {"level": "toy", "steps": [{"do": "n", "n": 5}],
                    "report": "line 2: 5 is too big", "violation_line": 2,
                    "trace": '{"toy": 1}\n{"event": "n", "n": 5}\n',
                    "replay": "workerjob drive --level toy -- toy-driver"}}
    assert list(summary["failing"]) == ["level", "steps", "report", "violation_line", "trace",
                                        "replay"]


def test_the_limits_reach_the_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    process = ToyProcess()
    campaign(process, capsys, examples=2, shrink=False)
    assert process.limits == (level_drive.MAX_EVENTS, level_drive.MAX_BYTES)
    campaign(process, capsys, examples=2, shrink=False, max_events=7, max_bytes=99)
    assert process.limits == (7, 99)


def test_a_driver_that_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    level = level_drive.Level("toy", spec="toy-spec", model="the toy model",
                              scenarios=lambda: st.just([{"do": "n", "n": 1}]),
                              exchange=toy_exchange, driver_error=ToyDriverError)
    process = ToyProcess()
    code, out, err = campaign(process, capsys, level=level, examples=3)
    assert (code, err, process.closed) == (0, "", 1)
    assert out == ("toy-driver conforms to the toy model through the driver protocol: "
                   "N scenarios in X s; seed 1\n")


@pytest.mark.parametrize("breaks_at", [1, 3])
def test_a_broken_driver_is_exit_2_on_stderr(breaks_at: int,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    process = ToyProcess(breaks_at)
    code, out, err = campaign(process, capsys)
    assert (code, out, process.closed) == (2, "", 1)
    assert err == ("workerjob drive: the driver `toy-driver` is broken: the driver exited\n"
                   "N scenarios in X s; seed 1\n")


def test_a_driver_that_cannot_start_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def refuse() -> ToyProcess:
        raise ProcessBroke("cannot start the driver toy-driver")

    code = TOY.run_campaign(refuse, ProcessBroke, command="toy-driver", examples=5,
                            seed_value=1, shrink=True, as_json=False, save_trace=None)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("workerjob drive: the driver `toy-driver` is broken: cannot start")


def test_a_driver_that_breaks_after_a_violation_still_reports_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    """With a note, as the v1 levels say it (DRIVER.md, exit 1); the JSON summary's
    `broken` says it too (these levels once said nothing of it)."""
    process = ToyProcess(after_violation=True)
    code, out, err = campaign(process, capsys)
    assert (code, err, process.closed) == (1, "", 1)
    assert "does not conform (toy level)" in out
    assert re.search(r"\nline 2: \d is too big\n\n\(the driver broke afterwards: it printed "
                     r"garbage\)\n\nN scenarios in X s", out), out
    code, out, _ = campaign(ToyProcess(after_violation=True), capsys, as_json=True)
    summary = json.loads(out)
    assert (code, summary["verdict"], summary["broken"]) == (1, "violation", "it printed garbage")


def test_ctrl_c_propagates_and_the_driver_is_closed(
        capsys: pytest.CaptureFixture[str]) -> None:
    process = ToyProcess(interrupt=True)
    with pytest.raises(KeyboardInterrupt):
        campaign(process, capsys)
    assert process.closed == 1


@pytest.mark.parametrize("level", [scheduler_drive.LEVEL, timeouts_drive.LEVEL,
                                   progress_drive.LEVEL])
def test_each_level_words_its_own_report(level: level_drive.Level[Any, Any]) -> None:
    assert level.name in level.model and level.name in level.spec
    assert level.driver_error.__module__ == f"{level_drive.__package__}.{level.name}_drive"


# --- the answer, read up to its `end` --------------------------------------------------------


class Scripted:
    def __init__(self, *lines: bytes) -> None:
        self.lines = list(lines)

    def read(self) -> tuple[int, bytes, bool]:
        return 7, self.lines.pop(0), True


def read_all(*lines: bytes, max_events: int = 10,
             max_bytes: int = 1000) -> list[tuple[JsonObject, int]]:
    events: list[JsonObject] = []
    got = list(level_drive.answer(Scripted(*lines), 3, events, ToyDriverError, max_events,
                                  max_bytes))
    assert [obj for obj, _ in got] == events
    return got


def test_the_answer_is_read_up_to_its_end() -> None:
    assert read_all(b'{"event": "a"}', b'{"event": "b"}', b'{"event": "end", "scenario": 3}',
                    b"never read") == [({"event": "a"}, 2), ({"event": "b"}, 3)]


A_LINE = b'{"event": "a"}'  # 14 bytes


@pytest.mark.parametrize(("lines", "limits", "message"), [
    ([b"not json"], (9, 99), "driver output line 7: "),
    ([b'{"event": "end", "scenario": 2}'], (9, 99), "driver output line 7: end of scenario 2, "
                                                    "expected scenario 3"),
    ([b'{"event": "error", "scenario": 3, "message": "no such thing"}'], (9, 99),
     "the driver could not run it: no such thing"),
    ([A_LINE, A_LINE, b'{"event": "end", "scenario": 3}'], (1, 99),
     "more than 1 events or 99 bytes in one answer"),
    ([A_LINE, A_LINE, b'{"event": "end", "scenario": 3}'], (9, 27),
     "more than 9 events or 27 bytes in one answer"),
])
def test_a_broken_answer_is_the_level_s_driver_error(lines: list[bytes], limits: tuple[int, int],
                                                     message: str) -> None:
    with pytest.raises(ToyDriverError, match=f"^{re.escape(message)}"):
        read_all(*lines, max_events=limits[0], max_bytes=limits[1])


def test_an_answer_at_its_limits_is_read() -> None:
    assert len(read_all(A_LINE, A_LINE, b'{"event": "end", "scenario": 3}', max_events=2,
                        max_bytes=28)) == 2


# --- through the command, on the levels that once reported differently --------------------


@pytest.mark.parametrize(("level", "mutant", "steps"), [
    ("scheduler", "tests.mutants.scheduler.one_too_many",
     [{"do": "submit", "job": j, "priority": 0, "needs": {}} for j in range(3)]),
    ("progress", "tests.mutants.progress.last_report_lost",
     [{"do": "reader", "slow": False}, {"do": "reader", "slow": True}, {"do": "launch"},
      {"do": "settle"}, {"do": "report", "step": 1, "total": None},
      {"do": "end_run", "fails": False}]),
])
def test_the_scheduler_and_progress_levels_report_as_timeouts_does(
        level: str, mutant: str, steps: list[JsonObject], tmp_path: Path) -> None:
    """Shrunk, saved, and the scenario Hypothesis shrank to (they showed the first
    failing run of as many steps: priorities 1, 0, 2 and a cpu need on the scheduler's
    seed 1), without `shrunk` and without the `saved to` line."""
    saved = tmp_path / "failing.jsonl"
    ran = cli("drive", "--level", level, "--seed", "1", "--save-trace", str(saved), "--",
              *REFERENCE_DRIVER, "--impl", mutant)
    assert ran.code == 1, ran
    shown = "".join(f"  {json.dumps(step)}\n" for step in steps)
    assert f"scenario ({len(steps)} steps, shrunk):\n{shown}\n" in ran.out, ran.out
    assert f"\nsaved to {saved}: workerjob check-trace {saved}\n" in ran.out
    assert check_file(str(saved)).verdict == "violation"


def test_level_drive_imports_what_its_docstring_says() -> None:
    """Hypothesis and `traces.jsonl`: nothing of the model, nor of `drive`, which calls it."""
    tree = ast.parse(Path(level_drive.__file__).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "." for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {n for n in names if n.startswith(("workerjob", "."))} == {
        "workerjob.conformance.traces.jsonl"}


@pytest.mark.parametrize("level", ["scheduler", "timeouts", "progress"])
def test_max_events_holds_on_every_level(level: str) -> None:
    """`--max-events` is the most events in one answer on these levels too (they once
    kept to 10000 whatever it said); the message is the v1 levels'."""
    ran = cli("drive", "--level", level, "--seed", "1", "--examples", "20", "--max-events", "2",
              "--", *REFERENCE_DRIVER)
    assert ran.code == 2, ran
    assert re.search(r"is broken: more than 2 events or \d+ bytes in one answer\n", ran.err), ran
