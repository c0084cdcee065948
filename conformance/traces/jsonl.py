"""JSON Lines with limits: the one place where the kit turns bytes into JSON objects.

Both readers of foreign output use it: `check-trace` (a file or stdin) and `drive`
(a driver's stdout). Every line is bounded before it is decoded, decoding is strict,
and every failure is a `JsonlError` naming the line, never a traceback:

- a line is at most `max_line_bytes` bytes (its newline excluded), and a stream at most
  `max_lines` lines: a reader never holds more than one line of input in memory;
- a line is UTF-8 text holding one JSON object; a blank line, an array, a bare value,
  a duplicate key, `NaN`/`Infinity`, or nesting deeper than `MAX_DEPTH` is refused;
- the last line may lack its newline. If it then is not complete JSON, the stream was
  cut in the middle of a line: the error says "truncated".

Lines are numbered from 1. A trailing carriage return is dropped (CRLF files read as
LF files), and so is a byte-order mark at the start of line 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any real event, far below any memory limit
MAX_LINES = 1_000_000
MAX_DEPTH = 32  # a v1 event nests 3 deep; the bound keeps repr() and validation shallow
MAX_SHOWN = 240  # characters of a message taken from the input

JsonObject = dict[str, Any]


class JsonlError(Exception):
    """A line that is not what the reader accepts. `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = one_line(message)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def one_line(text: str, limit: int = 2 * MAX_SHOWN) -> str:
    """`text` on one line and at most `limit` characters: messages quote the input."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    value: JsonObject
    newline: bool  # False only for a last line without its newline


def _no_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj: JsonObject = {}
    for key, value in pairs:
        if key in obj:
            raise _Refused(f"duplicate key {one_line(key, 60)!r}")
        obj[key] = value
    return obj


def _no_constants(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


class _Refused(ValueError):
    """Raised from inside json.loads by the hooks above."""


def _depth(value: Any) -> int:
    """Nesting depth of a decoded value, without recursion."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            todo.extend((child, depth + 1) for child in children)
    return deepest


_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
          bool: "a boolean", type(None): "null"}


def decode(raw: bytes, number: int) -> JsonObject:
    """One line (without its newline) as a JSON object, or a `JsonlError`."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonlError(number, f"not UTF-8 text (byte {exc.start + 1} of the line)") from None
    if not text.strip():
        raise JsonlError(number, "blank line (expected one JSON object per line)")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _Refused as exc:
        raise JsonlError(number, f"not JSON this kit reads: {exc}") from None
    except json.JSONDecodeError as exc:
        raise JsonlError(number, f"not JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise JsonlError(number, f"not JSON this kit reads: nested over {MAX_DEPTH} deep") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise JsonlError(number, f"not JSON this kit reads: {exc}") from None
    if not isinstance(value, dict):
        kind = _KINDS.get(type(value), type(value).__name__)
        raise JsonlError(number, f"expected a JSON object, found {kind}")
    if _depth(value) > MAX_DEPTH:
        raise JsonlError(number, f"not JSON this kit reads: nested over {MAX_DEPTH} deep")
    return value


def split_line(raw: bytes, number: int, max_line_bytes: int) -> tuple[bytes, bool]:
    """A line as `readline(max_line_bytes + 1)` returned it: its content and whether it
    ended with a newline. Too long a line is an error (the rest of it is never read)."""
    if raw.endswith(b"\n"):
        return raw[:-1], True
    if len(raw) > max_line_bytes:
        raise JsonlError(number, f"line longer than {max_line_bytes} bytes")
    return raw, False


def decode_last(raw: bytes, number: int, newline: bool) -> JsonObject:
    """`decode`, where a last line without its newline that does not decode is reported
    as a truncated stream."""
    try:
        return decode(raw, number)
    except JsonlError as exc:
        if newline:
            raise
        raise JsonlError(
            number, f"truncated: the input ends in the middle of this line ({exc.message})"
        ) from None


def read_lines(
    stream: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES, max_lines: int = MAX_LINES
) -> Iterator[Line]:
    """Each line of `stream` as a JSON object, lazily, within the limits."""
    number = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if number > max_lines:
            raise JsonlError(number, f"more than {max_lines} lines")
        content, newline = split_line(raw, number, max_line_bytes)
        yield Line(number, decode_last(content, number, newline), newline)
