"""The scheduler benchmark in quick mode: counts, never times."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scheduler.py"


def test_quick_run_loses_and_doubles_nothing() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "1", "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.strip().splitlines()[-1])["rows"]
    assert {(r["n"], r["classes"]) for r in rows} == {
        (n, k) for n in (100, 1_000, 10_000) for k in (1, 10)}
    for r in rows:
        assert (r["lost"], r["doubled"]) == (0, 0), r
        assert min(r["submit_us"], r["end_us"], r["cancel_us"]) > 0
