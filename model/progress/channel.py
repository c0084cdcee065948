"""A job's progress: a watch channel that is part of the job's state.

The channel holds the reports accepted so far, numbered from 1 (`version`), and the
last of them (`latest`). It is *closed* exactly when the job's phase is `Done`: closed
is not a field of its own but read from the phase, so "closed at Done" holds by
construction and no report can slip in between the two.

A reader of `updates()` is a number: the version it saw last (0 before its first
item). What it may be given, and when it may stop, are the two functions `deliver`
and `end_of_updates`; each returns `None` when allowed, else the sentence that says
why not. tokio's `watch` is the anchor: a reader sees the latest value, may miss
values in between, never goes back, and its stream ends when the sender is gone
(here: at Done) once it has seen the last value.
"""

from __future__ import annotations

from dataclasses import dataclass

from workerjob.model.vocabulary import Done, Phase

INVARIANTS: dict[str, str] = {
    "monotone": "The done of accepted reports never decreases.",
    "closed-at-done": "No report is accepted at an instant where the phase is Done.",
    "latest-only": "A reader is given the latest report at the instant it gets it.",
    "in-order": "The versions a reader is given strictly increase.",
    "last-seen": "A reader's iteration ends only after it was given the last report.",
    "ends-at-done": "A reader's iteration ends only once the job is Done.",
    "reader-ends": "At quiescence, every free reader of a Done job has ended.",
}
"""The channel's named invariants; each refusal below starts with the name it enforces,
and `proofs_notes/progress.md` proves each under the same name."""


@dataclass(frozen=True, slots=True)
class Report:
    """`report_progress(done, total, note)` as the model sees it (numbers only)."""

    done: float
    total: float | None = None
    note: str | None = None

    def __str__(self) -> str:
        total = "" if self.total is None else f"/{self.total:g}"
        note = "" if self.note is None else f" {self.note!r}"
        return f"progress {self.done:g}{total}{note}"


@dataclass(frozen=True, slots=True)
class Channel:
    """The reports accepted so far: how many (`version`) and the last one."""

    version: int = 0
    latest: Report | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    channel: Channel


@dataclass(frozen=True, slots=True)
class Refused:
    """The report raises `error` (an exception's class name) and changes nothing."""

    error: str
    why: str


ReportOutcome = Accepted | Refused


def report(ch: Channel, phase: Phase, r: Report) -> ReportOutcome:
    """A report made at an instant where the job's phase is `phase`.

    The order of the checks is part of the contract: the arguments alone first (a
    negative `done`, a `done` beyond `total`: ValueError), then the channel closed
    (RuntimeError: the job is Done), then monotonicity against the last report
    (ValueError). Every accepted report is a new version, even if equal to the last.
    """
    if r.done < 0 or (r.total is not None and not 0 <= r.done <= r.total):
        return Refused("ValueError", f"{r} is out of range")
    if isinstance(phase, Done):
        return Refused("RuntimeError", "closed-at-done: the job is Done, its progress closed")
    if ch.latest is not None and r.done < ch.latest.done:
        return Refused("ValueError", f"monotone: {r} goes back from {ch.latest.done:g}")
    return Accepted(Channel(ch.version + 1, r))


@dataclass(frozen=True, slots=True)
class Reader:
    """One `async for p in job.progress.updates()`: the version it saw last."""

    seen: int = 0
    ended: bool = False


def deliver(ch: Channel, reader: Reader, version: int) -> Reader | str:
    """The reader is given report number `version` at an instant where the channel is
    `ch`. Allowed when it is the latest (`latest-only`) and newer than what the reader
    saw (`in-order`): a slow reader skips versions, never goes back, never repeats."""
    if reader.ended:
        return "ends-at-done: the reader's iteration had already ended"
    if version <= reader.seen:
        return f"in-order: report #{version} after report #{reader.seen}"
    if version != ch.version:
        return f"latest-only: report #{version} is not the latest (#{ch.version})"
    return Reader(version)


def end_of_updates(ch: Channel, phase: Phase, reader: Reader) -> Reader | str:
    """The reader's iteration ends. Allowed only at Done (`ends-at-done`) and once the
    reader has seen the last report (`last-seen`)."""
    if not isinstance(phase, Done):
        return "ends-at-done: the iteration ended while the job is still Running"
    if reader.seen != ch.version:
        return (f"last-seen: the iteration ended without the last report #{ch.version} "
                f"(the reader saw #{reader.seen} last)")
    return Reader(reader.seen, ended=True)


def reader_must_end(phase: Phase, reader: Reader) -> str | None:
    """At quiescence, with the reader free to go on: a reader of a Done job has ended
    (`reader-ends`, the liveness half of `ends-at-done`)."""
    if isinstance(phase, Done) and not reader.ended:
        return "reader-ends: the job is Done and the reader's iteration never ended"
    return None
