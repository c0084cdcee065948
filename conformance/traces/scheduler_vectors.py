"""Test vectors for the scheduler's traces: small runs, each allowed or rejected by the
scheduler's model, with the line and the invariant of its rejection.

    python -m workerjob.conformance.traces.scheduler_vectors --write test_vectors/scheduler

writes one `.jsonl` per vector and a README.md table; `--check DIR` exits 1 when DIR
differs from what this module generates. `workerjob check-trace FILE` exits 0 for an
`allowed-*` vector and 1 for a `rejected-*` one, at the line given.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from workerjob.model.scheduler import (
    Cancelled,
    Closed,
    CloseReturned,
    Launched,
    RunEnded,
    SchedObservation,
    SchedOracle,
    SubmitReturned,
    Submitted,
    WaitReturned,
)

from .scheduler_trace import SchedHeader, dump

HEADER = SchedHeader(2, {"cpu": 2, "gpu": 1})
GPU = (("gpu", 1),)
CPU1 = (("cpu", 1),)
CPU2 = (("cpu", 2),)


def submitted(job: int, priority: int = 0, needs: tuple[tuple[str, int], ...] = (),
              *, starts: tuple[int, ...] = (), result: str = "ok") -> list[SchedObservation]:
    return [Submitted(job, priority, needs), *(Launched(j) for j in starts),
            SubmitReturned(job, result)]


@dataclass(frozen=True)
class Vector:
    name: str  # allowed-... or rejected-...
    reason: str
    observations: tuple[SchedObservation, ...]
    violation: str | None = None  # the invariant named, for a rejected vector


def vectors() -> list[Vector]:
    def v(name: str, reason: str, *obs: SchedObservation | list[SchedObservation],
          violation: str | None = None) -> Vector:
        flat: list[SchedObservation] = []
        for o in obs:
            flat += o if isinstance(o, list) else [o]
        return Vector(name, reason, tuple(flat), violation)

    return [
        v("allowed-gpu-one-at-a-time", "the second GPU job waits for the first to end",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU), RunEnded(0),
          Launched(1), RunEnded(1), WaitReturned(1, "ok")),
        v("allowed-end-heard-late", "job 1 is submitted after job 0's run ended and waits: "
          "the scheduler has not heard of the end yet",
          submitted(0, needs=GPU, starts=(0,)), RunEnded(0), submitted(1, needs=GPU),
          Launched(1), RunEnded(1)),
        v("allowed-urgent-first", "of two queued GPU jobs the one of higher priority starts "
          "first, though submitted later",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU),
          submitted(2, 5, GPU), RunEnded(0), Launched(2), RunEnded(2), Launched(1),
          RunEnded(1)),
        v("allowed-small-job-passes", "a job that does not fit does not hold back a "
          "smaller one behind it",
          submitted(0, needs=CPU1, starts=(0,)), submitted(1, 5, CPU2),
          submitted(2, 0, CPU1, starts=(2,)), RunEnded(0), RunEnded(2), Launched(1),
          RunEnded(1)),
        v("allowed-cancel-while-queued", "a queued job cancelled completes at once, never "
          "starts, and its wait() raises CancelledError",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU), Cancelled(1, True),
          WaitReturned(1, "CancelledError"), RunEnded(0)),
        v("allowed-bad-submissions", "needs over a capacity or for a resource the "
          "scheduler lacks, a job submitted twice",
          submitted(0, needs=(("gpu", 2),), result="ValueError"),
          submitted(1, needs=(("tpu", 1),), result="ValueError"),
          submitted(2, starts=(2,)), submitted(2, result="RuntimeError"), RunEnded(2)),
        v("allowed-close", "aclose() cancels the queued job, refuses a new one, returns "
          "once the running one ended",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU), Closed(),
          submitted(2, result="RuntimeError"), RunEnded(0), CloseReturned(),
          WaitReturned(1, "CancelledError")),
        v("rejected-one-too-many", "three jobs run at once, max_concurrent is 2",
          submitted(0, starts=(0,)), submitted(1, starts=(1,)), submitted(2, starts=(2,)),
          violation="max-concurrent"),
        v("rejected-gpu-twice", "a second GPU job starts while the first runs",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU, starts=(1,)),
          violation="capacity"),
        v("rejected-head-of-line", "a job that fits waits behind one that does not",
          submitted(0, needs=CPU1, starts=(0,)), submitted(1, 1, CPU2), submitted(2, 0, CPU1),
          violation="no-head-of-line-blocking"),
        v("rejected-lifo", "the later of two equal-priority jobs starts first",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU),
          submitted(2, needs=GPU), RunEnded(0), Launched(2), violation="fifo-among-equals"),
        v("rejected-priority", "the lower priority starts first",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU),
          submitted(2, 1, GPU), RunEnded(0), Launched(1), violation="priority-order"),
        v("rejected-cancelled-runs", "a job cancelled while queued starts later",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU), Cancelled(1, True),
          RunEnded(0), Launched(1), violation="cancelled-never-runs"),
        v("rejected-cancel-not-at-once", "a queued job cancelled is not completed at once",
          submitted(0, needs=GPU, starts=(0,)), submitted(1, needs=GPU), Cancelled(1, False),
          violation="cancelled-cleanly"),
        v("rejected-closed-starts", "a closing scheduler accepts and starts a job",
          Closed(), Submitted(0, 0, ()), Launched(0), violation="closed-starts-nothing"),
        v("rejected-close-too-early", "aclose() returns while a job runs",
          submitted(0, starts=(0,)), Closed(), CloseReturned(), violation="close-waits"),
        v("rejected-never-freed", "the GPU is never given back: job 1 stays queued once "
          "every run has ended (judged at the end of the trace)",
          submitted(0, needs=GPU, starts=(0,)), RunEnded(0), submitted(1, needs=GPU),
          violation="stranded"),
    ]


def verdict(vector: Vector) -> tuple[str | None, int | None]:
    """(the invariant named, the 1-based line of the event) when the model rejects
    `vector`; (None, None) when it allows it. Line None with a name: at the end."""
    oracle = SchedOracle(HEADER.max_concurrent, HEADER.capacity)
    for i, obs in enumerate(vector.observations):
        if (v := oracle.observe(obs)) is not None:
            return v.name, i + 2  # line 1 is the header
    v = oracle.finish()
    return (None, None) if v is None else (v.name, None)


def files() -> dict[str, str]:
    out = {f"{v.name}.jsonl": dump(HEADER, v.observations) for v in vectors()}
    rows = []
    for vec in vectors():
        name, line = verdict(vec)
        expect = "conforms" if name is None else f"violation `{name}`"
        where = "" if name is None else ("end" if line is None else str(line))
        rows.append(f"| {vec.name}.jsonl | {expect} | {where} | {vec.reason} |")
    out["README.md"] = (
        "# workerjob scheduler trace vectors (v1)\n\n"
        "Generated by `python -m workerjob.conformance.traces.scheduler_vectors --write "
        "test_vectors/scheduler`;\ndo not edit. `workerjob check-trace FILE` exits 0 for "
        "`conforms` and 1 for a\nviolation, at the line given (`end`: judged at the end of "
        "the trace).\n\n| file | expect | line | reason |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write or check the scheduler's vectors")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR")
    group.add_argument("--check", metavar="DIR")
    args = parser.parse_args(argv)
    wanted = files()
    if args.write:
        directory = Path(args.write)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.jsonl"):
            if stale.name not in wanted:
                stale.unlink()
        for name, text in wanted.items():
            (directory / name).write_text(text, encoding="utf-8")
        return 0
    directory = Path(args.check)
    present = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*")
               if p.is_file()}
    if present != wanted:
        differ = sorted(set(present) ^ set(wanted)) or sorted(
            n for n in wanted if present.get(n) != wanted[n])
        print(f"{directory} differs from the generated vectors: {', '.join(differ)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
