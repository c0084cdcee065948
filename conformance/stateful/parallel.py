"""`verify --workers N`: one campaign spread over N processes on this machine.

Each worker runs the ordinary campaign (`run_campaign`) on its own share of the budget
and its own seed (`seed + k` for worker k, so `--seed S --workers N` replays the same
N campaigns). With at least as many workers as levels, the levels run in parallel
instead of taking turns: worker k checks level k mod L, and the workers of a level
split its budget. Every worker uses the database of the run: the processes are forked after the
profile (and any `--database`) is loaded, so every worker reads and writes the same
example database, and a failure one of them saved is replayed by the others, by later
runs, and, with a shared directory or Redis, by other machines. Nothing here
distributes work beyond one machine: for hours across many cores or machines, the
state machines are HypoFuzz targets (`hypofuzz_targets.py`).

The first worker to report a violation wins; the others are stopped (they are this
process's children, ended by their handles). The counts of a conforming campaign are
the workers' sums (distinct schedules: summed per worker, an upper bound).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any, cast

from workerjob.conformance.stateful.campaign import CampaignResult, LevelResult, run_campaign
from workerjob.conformance.stateful.subject import load_subject
from workerjob.model import ATOMIC, Spec


@dataclass(frozen=True)
class Share:
    """What one worker runs."""

    module: str | None
    examples: int
    seed_value: int
    spec: Spec
    levels: tuple[str, ...]
    shrink_seconds: float | None
    example_timeout: float | None = None


class WorkerDied(Exception):
    """A worker process ended without sending a result: nothing but the implementation
    runs there that could end it (the harness reports its own errors)."""


def shares(examples: int, workers: int) -> list[int]:
    """`examples` split as evenly as possible over `workers` (none gets 0)."""
    workers = max(1, min(workers, examples))
    return [examples // workers + (k < examples % workers) for k in range(workers)]


def plan(examples: int, workers: int, levels: tuple[str, ...]) -> list[tuple[int, tuple[str, ...]]]:
    """(examples per level, levels) for each worker: the levels in parallel when there
    are workers enough, else every worker on every level, taking turns."""
    if workers < len(levels) or len(levels) == 1:
        return [(n, levels) for n in shares(examples, workers)]
    out: list[tuple[int, tuple[str, ...]]] = []
    for i, level in enumerate(levels):
        mine = len(range(i, workers, len(levels)))  # workers i, i + L, ...
        out += [(n, (level,)) for n in shares(examples, mine)]
    return out


def _context() -> Any:  # a fork or spawn context (typeshed types them apart)
    # fork: the child inherits the loaded profile and database and pays no start-up.
    # Where fork is missing (Windows), spawn: each child loads the profile again.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _work(share: Share, out: multiprocessing.connection.Connection,
          ticks: Any) -> None:
    """A worker's body: its campaign, sent back as a result (or a crash, as text)."""
    try:
        if _context().get_start_method() != "fork":
            from workerjob.conformance.stateful.profiles import load_profile

            load_profile()
        subject = load_subject(share.module)

        def tick() -> None:
            with ticks.get_lock():
                ticks.value += 1

        result = run_campaign(subject, examples=share.examples, seed_value=share.seed_value,
                              spec=share.spec, levels=share.levels,
                              shrink_seconds=share.shrink_seconds, tick=tick,
                              example_timeout=share.example_timeout)
        _send(out, ("result", result))
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group: the parent reports it, once
    except BaseException:  # the parent reports it; a worker never prints a traceback
        _send(out, ("crash", traceback.format_exc()))
    finally:
        out.close()


def _send(out: multiprocessing.connection.Connection, message: tuple[str, object]) -> None:
    # The parent may have gone (it stopped us, or was interrupted): nobody to tell.
    with contextlib.suppress(OSError):
        out.send(message)


def run_parallel(
    module: str | None,
    subject_name: str,
    *,
    workers: int,
    examples: int,
    seed_value: int,
    spec: Spec = ATOMIC,
    levels: tuple[str, ...],
    shrink_seconds: float | None = None,
    example_timeout: float | None = None,
    tick: Callable[[int], None] = lambda done: None,
) -> CampaignResult:
    """The campaign of `examples` per level over `workers` processes. `tick(n)` is
    called with the examples done so far, about ten times a second."""
    ctx = _context()
    ticks: Any = ctx.Value("q", 0)
    running: dict[multiprocessing.connection.Connection, BaseProcess] = {}
    results: list[CampaignResult] = []
    try:
        for k, (budget, mine) in enumerate(plan(examples, workers, levels)):
            share = Share(module, budget, seed_value + k, spec, mine, shrink_seconds,
                          example_timeout)
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_work, args=(share, send, ticks), daemon=True,
                                  name=f"workerjob-verify-{k}")
            process.start()
            send.close()
            running[receive] = process
        found = False
        while running and not found:
            for ready in multiprocessing.connection.wait(list(running), timeout=0.1):
                pipe = cast(multiprocessing.connection.Connection, ready)
                process = running.pop(pipe)
                payload: Any
                try:
                    kind, payload = pipe.recv()
                except EOFError:
                    process.join()
                    raise WorkerDied(
                        f"a verify worker ended without a result (exit code "
                        f"{process.exitcode}): the implementation ended its process "
                        "(os._exit, a signal)") from None
                process.join()
                if kind == "crash":
                    raise RuntimeError(f"a verify worker failed:\n{payload}")
                results.append(payload)
                found = found or not payload.conforms
            tick(ticks.value)
        return _merge(subject_name, seed_value, levels, results)
    finally:
        for process in running.values():  # ours, by handle: the losers of a race
            process.terminate()
        for process in running.values():
            process.join()


def _merge(subject: str, seed_value: int, levels: tuple[str, ...],
           results: list[CampaignResult]) -> CampaignResult:
    """One result: per level, the workers' sums and the first report (a worker stopped
    early, when another found a violation, counts for nothing)."""
    out = CampaignResult(subject, seed_value)
    for level in levels:
        same = [r for res in results for r in res.levels if r.level == level]
        out.levels.append(LevelResult(
            level, sum(r.examples for r in same), sum(r.steps for r in same),
            sum(r.schedules for r in same), next((r.report for r in same if r.report), None),
            runs=sum(r.runs for r in same),
            reproduce=next((r.reproduce for r in same if r.report), None)))
    return out
