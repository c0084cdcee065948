"""The progress level's trace events (conformance/traces/progress.py): the committed
vectors are what the generator writes and check-trace gives each its label; the
progress level's own runs, written as traces, pass check-trace on the bundled
implementation and fail it, by the same invariant, on each progress mutant; v1 traces
of the other levels are read as before, and a bad progress trace is refused with its
line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.mutants.progress import MUTANTS
from workerjob.conformance.stateful.machine import machine_for
from workerjob.conformance.stateful.subject import load_subject
from workerjob.conformance.traces import progress as traces
from workerjob.conformance.traces.check_trace import check_file, check_stream
from workerjob.conformance.traces.trace_format import Header

from .helpers import HEADER_J, VECTORS, cli, trace

DIRECTORY = VECTORS / "progress"
FILES = sorted(DIRECTORY.glob("*.jsonl"))
HEADER_P = '{"trace":"workerjob","version":1,"level":"progress","job_worker":"job-worker"}'


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert traces.main(["--check", str(DIRECTORY)]) == 0, (
        "regenerate with: python -m workerjob.conformance.traces.progress "
        "--write test_vectors/progress")


def test_there_are_vectors_of_both_verdicts() -> None:
    labels = [json.loads(p.read_text().splitlines()[0])["expect"] for p in FILES]
    assert labels.count("conforms") >= 6 and labels.count("violation") >= 8


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_check_trace_gives_each_vector_its_label(path: Path) -> None:
    header = json.loads(path.read_text().splitlines()[0])
    outcome = check_file(str(path))
    assert outcome.verdict == header["expect"], outcome.message
    assert outcome.line == header.get("violation_line")
    assert outcome.level == "progress"


@pytest.mark.parametrize(("name", "invariant"), [
    ("rejected-out-of-order", "in-order"),
    ("rejected-not-the-latest", "latest-only"),
    ("rejected-last-report-lost", "last-seen"),
    ("rejected-report-after-done", "closed-at-done"),
    ("rejected-reader-ends-early", "ends-at-done"),
    ("rejected-reader-never-ends", "reader-ends"),
    ("rejected-counter-off-by-one", "continuations_started reads 2"),
    ("rejected-gauge-drifts", "jobs_running reads 1"),
    ("rejected-gauge-up-at-the-end", "gauges-exact (at the end of the run)"),
])
def test_a_broken_vector_is_caught_by_the_check_it_is_for(name: str, invariant: str) -> None:
    ran = cli("check-trace", str(DIRECTORY / f"{name}.jsonl"))
    assert ran.code == 1 and invariant in ran.out, ran.out


def _runs_as_traces(module: str, examples: int) -> tuple[list[str], BaseException | None]:
    """The progress level's examples on `module`, each written as a progress trace."""
    texts: list[str] = []
    base = machine_for(load_subject(module), "progress")

    class Writing(base):  # type: ignore[valid-type, misc]
        written: ClassVar[list[str]] = texts

        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                self.written.append(traces.dump_trace(
                    Header("progress", "job-worker"), list(self.trace)))

    failure: BaseException | None = None
    try:
        # No shrinking: the last run written is the failing one, replayed as it was.
        run_state_machine_as_test(Writing, settings=settings(
            max_examples=examples, database=None, derandomize=True,
            phases=(Phase.explicit, Phase.generate), report_multiple_bugs=False))
    except AssertionError as exc:
        failure = exc
    return texts, failure


def test_the_levels_runs_written_as_traces_pass_check_trace() -> None:
    texts, failure = _runs_as_traces("workerjob.impl", 40)
    assert failure is None
    assert len(texts) >= 30
    events = set()
    for text in texts:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "conforms", (outcome.message, text)
        events |= {json.loads(line)["event"] for line in text.splitlines()[1:]}
    assert events >= traces.EVENTS - {"continuation_raised"}, events


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_a_mutants_failing_run_fails_check_trace_by_the_same_check(mutant: str) -> None:
    """The run the level fails, written as a trace: check-trace fails it too, naming the
    same invariant (the trace route checks what the level checks)."""
    texts, failure = _runs_as_traces(f"tests.mutants.progress.{mutant}", 200)
    assert failure is not None, f"{mutant} survived the level"
    outcome = check_stream(io.BytesIO(texts[-1].encode()))
    assert outcome.verdict == "violation", texts[-1]
    assert MUTANTS[mutant] in outcome.message, outcome.message


@pytest.mark.parametrize(("lines", "message"), [
    ([HEADER_P.replace(',"job_worker":"job-worker"', "")], "job_worker"),
    ([HEADER_P, '{"event":"reader_got","reader":0,"value":{"done":1,"total":null,"note":null}}'],
     "reader 0 was never started"),
    ([HEADER_P, '{"event":"reader_started","reader":0}', '{"event":"reader_started","reader":0}'],
     "line 3: reader 0 is started twice"),
    ([HEADER_P, '{"event":"report","done":1,"total":null,"note":null,"outcome":"raised"}'],
     "line 2: bad report event"),
    ([HEADER_P, '{"event":"metrics","jobs_launched":1}'], "line 2: bad metrics event"),
    ([HEADER_J, '{"event":"run_called"}'], "unknown event 'run_called'"),
])
def test_a_bad_progress_trace_is_unreadable_with_one_line(tmp_path: Path, lines: list[str],
                                                          message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(trace(*lines))
    ran = cli("check-trace", str(path))
    assert ran.code == 2 and message in ran.err, ran.err
    assert "Traceback" not in ran.err and ran.err.count("\n") == 1


def test_the_example_in_driver_md_conforms() -> None:
    text = (VECTORS.parent / "conformance" / "traces" / "DRIVER.md").read_text(encoding="utf-8")
    section = text.split("## The progress level", 1)[1]
    block = section.split("```jsonl\n", 1)[1].split("```", 1)[0]
    outcome = check_stream(io.BytesIO(block.encode()))
    assert outcome.verdict == "conforms" and outcome.level == "progress", outcome.message


def test_a_snapshot_pasted_whole_is_read(tmp_path: Path) -> None:
    """A driver may write `snapshot()`'s differences with the histograms whole: only
    their counts are judged."""
    snap: dict[str, Any] = json.loads(json.dumps(traces.metrics_to_json(
        traces.metrics_from_json({
            "jobs_launched": 0, "jobs_completed": {"normal": 0, "cancelled": 0, "failed": 0},
            "attempts": 0, "timeouts": 0, "continuations_started": 0,
            "continuations_raised": 0, "jobs_running": 0, "jobs_queued": 0,
            "continuations_registered": 0, "run_duration": {"count": 0},
            "queue_wait": {"count": 0}}))))
    snap["run_duration"].update(sum=0.0, min=None, max=None, bounds=[1.0], bucket_counts=[0, 0])
    path = tmp_path / "t.jsonl"
    path.write_bytes(trace(HEADER_P, json.dumps({"event": "metrics", **snap})))
    assert check_file(str(path)).verdict == "conforms"
