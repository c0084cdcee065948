"""Oracle throughput: observations per second, with 4 operations in flight against a
baseline of the same operations one at a time, measured in the same run.

    python benchmarks/bench_oracle.py [--runs N]

Each run is one history over 3 keys with 6 continuations: 12 operations (6 adds, a
complete, a cancel, 4 state reads) and the 6 starts. In the concurrent history 4
operations are in flight at every moment; in the baseline each returns before the next
is invoked. The target (issue 2): 10^4 observations in well under a second.
"""

from __future__ import annotations

import argparse
import time
from collections import deque

from workerjob.model import (
    ATOMIC,
    AddOrRunNow,
    Cancel,
    Complete,
    Effect,
    Invoke,
    Observation,
    Op,
    Oracle,
    ReadState,
    Return,
    initial_continuations,
)
from workerjob.model.spec import expected_observations, internal_transitions
from workerjob.model.state import Pending, State

OPS: list[Op] = [
    AddOrRunNow("a", 1, "w1"), AddOrRunNow("b", 2, "w1"), AddOrRunNow("c", 3, "w2"),
    ReadState(), AddOrRunNow("a", 5, "w2"), AddOrRunNow("b", 6, "w1"),
    Complete(None, "w3"), AddOrRunNow("c", 8, "w1"), ReadState(), Cancel(),
    ReadState(), ReadState(),
]


def _effect(s: State, op_id: int) -> State:
    return next(n for a, n in internal_transitions(ATOMIC, s) if a == Effect(op_id))


def history(in_flight: int) -> list[Observation]:
    """A valid history: each operation takes effect just before it returns, the
    oldest first, with `in_flight` operations invoked and not yet returned."""
    s = initial_continuations()
    out: list[Observation] = []
    window = deque[int]()

    def retire() -> None:
        nonlocal s
        op_id = window.popleft()
        s = _effect(s, op_id)
        ret = next(o for o in expected_observations(s) if isinstance(o, Return))
        out.append(ret)
        s = s.without_pending(op_id)

    for i, op in enumerate(OPS, start=1):
        # The op id doubles as the continuation id (AddOrRunNow above uses i).
        out.append(Invoke(i, op))
        s = s.with_pending(Pending(i, op))
        window.append(i)
        if len(window) >= in_flight:
            retire()
    while window:
        retire()
    out.extend(expected_observations(s))  # the starts
    return out


def throughput(trace: list[Observation], runs: int) -> float:
    begin = time.perf_counter()
    for _ in range(runs):
        oracle = Oracle(initial_continuations())
        assert oracle.feed(trace) is None and oracle.finish() is None
    return runs * len(trace) / (time.perf_counter() - begin)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    runs = parser.parse_args().runs
    concurrent, sequential = history(4), history(1)
    throughput(concurrent, 5)  # warm up
    base = throughput(sequential, runs)
    rate = throughput(concurrent, runs)
    print(f"baseline (1 in flight): {base:12,.0f} observations/s")
    print(f"4 in flight:            {rate:12,.0f} observations/s")
    print(f"ratio (cost per observation, 4 in flight / 1): {base / rate:.2f}x")
    print(f"10^4 observations with 4 in flight: {1e4 / rate:.3f} s")


if __name__ == "__main__":
    main()
