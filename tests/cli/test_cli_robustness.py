"""The command line as a user meets it: Ctrl-C, hangs, bad `--impl`, and what an
implementation prints. Each test runs the real command in a subprocess (a real SIGINT,
a real busy loop); each names the fixture or the input it exists for."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import bad_exports

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "workerjob.conformance.cli"]
PROGRESS = re.compile(r"verify \S+: \d+/\d+ examples, \d+ s")


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", **extra}
    env.pop("HYPOTHESIS_PROFILE", None)
    env.pop("WORKERJOB_IMPL", None)
    return {**env, **extra}


def _run(args: list[str], *, cwd: Path = ROOT, timeout: float = 120,
         **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=_env(**env), capture_output=True,
                          text=True, timeout=timeout, check=False)


def _sigint_default() -> None:
    """In a child: Ctrl-C as a terminal's foreground command gets it. A shell starts
    background jobs (`tox &`) with SIGINT ignored, and the command rightly leaves an
    ignored SIGINT ignored: the tests of Ctrl-C must not inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def sigint_handled() -> Iterator[None]:
    """In this process: Python's own SIGINT handler, whatever pytest was started with."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt(args: list[str], *, after: float, stdin: int | None = None,
               wait_for: str | None = None) -> tuple[int, str, float]:
    """Start the command, send it one SIGINT `after` seconds (or once its stderr shows
    `wait_for`), and return its exit code, its stderr and how long it took to exit."""
    proc = subprocess.Popen(
        [*CLI, *args], cwd=ROOT, env=_env(XDG_CACHE_HOME=str(ROOT / ".pytest_cache")),
        stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=_sigint_default,
    )
    try:
        time.sleep(after)
        assert proc.poll() is None, "the command ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=30)
        return proc.returncode, err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _one_line_interrupted(err: str, command: str) -> None:
    assert "Traceback" not in err
    # verify's progress lines (stderr is a pipe here) may come before it
    lines = [x for x in err.strip().splitlines() if not PROGRESS.fullmatch(x)]
    assert lines == [f"workerjob {command}: interrupted"]


# --- Ctrl-C ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["verify", "--examples", "100000", "--seed", "1"],
    ["verify", "--impl", "tests.fixtures.busy_add", "--example-timeout", "600", "--seed", "1"],
    ["explore", "--adders", "6", "--max-states", "100000000", "--max-memory", "100000",
     "--no-estimate"],
])
def test_ctrl_c_exits_130_with_one_line(args: list[str]) -> None:
    code, err, took = _interrupt(args, after=4.0)
    assert code == 130
    _one_line_interrupted(err, args[0])
    assert took < 10


_START_UP_INTERRUPT = """
import os, signal, sys
from workerjob.conformance import cli

build = cli._build


def interrupted_build(only):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the command's modules load
    return build(only)


cli._build = interrupted_build
sys.exit(cli.main(["verify", "--no-database"]))
"""


def test_ctrl_c_during_start_up_is_one_line() -> None:
    """Regression: a Ctrl-C while the command's modules were still being imported (before
    the handler was installed) printed Python's traceback. The interrupt is sent from
    inside that window, so the test does not depend on how fast the machine starts."""
    done = subprocess.run([sys.executable, "-c", _START_UP_INTERRUPT], capture_output=True,
                          text=True, timeout=60, check=False, preexec_fn=_sigint_default)
    assert done.returncode == 130, done.stderr
    _one_line_interrupted(done.stderr, "verify")


def test_ctrl_c_in_check_trace_reading_stdin_is_130_not_2() -> None:
    code, err, _ = _interrupt(["check-trace", "-"], after=2.0, stdin=subprocess.PIPE)
    assert code == 130
    _one_line_interrupted(err, "check-trace")


def test_ctrl_c_is_never_swallowed_by_the_implementation() -> None:
    """The implementation catches KeyboardInterrupt and spins on: the hard exit after
    the grace period still ends the command, with the same line."""
    args = ["verify", "--impl", "tests.fixtures.swallows_interrupt", "--example-timeout",
            "600", "--seed", "1"]
    code, err, took = _interrupt(args, after=4.0)
    assert code == 130
    _one_line_interrupted(err, "verify")
    assert took < 15


# --- the watchdog ---------------------------------------------------------------------


def test_a_hang_becomes_a_verdict_naming_the_operation() -> None:
    started = time.monotonic()
    out = _run(["verify", "--impl", "tests.fixtures.busy_add", "--example-timeout", "1",
                "--seed", "1", "--no-database"])
    assert time.monotonic() - started < 60
    assert out.returncode == 1, out.stderr
    assert "hang at the continuations level" in out.stdout
    assert "hung: operation #" in out.stdout
    assert "add_or_run_now(" in out.stdout and "never returned" in out.stdout
    assert "busy_add.py" in out.stdout  # the line it was executing
    assert "schedule (one column per task)" in out.stdout
    assert "--example-timeout 1" in out.stdout  # the replay repeats the bound
    assert "Traceback" not in out.stderr


def test_a_hang_in_a_call_made_by_hand_is_a_hang_not_an_answer() -> None:
    """Regression: a hang inside the bad-input check's own call was caught as the
    subject's answer ("it raised ExampleHung, not a TypeError"), and shrunk."""
    out = _run(["verify", "--impl", "tests.fixtures.busy_complete", "--level",
                "continuations", "--example-timeout", "1", "--seed", "1", "--no-database"])
    assert out.returncode == 1, out.stderr
    assert "hang at the continuations level" in out.stdout
    assert "busy_complete.py" in out.stdout and "in complete()" in out.stdout
    assert "ExampleHung" not in out.stdout


def test_example_timeout_must_be_positive() -> None:
    out = _run(["verify", "--example-timeout", "0"])
    assert out.returncode == 2
    assert "--example-timeout: must be a positive number of seconds" in out.stderr


# --- --impl problems are usage errors -----------------------------------------------


@pytest.mark.parametrize("kind", list(bad_exports.KINDS))
def test_a_bad_implementation_module_is_a_usage_error(kind: str, tmp_path: Path) -> None:
    name = bad_exports.make(tmp_path, kind)
    out = _run(["verify", "--impl", name], cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workerjob verify: ")
    assert bad_exports.KINDS[kind][1] in lines[0]


@pytest.mark.parametrize(("args", "env", "message"), [
    (["verify", "--impl", ""], {}, "workerjob verify: --impl names no module"),
    (["verify", "--impl", "no/such/impl.py"], {},
     "workerjob verify: cannot import implementation 'no/such/impl.py'"),
    (["verify"], {"HYPOTHESIS_PROFILE": "bogus"},
     "workerjob verify: HYPOTHESIS_PROFILE='bogus' is not a workerjob profile"),
    (["verify", "--database", ""], {}, "workerjob verify: --database names nothing"),
    (["drive", "--timeout", "0", "--", "true"], {},
     "workerjob drive: argument --timeout: must be more than 0 and less than 86400 seconds"),
    (["verify", "--database", "/proc/no/such"], {},
     "workerjob verify: --database /proc/no/such: cannot be made"),
])
def test_usage_errors_are_one_line_exit_2(args: list[str], env: dict[str, str],
                                          message: str) -> None:
    out = _run(args, **env)  # type: ignore[arg-type]
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert out.stderr.startswith(message)


@pytest.mark.parametrize("command", [[], ["verify"], ["explore"], ["diagram"],
                                     ["check-trace"], ["drive"]])
def test_an_unknown_option_is_one_line_naming_it_and_the_help(command: list[str]) -> None:
    # check-trace also lacks its FILE: the unknown option is still what is named
    prog = " ".join(["workerjob", *command])
    out = _run([*command, "--bogus"])
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (f"{prog}: unrecognized arguments: --bogus "
                          f"(options: {prog} --help)\n")


@pytest.mark.parametrize(("args", "line"), [
    (["verify", "--examples", "0"],
     "workerjob verify: argument --examples: must be at least 1, not 0"),
    (["check-trace"], "workerjob check-trace: the following arguments are required: FILE|-"),
    (["check-trace", "--max-lines", "-1", "-"],
     "workerjob check-trace: argument --max-lines: "),
    (["drive", "--exam", "3"], "workerjob drive: no driver command"),
])
def test_other_usage_errors_are_one_line_too(args: list[str], line: str) -> None:
    out = _run(args)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith(line)


# --- what the implementation prints ---------------------------------------------------


def test_what_the_implementation_prints_goes_to_stderr() -> None:
    out = _run(["verify", "--impl", "tests.fixtures.printing", "--examples", "10",
                "--seed", "1", "--json", "--no-database"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["conforms"] is True  # stdout is the summary alone
    assert "printing: imported" in out.stderr
    assert "printing: add_or_run_now(" in out.stderr


def test_what_the_implementation_prints_never_enters_the_driver_protocol() -> None:
    driver = [sys.executable, "-m", "workerjob.conformance.traces.driver_impl",
              "--impl", "tests.fixtures.printing"]
    out = _run(["drive", "--examples", "10", "--seed", "1", "--", *driver])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "conforms" in out.stdout


@pytest.mark.usefixtures("sigint_handled")
def test_an_interrupt_swallowed_by_the_body_still_exits_130(
        capsys: pytest.CaptureFixture[str]) -> None:
    from workerjob.conformance.stateful import interrupts

    def body() -> int:
        # what an implementation's `except BaseException: pass` does
        with contextlib.suppress(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        return 0

    assert interrupts.guarded("workerjob x", body) == 130
    assert capsys.readouterr().err == "workerjob x: interrupted\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


_WEAKREF_INTERRUPT = """
import gc, sys, weakref
from workerjob.conformance.stateful import interrupts

class Thing:
    pass

def callback(_):
    raise KeyboardInterrupt

def body():
    interrupts._state["hits"] = 1  # as the handler does on the first Ctrl-C
    thing = Thing()
    ref = weakref.ref(thing, callback)
    del thing
    gc.collect()
    return 0

sys.exit(interrupts.guarded("workerjob test", body))
"""


def test_an_interrupt_in_a_weakref_callback_prints_no_traceback() -> None:
    """Regression: a Ctrl-C that landed in a weak reference's callback (the loop holds
    tasks weakly) was printed by Python as "Exception ignored in ..." with a traceback.
    In a process of its own: pytest replaces the hook that prints it."""
    done = subprocess.run([sys.executable, "-c", _WEAKREF_INTERRUPT], capture_output=True,
                          text=True, timeout=60, check=False,
                          preexec_fn=_sigint_default)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == "workerjob test: interrupted"


@pytest.mark.parametrize("args", [
    ["diagram"],
    ["verify", "--seed", "1", "--examples", "5", "--no-database", "--level", "continuations"],
    ["explore"],
    ["check-trace", "test_vectors/allowed-cancel-wins.jsonl"],
], ids=lambda args: args[0])
def test_a_reader_that_goes_away_ends_the_command_quietly(args: list[str]) -> None:
    """`workerjob verify | head`: no traceback, and exit 141 (before, rich's own exit 1
    read as a violation, and a print() was a traceback)."""
    proc = subprocess.Popen([*CLI, *args], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader has gone before the first line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_implementation_that_ends_the_process_does_not_conform(workers: str) -> None:
    """Before, `verify` ended with the implementation's own os._exit(0): exit 0, no
    output, read as "conforms"."""
    out = _run(["verify", "--impl", "tests.fixtures.ends_process", "--level", "continuations",
                "--workers", workers, "--seed", "1", "--no-database"])
    assert out.returncode == 1, out.stdout + out.stderr
    assert "ProcessExitRefused" in out.stdout  # what os._exit raises during a campaign
    assert "Traceback" not in out.stdout + out.stderr


def test_a_worker_killed_by_the_implementation_is_one_line() -> None:
    """Before, a traceback ending in RuntimeError("a verify worker failed")."""
    out = _run(["verify", "--impl", "tests.fixtures.ends_process", "--level", "continuations",
                "--workers", "2", "--seed", "1", "--no-database"],
               WORKERJOB_FIXTURE_SIGNAL="1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    [line] = [x for x in out.stderr.splitlines() if not PROGRESS.fullmatch(x)]
    assert "ended without a result (exit code -9)" in line


def test_a_hang_in_a_worker_is_reported() -> None:
    """Before, `--example-timeout` did not reach the workers: the hang ran until Ctrl-C."""
    out = _run(["verify", "--impl", "tests.fixtures.busy_complete", "--level", "continuations",
                "--workers", "2", "--example-timeout", "1", "--seed", "1", "--no-database"])
    assert out.returncode == 1, out.stderr
    assert "hang at the continuations level" in out.stdout and "in complete()" in out.stdout


def test_a_file_given_as_impl_is_told_the_module_name() -> None:
    out = _run(["verify", "--impl", "no/such/impl.py"])
    assert out.returncode == 2
    assert out.stderr.rstrip().endswith("(--impl takes a module name, not a file: 'impl', run "
                                        "from its folder or with that folder on PYTHONPATH)")


def test_version() -> None:
    out = _run(["--version"])
    assert (out.returncode, out.stderr) == (0, "")
    assert re.fullmatch(r"workerjob \S+\n", out.stdout), out.stdout
