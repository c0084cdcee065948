"""Scheduler traces: the format both ways, the vectors on disk as generated, each judged
by `workerjob check-trace` as its table says, a recorded run of the bundled scheduler
accepted, and unreadable input refused with its line."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from workerjob.conformance.cli import main
from workerjob.conformance.stateful.machine import machine_for
from workerjob.conformance.stateful.scheduler import SchedulerMachine
from workerjob.conformance.stateful.subject import load_subject
from workerjob.conformance.traces import scheduler_trace, scheduler_vectors
from workerjob.conformance.traces.jsonl import JsonlError
from workerjob.model.scheduler import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SubmitReturned,
    Submitted,
    WaitReturned,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "test_vectors" / "scheduler"
EVERY_KIND: list[SchedObservation] = [
    Submitted(0, 3, (("gpu", 1),)), Launched(0), SubmitReturned(0, "ok"),
    RunEnded(0, "RunFailed"), Cancelled(1, True), Closed(), CloseReturned(),
    WaitReturned(0, "CancelledError")]


def test_every_observation_round_trips() -> None:
    text = scheduler_trace.dump(scheduler_vectors.HEADER, EVERY_KIND)
    header, events = scheduler_trace.read(io.BytesIO(text.encode()))
    assert header == scheduler_vectors.HEADER
    assert [obs for _, obs in events] == EVERY_KIND


def test_the_vectors_on_disk_are_the_generated_ones() -> None:
    assert scheduler_vectors.main(["--check", str(VECTORS)]) == 0


@pytest.mark.parametrize("vector", scheduler_vectors.vectors(), ids=lambda v: v.name)
def test_check_trace_judges_each_vector(vector: scheduler_vectors.Vector,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-trace", str(VECTORS / f"{vector.name}.jsonl"), "--json"])
    out = json.loads(capsys.readouterr().out)
    name, line = scheduler_vectors.verdict(vector)
    assert name == vector.violation
    if vector.violation is None:
        assert (code, out["verdict"]) == (0, "conforms")
    else:
        assert (code, out["verdict"], out["line"]) == (1, "violation", line)
        assert f"scheduler invariant `{vector.violation}`" in out["message"]


def test_a_recorded_run_of_the_bundled_scheduler_is_accepted() -> None:
    machine = machine_for(load_subject("workerjob.impl"), "scheduler")()
    assert isinstance(machine, SchedulerMachine)
    try:
        for priority, needs in [(0, 1), (0, 1), (2, 1), (0, 2), (1, 0)]:
            machine.submit(priority, needs)  # GPU, GPU, urgent GPU, CPU, none
        machine.close()
        machine.quiesce()
    finally:
        machine.loop.shutdown()
    history = machine.oracle.history
    assert any(isinstance(o, Launched) for o in history)
    text = scheduler_trace.dump(scheduler_trace.SchedHeader(2, {"gpu": 1, "cpu": 2}), history)
    verdict = scheduler_trace.check(io.BytesIO(text.encode()))
    assert verdict.violation is None and verdict.events == len(history)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"workerjob": "scheduler-trace", "version": 1, "max_concurrent": 0, '
         '"capacity": {}}\n', 1, "max_concurrent"),
        ('{"workerjob": "scheduler-trace", "version": 1, "max_concurrent": 1, '
         '"capacity": {}}\n{"event": "launch"}\n', 2, "not a scheduler trace v1 line"),
        ('{"workerjob": "scheduler-trace", "version": 1, "max_concurrent": 1, '
         '"capacity": {}}\n{"event": "close"}\n{"event": "lau', 3, "truncated"),
    ],
)
def test_unreadable_input_is_refused_with_its_line(text: str, line: int, message: str,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(JsonlError) as caught:
        scheduler_trace.check(io.BytesIO(text.encode()))
    assert caught.value.line == line
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    assert main(["check-trace", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"line {line}\b", err) and message in err, err
