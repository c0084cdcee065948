"""The load benchmark in quick mode: counts, never times."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_impl.py"


def test_quick_load_run_loses_and_doubles_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--load-only", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    loads = report["load"]
    assert {r["loop"] for r in loads} >= {"asyncio"}
    for r in loads:
        assert r["continuations"] == r["jobs"] * 10 > 0
        assert (r["lost"], r["doubled"], r["wrong_outcome"], r["replaced_ran"]) == (0, 0, 0, 0), r


BENCH_METRICS = BENCH.parent / "bench_metrics.py"


def test_quick_metrics_run_reports_a_ratio_and_counts_every_job() -> None:
    done = subprocess.run([sys.executable, str(BENCH_METRICS), "--quick", "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ratio"] > 0
    # Only the rounds with metrics on (and the warm-up) count; nothing stays running.
    assert report["counted_jobs"] == report["jobs"] * (report["rounds"] + 1)
    assert report["running_after"] == 0
