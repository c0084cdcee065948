"""`workerjob check-trace`: exit 0 conforms, 1 violation (with the line), 2 unreadable
(one message naming the line, never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from workerjob.conformance.traces.jsonl import MAX_DEPTH

from .helpers import HEADER_C, HEADER_J, PYTHON, ROOT, VECTORS, cli, trace

ADD = '{"event":"invoke","id":1,"op":"add_or_run_now","key":"a","cont":1,"worker":"w"}'
RET1 = '{"event":"return","id":1,"ok":null}'
COMPLETE = '{"event":"invoke","id":2,"op":"complete","error":null,"worker":"c"}'
RET2 = '{"event":"return","id":2,"ok":null}'
START = '{"event":"start","cont":1,"worker":"c","completion_type":"normal","error_message":null}'
CONFORMING = trace(HEADER_C, ADD, RET1, COMPLETE, RET2, START)


def write(tmp_path: Path, data: bytes, name: str = "t.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_conforming_trace_exits_0(tmp_path: Path) -> None:
    ran = cli("check-trace", write(tmp_path, CONFORMING))
    assert ran.code == 0, ran
    assert "conforms to the atomic spec" in ran.out and "5 events" in ran.out
    assert ran.err == ""


def test_a_violation_exits_1_with_its_line_and_the_explanation(tmp_path: Path) -> None:
    wrong = START.replace('"worker":"c"', '"worker":"w"')  # the adder's worker: wrong
    ran = cli("check-trace", write(tmp_path, trace(HEADER_C, ADD, RET1, COMPLETE, RET2, wrong)))
    assert ran.code == 1
    assert "t.jsonl, line 6: does not conform to the atomic spec" in ran.out
    assert wrong in ran.out
    assert "is due as start c1(c, NORMAL, None)" in ran.out  # Violation.explain()
    assert ran.err == ""


def test_missing_returns_at_the_end_are_judged_by_the_end_of_run_check(tmp_path: Path) -> None:
    ran = cli("check-trace", write(tmp_path, trace(HEADER_C, ADD, RET1, COMPLETE)))
    assert ran.code == 1
    assert "at the end of the trace (after line 4)" in ran.out
    assert "#2 complete(None, c) never returned" in ran.out


def test_a_last_line_cut_mid_json_is_unreadable(tmp_path: Path) -> None:
    cut = CONFORMING[: CONFORMING.rindex(b"completion_type")]
    ran = cli("check-trace", write(tmp_path, cut))
    assert ran.code == 2
    assert "line 6: truncated" in ran.err


def test_a_last_line_without_its_newline_is_fine_when_whole(tmp_path: Path) -> None:
    assert cli("check-trace", write(tmp_path, CONFORMING.rstrip(b"\n"))).code == 0


def test_crlf_line_ends_are_read_as_lf(tmp_path: Path) -> None:
    assert cli("check-trace", write(tmp_path, CONFORMING.replace(b"\n", b"\r\n"))).code == 0


BAD_INPUT: dict[str, tuple[bytes, int, str]] = {
    "not JSON": (trace(HEADER_C, ADD, "{oops"), 3, "not JSON"),
    "a wrong field type": (trace(HEADER_C, ADD.replace('"cont":1', '"cont":"1"')), 2,
                           "field 'cont': '1' is not of type 'integer'"),
    "an unknown field": (trace(HEADER_C, RET1.replace("}", ',"extra":1}')), 2,
                         "'extra' was unexpected"),
    "an unknown event": (trace(HEADER_C, '{"event":"teleport"}'), 2, "unknown event 'teleport'"),
    "an unknown operation": (trace(HEADER_C, '{"event":"invoke","id":1,"op":"fly"}'), 2,
                             "field 'op': 'fly' is not one of"),
    "a return without its invocation": (trace(HEADER_C, RET1), 2, "never invoked"),
    "a truncated file": (trace(HEADER_C, ADD)[:-20], 2, "truncated"),
    "a huge line": (trace(HEADER_C, '{"event":"invoke","id":1,"op":"state","pad":"'
                          + "x" * (1 << 20) + '"}'), 2, "longer than 1048576 bytes"),
    "no header": (trace(ADD), 1, "line 1 must be a header"),
    "empty input": (b"", 1, "empty input"),
    "a blank line": (trace(HEADER_C, "", ADD), 2, "blank line"),
    "an array": (trace(HEADER_C, "[1]"), 2, "expected a JSON object, found an array"),
    "not UTF-8": (trace(HEADER_C) + b'{"event":"\xff"}\n', 2, "not UTF-8"),
    "NaN": (trace(HEADER_C, '{"event":"invoke","id":NaN,"op":"state"}'), 2, "NaN is not JSON"),
    "a duplicate key": (trace(HEADER_C, '{"event":"invoke","event":"return"}'), 2,
                        "duplicate key 'event'"),
    "deep nesting": (trace(HEADER_C, '{"a":' * 100 + "1" + "}" * 100), 2,
                     f"nested over {MAX_DEPTH} deep"),
    "very deep nesting": (trace(HEADER_C, "[" * 100_000), 2, "not JSON"),
    "a huge number": (trace(HEADER_C, '{"event":"invoke","id":' + "9" * 5000 + ',"op":"state"}'),
                      2, "not JSON this kit reads"),
    "an id out of range": (trace(HEADER_C, '{"event":"invoke","id":-1,"op":"state"}'), 2,
                           "less than the minimum of 0"),
    "a job operation at the continuations level": (
        trace(HEADER_C, '{"event":"invoke","id":1,"op":"wait"}'), 2, "job-level trace"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_gets_one_message_with_its_line(tmp_path: Path, case: str) -> None:
    data, line, words = BAD_INPUT[case]
    ran = cli("check-trace", write(tmp_path, data))
    assert ran.code == 2, ran
    assert ran.out == ""
    assert ran.err.count("\n") == 1, ran.err
    assert ran.err.startswith(f"workerjob check-trace: {tmp_path / 't.jsonl'}, line {line}: ")
    assert words in ran.err
    assert len(ran.err) < 1000


def test_a_file_that_cannot_be_opened_is_unreadable(tmp_path: Path) -> None:
    ran = cli("check-trace", str(tmp_path / "missing.jsonl"))
    assert ran.code == 2
    assert "cannot open" in ran.err and ran.err.count("\n") == 1


def test_json_output(tmp_path: Path) -> None:
    ran = cli("check-trace", "--json", write(tmp_path, trace(HEADER_C, ADD, RET1, COMPLETE)))
    verdict = json.loads(ran.out)
    assert verdict["verdict"] == "violation" and verdict["exit"] == 1 == ran.code
    assert verdict["line"] is None and verdict["events"] == 3
    ran = cli("check-trace", "--json", write(tmp_path, trace(HEADER_C, "nope")))
    verdict = json.loads(ran.out)
    assert (verdict["verdict"], verdict["line"], ran.code) == ("unreadable", 2, 2)


def test_spec_from_the_option_else_the_header(tmp_path: Path) -> None:
    anomaly = VECTORS / "allowed-token-read-early.jsonl"  # its header names token-read-early
    assert cli("check-trace", str(anomaly)).code == 0
    ran = cli("check-trace", "--spec", "atomic", str(anomaly))
    assert ran.code == 1 and "atomic spec" in ran.out


def test_the_in_flight_bound_is_an_option(tmp_path: Path) -> None:
    invokes = [f'{{"event":"invoke","id":{i},"op":"state"}}' for i in range(1, 4)]
    path = write(tmp_path, trace(HEADER_C, *invokes))
    assert cli("check-trace", "--max-in-flight", "2", path).code == 2
    assert cli("check-trace", "--max-in-flight", "3", path).code == 1  # never returned


def test_a_real_process_reading_stdin_prints_no_traceback() -> None:
    """Through a pipe, as an implementer's CI runs it: stdin, exit codes, stderr."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [PYTHON, "-m", "workerjob.conformance.cli", "check-trace", "-"]
    for data, code in [(CONFORMING, 0), (trace(HEADER_J, RET1), 2), (b"\x00\xff{", 2),
                       (trace(HEADER_C, ADD), 1)]:
        done = subprocess.run(command, input=data, capture_output=True, cwd=ROOT, env=env,
                              timeout=60, check=False)
        assert done.returncode == code, done
        assert b"Traceback" not in done.stderr + done.stdout
        if code == 2:
            assert done.stderr.startswith(b"workerjob check-trace: stdin, line ")
            assert done.stderr.count(b"\n") == 1
