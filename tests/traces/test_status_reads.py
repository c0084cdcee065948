"""is_active() / is_complete() in traces: job-level operations whose return carries a
boolean, judged by the model at the instant they read. Traces without them (every v1
trace written before) read as before."""

from __future__ import annotations

from pathlib import Path

from .helpers import HEADER_C, HEADER_J, cli, trace

LAUNCH = ['{"event":"invoke","id":1,"op":"launch"}', '{"event":"return","id":1,"ok":null}']
ENDED = '{"event":"run_ended","outcome":"returned"}'
WAIT = ['{"event":"invoke","id":2,"op":"wait"}', '{"event":"return","id":2,"ok":null}']


def status(op_id: int, op: str, value: bool) -> list[str]:
    return [f'{{"event":"invoke","id":{op_id},"op":"{op}"}}',
            f'{{"event":"return","id":{op_id},"ok":{"true" if value else "false"}}}']


def check(tmp_path: Path, *lines: str) -> tuple[int, str]:
    path = tmp_path / "t.jsonl"
    path.write_bytes(trace(*lines))
    ran = cli("check-trace", str(path))
    return ran.code, ran.out + ran.err


def test_status_reads_that_follow_the_job_conform(tmp_path: Path) -> None:
    code, out = check(tmp_path, HEADER_J, *status(5, "is_active", False),
                      *status(6, "is_complete", False), *LAUNCH, *status(7, "is_active", True),
                      ENDED, *WAIT, *status(3, "is_complete", True),
                      *status(4, "is_active", False))
    assert code == 0, out


def test_a_job_never_complete_after_wait_returned_is_a_violation(tmp_path: Path) -> None:
    code, out = check(tmp_path, HEADER_J, *LAUNCH, ENDED, *WAIT, *status(3, "is_complete", False))
    assert code == 1, out
    assert "is_complete() must return ok True" in out


def test_active_before_launch_is_a_violation(tmp_path: Path) -> None:
    code, out = check(tmp_path, HEADER_J, *status(1, "is_active", True))
    assert code == 1 and "is_active() must return ok False" in out, out


def test_status_reads_belong_to_job_traces(tmp_path: Path) -> None:
    code, out = check(tmp_path, HEADER_C, *status(1, "is_complete", False))
    assert code != 0 and "WorkerJob operation" in out, out
