"""What a driver supports beyond the v1 scenarios, and how it says so (DRIVER.md,
"Operations beyond v1: the hello line").

A driver that supports more than v1 says so in its very first line of output, before
it reads anything: `{"event": "hello", "version": 1, "supports": ["is_active", ...]}`.
A v1 driver prints no such line and is sent exactly the v1 scenarios it always was:
the kit never sends an operation the driver did not announce. The kit reads the line
when it reads the driver's first line, whatever that line answers; names it does not
know are ignored, so a driver may announce what a later kit will send.

Operations that may be announced:
- `is_active`, `is_complete`: `job.is_active()` / `job.is_complete()`, job-level
  operations whose `return` carries a boolean (the trace format has them already);
  the kit then draws them into its job-level scenarios and the oracle judges each at
  the instant it read.

May import `workerjob.conformance.traces.jsonl` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from workerjob.conformance.traces.jsonl import JsonObject, one_line

HELLO = "hello"
VERSION = 1
STATUS_READS = ("is_active", "is_complete")
KNOWN = frozenset(STATUS_READS)
"""The operations a driver may announce, and this kit sends when it does."""


class BadHello(ValueError):
    """A first line that says `hello` but is not a well-formed one."""


def hello(supports: Iterable[str]) -> JsonObject:
    """The hello line a driver prints first, announcing `supports`."""
    return {"event": HELLO, "version": VERSION, "supports": sorted(set(supports))}


def announced(content: bytes) -> frozenset[str] | None:
    """The operations a driver's first line announces, or None when the line is not a
    hello (it is then the first line of an answer, read as such). A line that says
    `hello` but is malformed raises `BadHello`."""
    try:
        obj = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or obj.get("event") != HELLO:
        return None
    extra = sorted(set(obj) - {"event", "version", "supports"})
    if extra:
        raise BadHello(f"the hello line has unknown field(s) {', '.join(map(repr, extra))}")
    if obj.get("version") != VERSION:
        raise BadHello(f"the hello line's version is {one_line(repr(obj.get('version')), 40)}"
                       f", not {VERSION}")
    supports = obj.get("supports")
    if not isinstance(supports, list) or not all(isinstance(s, str) for s in supports):
        raise BadHello("the hello line's supports is not a list of operation names")
    return frozenset(supports)
