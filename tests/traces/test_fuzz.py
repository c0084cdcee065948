"""Fuzzing check-trace: whatever the bytes, it exits 0, 1 or 2 with one message and no
traceback. Inputs range from raw bytes to valid traces with one thing broken, so the
fuzzer reaches the oracle as well as the reader."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .helpers import HEADER_C, HEADER_J, VECTORS, cli

VECTOR_LINES = [p.read_bytes().splitlines() for p in sorted(VECTORS.glob("*.jsonl"))]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**60) | st.floats(allow_nan=False)
    | st.sampled_from(["invoke", "return", "start", "run_ended", "state", "add_or_run_now",
                       "complete", "running", "done", "normal", "failed", "job", "a"])
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["event", "id", "op", "ok", "raises", "cont", "key",
                                       "worker", "error", "type", "message", "state",
                                       "completion_type", "error_message", "outcome", "msg",
                                       "trace", "version", "level"]) | st.text(max_size=4),
                      children, max_size=6),
    max_leaves=12,
)


@st.composite
def mutated_vector(draw: st.DrawFn) -> bytes:
    """A test vector with a few lines dropped, repeated, swapped, replaced or cut."""
    lines = list(draw(st.sampled_from(VECTOR_LINES)))
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "replace", "cut", "edit",
                                       "field", "field", "field"]))
        if action == "drop":
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif action == "replace":
            lines[i] = json.dumps(draw(json_values)).encode()
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif action == "field" and i > 0:
            lines[i] = other_field(draw, lines[i])
        elif action == "edit" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + bytes([draw(st.integers(0, 255))]) + lines[i][j + 1:]
        if not lines:
            break
    ending = draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    return b"\n".join(lines) + ending


PLAUSIBLE: dict[str, list[object]] = {
    "completion_type": ["normal", "cancelled", "failed"],
    "error_message": [None, "boom", "ValueError", "stop", "CancelledError"],
    "worker": ["w1", "w2", "job-worker", "adder", "completer"],
    "ok": [None, {"state": "running"},
           {"state": "done", "completion_type": "normal", "error_message": None}],
    "op": ["state", "cancel", "launch", "wait"],
    "key": ["a", "b"],
    "outcome": ["returned", "raised", "cancelled"],
    "error": [None, {"type": "ValueError", "message": "boom"}],
}


def other_field(draw: st.DrawFn, line: bytes) -> bytes:
    """One field of an event line given another plausible value (often a violation)."""
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    keys = [k for k in PLAUSIBLE if isinstance(obj, dict) and k in obj]
    if not keys:
        return line
    key = draw(st.sampled_from(keys))
    obj[key] = draw(st.sampled_from(PLAUSIBLE[key]))
    return json.dumps(obj).encode()


def json_lines(header: str) -> st.SearchStrategy[bytes]:
    return st.lists(json_values, max_size=6).map(
        lambda values: "\n".join([header, *(json.dumps(v) for v in values)]).encode() + b"\n")


inputs = st.one_of(
    st.binary(max_size=200),
    json_lines(HEADER_C),
    json_lines(HEADER_J),
    mutated_vector(),
    mutated_vector(),
    mutated_vector(),
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=inputs)
def test_check_trace_only_ever_exits_0_1_or_2_with_one_message(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    ran = cli("check-trace", str(path))
    event(f"exit {ran.code}")
    assert ran.code in (0, 1, 2)
    assert "Traceback" not in ran.out + ran.err
    if ran.code == 2:
        assert ran.out == ""
        assert ran.err.count("\n") == 1, ran.err
        assert ran.err.startswith(f"workerjob check-trace: {path}, line "), ran.err
    else:
        assert ran.err == ""
        assert ran.out.startswith(str(path))
