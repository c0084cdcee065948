"""Beyond one campaign in one process: shrinking that stops at a budget, `verify
--workers N` sharing the run's example database, and the state machines as HypoFuzz
targets. No timed assertions: budgets are checked by what the report says."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workerjob.conformance.stateful.parallel import plan, shares

ROOT = Path(__file__).resolve().parents[2]
FUZZ_MODULE = "workerjob.conformance.stateful.fuzz_targets"
FUZZ_COMMAND = ["hypothesis", "fuzz", "-n", "1", "--no-dashboard", "--", "--pyargs",
                FUZZ_MODULE]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH")]))
    out.pop("HYPOTHESIS_PROFILE", None)
    out.pop("HYPOTHESIS_NO_PLUGINS", None)  # `hypothesis fuzz` is HypoFuzz's plugin
    return out


def verify(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`workerjob verify` in `cwd`, with an example database of its own there (the
    default one is the user's, shared with every other run)."""
    database = ["--database", str(cwd / "examples")]
    return subprocess.run([sys.executable, "-m", "workerjob.conformance.cli", "verify",
                           *database, *args],
                          cwd=cwd, env=env(), capture_output=True, text=True, check=False,
                          timeout=600)


def test_shares_split_the_budget() -> None:
    assert shares(200, 2) == [100, 100]
    assert shares(7, 3) == [3, 2, 2]
    assert shares(2, 5) == [1, 1]  # no worker with nothing to do


def test_levels_run_in_parallel_when_there_are_workers_enough() -> None:
    both = ("continuations", "job")
    assert plan(200, 1, both) == [(200, both)]
    assert plan(200, 2, both) == [(200, ("continuations",)), (200, ("job",))]
    assert plan(200, 3, both) == [(100, ("continuations",)), (100, ("continuations",)),
                                  (200, ("job",))]
    assert plan(200, 2, ("job",)) == [(100, ("job",)), (100, ("job",))]


def test_shrinking_stops_at_its_budget_and_says_so(tmp_path: Path) -> None:
    done = verify(tmp_path, "--impl", "tests.mutants.check_then_await", "--seed", "1",
                  "--shrink-time", "0.001")
    assert done.returncode == 1, done.stderr
    assert "shrinking stopped at its budget of 0.001 s" in done.stdout
    assert "WARNING: Hypothesis" not in done.stdout  # Hypothesis' own note is replaced


def test_a_bad_shrink_time_is_one_line(tmp_path: Path) -> None:
    done = verify(tmp_path, "--shrink-time", "soon")
    assert done.returncode == 2
    assert "--shrink-time: not a number of seconds: 'soon'" in done.stderr
    assert "Traceback" not in done.stderr


def test_workers_split_a_conforming_campaign(tmp_path: Path) -> None:
    """The README's `workerjob verify --workers 2`: one worker per level. With a seed:
    a campaign of random seed found a rare bug in CI once (the grace period's message,
    `tests/timeouts`), and CI must not be a lottery; long campaigns look for those."""
    done = verify(tmp_path, "--workers", "2", "--seed", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "workerjob.impl conforms" in done.stdout
    assert "--workers 2 --database" in done.stdout  # the replay line names the workers


def test_a_failure_found_by_a_worker_replays_from_the_shared_database(tmp_path: Path) -> None:
    first = verify(tmp_path, "--impl", "tests.mutants.lost_on_failure", "--workers", "2",
                   "--seed", "5")
    assert first.returncode == 1, first.stderr
    assert "--seed 5 --examples 200 --workers 2" in first.stdout
    # One example, another seed, one process: only the database can bring it back.
    again = verify(tmp_path, "--impl", "tests.mutants.lost_on_failure", "--examples", "1",
                   "--seed", "99", "--json")
    assert again.returncode == 1, again.stderr
    assert not json.loads(again.stdout)["conforms"]


def collected(impl: str | None = None) -> list[str]:
    """The targets HypoFuzz collects from the fuzz module, in a fresh interpreter (the
    module binds $WORKERJOB_IMPL when it is imported)."""
    code = ("import json, sys; from hypofuzz.collection import collect_tests; "
            f"found = collect_tests(['--pyargs', {FUZZ_MODULE!r}, '-p', 'no:cacheprovider', "
            "'-q']); print(json.dumps(sorted(t.nodeid.rsplit('::', 2)[-2] "
            "for t in found.fuzz_targets)))")
    environment = env()
    if impl is not None:
        environment["WORKERJOB_IMPL"] = impl
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    names: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return names


def test_the_state_machines_are_hypofuzz_targets() -> None:
    """One target per level, each as HypoFuzz collects it."""
    pytest.importorskip("hypofuzz")
    from workerjob.conformance.stateful.machine import LEVELS

    names = collected()
    assert names == ["TestContinuations", "TestJob", "TestProgress", "TestScheduler",
                     "TestTimeouts"]
    assert len(names) == len(LEVELS)  # a new level gets its target too


def test_a_subject_of_spec_alone_has_the_targets_of_its_levels() -> None:
    """A level the subject cannot be driven at has no target (`verify` skips it too)."""
    pytest.importorskip("hypofuzz")
    assert collected("tests.mutants.base") == ["TestContinuations", "TestJob"]


def test_hypothesis_fuzz_runs_them(tmp_path: Path) -> None:
    """The README's command starts fuzzing every level's target (it runs until stopped)."""
    pytest.importorskip("hypofuzz")
    command = [str(Path(sys.executable).with_name("hypothesis")), *FUZZ_COMMAND[1:]]
    fuzzer = subprocess.Popen(command, cwd=tmp_path, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        assert fuzzer.stdout is not None
        deadline = time.monotonic() + 300  # a hang guard, not a measurement
        while time.monotonic() < deadline:
            line = fuzzer.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "to fuzz 5 tests" in line:
                break
    finally:
        os.killpg(fuzzer.pid, signal.SIGTERM)  # the fuzzer and the workers it started
        fuzzer.wait(timeout=60)
    assert any("using 1 process to fuzz 5 tests" in line for line in seen), "".join(seen)


def test_the_readme_shows_the_commands_tested_here() -> None:
    readme = (ROOT / "README.md").read_text()
    assert " ".join(FUZZ_COMMAND) in readme
    assert "workerjob verify --workers 2\n" in readme
