"""How `workerjob verify --workers N` scales on this machine: examples per second of a
conforming campaign (the correct base) with 1 worker (the baseline, measured in the
same run) and with N, as the user runs it (the command, start-up included, in a fresh
directory, with no example database).

    python benchmarks/bench_workers.py [--examples N] [--workers 1 2 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(workers: int, examples: int) -> tuple[float, int]:
    """Seconds and examples run (both levels) of one campaign."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("HYPOTHESIS_PROFILE", None)
    env.pop("HYPOTHESIS_NO_PLUGINS", None)
    command = [sys.executable, "-m", "workerjob.conformance.cli", "verify", "--impl",
               "tests.mutants.base", "--examples", str(examples), "--seed", "1",
               "--workers", str(workers), "--json", "--no-database"]
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as cwd:
        begin = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              check=False)
        seconds = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"verify exited {done.returncode}:\n{done.stderr}{done.stdout}")
    summary = json.loads(done.stdout)
    return seconds, sum(level["examples"] for level in summary["levels"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="per level")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'workers':>7s} {'seconds':>8s} {'examples':>9s} {'examples/s':>11s} "
          f"{'x 1 worker':>10s}")
    base = None
    for workers in args.workers:
        seconds, examples = run(workers, args.examples)
        rate = examples / seconds
        base = base or rate
        print(f"{workers:7d} {seconds:8.2f} {examples:9d} {rate:11.1f} {rate / base:10.2f}",
              flush=True)


if __name__ == "__main__":
    main()
