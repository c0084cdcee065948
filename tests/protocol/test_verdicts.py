"""What the explorer finds about each variant, and that its reduction changes nothing
it finds. Small bounds: every test here runs in well under a few seconds."""

from __future__ import annotations

from functools import cache

import pytest

from workerjob.conformance.render.explorer_chart import ascii_chart
from workerjob.model import ATOMIC, SPECS, TOKEN_READ_EARLY, Oracle, initial_continuations
from workerjob.model.actions import Cancel, Invoke, Ok, ReadState, Return, Start
from workerjob.model.protocol.explorer import (
    DEADLOCK,
    FULL,
    LOST,
    MINIMAL_LOSS,
    NONE,
    REFINEMENT,
    Reduction,
    explore,
    guard_dropped_counterexample,
    shortest_counterexample,
)
from workerjob.model.protocol.explorer_inclusion import spec_traces_included
from workerjob.model.protocol.protocol import (
    BOOM,
    CLASSIFY_AT_EFFECT,
    GUARD_DROPPED,
    LOCK_ORDER_INVERTED,
    ORIGINAL,
    VARIANTS,
    Config,
)
from workerjob.model.vocabulary import CompletionType, Done, Running

ONE_ADDER_CANCEL_READ = Config(adders=1, keys=1, cancel=True, read=True, outcomes=(None,))
TWO_ADDERS = Config(adders=2, keys=2, cancel=True, read=True, outcomes=(None,))

# --- guard-dropped ----------------------------------------------------------------------

GUARD_DROPPED_SCHEDULE = [
    ("add1", "invoke"), ("add1", "state.read"), ("add1", "read-phase"),
    ("add1", "state.release"),
    ("complete", "invoke"), ("complete", "classify"), ("complete", "state.write"),
    ("complete", "set-done"), ("complete", "state.release"), ("complete", "map.write"),
    ("add1", "map.write"), ("complete", "take"), ("complete", "map.release"),
    ("add1", "insert"), ("add1", "map.release"), ("add1", "return"),
    ("complete", "return"),
]


def test_guard_dropped_loses_a_continuation() -> None:
    cx = shortest_counterexample(GUARD_DROPPED, MINIMAL_LOSS)
    assert cx is not None
    assert cx.kind == LOST
    assert cx.schedule == GUARD_DROPPED_SCHEDULE
    assert any("c1 is left in the map" in r for r in cx.reasons)
    assert any("c1 was due but never started" in r for r in cx.reasons)


def test_the_guard_dropped_counterexample_is_minimal() -> None:
    """Breadth-first over every interleaving: no violation of any kind is shorter."""
    cx = shortest_counterexample(GUARD_DROPPED, MINIMAL_LOSS)
    assert cx is not None
    shorter = explore(GUARD_DROPPED, MINIMAL_LOSS, ATOMIC, reduce=NONE,
                      max_depth=len(cx.steps) - 1)
    assert shorter.depth == len(cx.steps) - 1
    assert shorter.holds
    assert len(cx.steps) == 17


def test_the_guard_dropped_counterexample_as_data() -> None:
    """For the bridge to an asyncio mutant: the schedule and the trace, and the trace
    alone is rejected by the oracle at its end (c1 never starts)."""
    schedule, trace = guard_dropped_counterexample()
    assert schedule == GUARD_DROPPED_SCHEDULE
    assert [type(o).__name__ for o in trace] == ["Invoke", "Invoke", "Return", "Return"]
    oracle = Oracle(initial_continuations(), ATOMIC)
    assert oracle.feed(trace) is None
    violation = oracle.finish()
    assert violation is not None
    assert "c1 was due but never started" in violation.explain()


def test_the_original_keeps_every_continuation_where_guard_dropped_loses_one() -> None:
    assert explore(ORIGINAL, MINIMAL_LOSS, ATOMIC).holds
    assert explore(ORIGINAL, TWO_ADDERS, TOKEN_READ_EARLY).holds


# --- the original's classification window ---------------------------------------------


def test_the_original_does_not_refine_the_atomic_spec() -> None:
    cx = shortest_counterexample(ORIGINAL, ONE_ADDER_CANCEL_READ, ATOMIC)
    assert cx is not None
    assert cx.kind == REFINEMENT
    # SPEC's measured anomaly: cancel returned, a state read then saw Running, and the
    # job still ended Done(NORMAL) (seen in the continuation's start)
    trace = cx.trace
    cancel_id = next(o.op_id for o in trace if isinstance(o, Invoke) and o.op == Cancel())
    read_id = next(o.op_id for o in trace if isinstance(o, Invoke) and o.op == ReadState())
    cancel_returned = trace.index(Return(cancel_id, Ok()))
    read_running = trace.index(Return(read_id, Ok(Running())))
    normal_start = next(i for i, o in enumerate(trace)
                        if isinstance(o, Start) and o.completion_type is CompletionType.NORMAL)
    assert cancel_returned < read_running < normal_start
    # complete classified before the cancel, and set Done after the read
    names = cx.schedule
    assert names.index(("complete", "classify")) < names.index(("cancel", "cancel-token"))
    assert names.index(("read", "read-phase")) < names.index(("complete", "set-done"))


def test_the_original_refines_token_read_early() -> None:
    assert explore(ORIGINAL, ONE_ADDER_CANCEL_READ, TOKEN_READ_EARLY).holds
    assert explore(ORIGINAL, TWO_ADDERS, TOKEN_READ_EARLY).holds


def test_token_read_early_is_exactly_the_original_s_behaviour() -> None:
    """The converse: every trace token-read-early allows, the original produces; so no
    spec stronger than token-read-early is refined by the original."""
    assert spec_traces_included(ORIGINAL, ONE_ADDER_CANCEL_READ, TOKEN_READ_EARLY).holds


def test_without_cancel_the_original_refines_the_atomic_spec() -> None:
    config = Config(adders=2, keys=2, cancel=False, read=True)
    assert explore(ORIGINAL, config, ATOMIC).holds


def test_the_window_shows_without_a_state_read() -> None:
    """An add registered after the cancel returned reveals it as well: its continuation
    starts with NORMAL."""
    config = Config(adders=1, keys=1, cancel=True, read=False, outcomes=(None,))
    cx = shortest_counterexample(ORIGINAL, config, ATOMIC)
    assert cx is not None and cx.kind == REFINEMENT
    assert ("read", "invoke") not in cx.schedule


def test_the_window_is_invisible_without_a_continuation() -> None:
    """With no adder, one state read cannot tell: nothing shows the final Done."""
    config = Config(adders=0, keys=1, cancel=True, read=True)
    assert explore(ORIGINAL, config, ATOMIC).holds


def test_a_failed_run_still_shows_the_window() -> None:
    config = Config(adders=1, keys=1, cancel=True, read=True, outcomes=(BOOM,))
    cx = shortest_counterexample(ORIGINAL, config, ATOMIC)
    assert cx is not None
    assert any(isinstance(o, Start) and o.completion_type is CompletionType.FAILED
               for o in cx.trace)


# --- classify-at-effect -----------------------------------------------------------------


def test_classify_at_effect_refines_the_atomic_spec() -> None:
    assert explore(CLASSIFY_AT_EFFECT, ONE_ADDER_CANCEL_READ, ATOMIC).holds
    assert explore(CLASSIFY_AT_EFFECT, TWO_ADDERS, ATOMIC).holds


def test_classify_at_effect_cannot_show_the_anomaly() -> None:
    inclusion = spec_traces_included(CLASSIFY_AT_EFFECT, ONE_ADDER_CANCEL_READ,
                                     TOKEN_READ_EARLY)
    assert inclusion.missing is not None
    assert inclusion.missing[-1] == Start(1, "job", CompletionType.NORMAL, None)
    assert spec_traces_included(CLASSIFY_AT_EFFECT, ONE_ADDER_CANCEL_READ, ATOMIC).holds


# --- deadlock ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [ORIGINAL, CLASSIFY_AT_EFFECT, GUARD_DROPPED])
def test_no_deadlock(variant: object) -> None:
    """Every maximal run of these variants ends with every process finished (the
    explorer checks it at every end; guard-dropped fails only by losing c1)."""
    assert variant in VARIANTS.values()
    report = explore(VARIANTS[variant.name], TWO_ADDERS,  # type: ignore[attr-defined]
                     TOKEN_READ_EARLY)
    assert report.counterexample is None or report.counterexample.kind != DEADLOCK
    assert report.terminals > 0


def test_the_deadlock_check_finds_an_inverted_lock_order() -> None:
    cx = shortest_counterexample(LOCK_ORDER_INVERTED, MINIMAL_LOSS)
    assert cx is not None
    assert cx.kind == DEADLOCK
    assert any("add1 waits forever for map.write, held by complete" in r for r in cx.reasons)
    assert any("complete waits forever for state.write, held by add1" in r
               for r in cx.reasons)


# --- the reduction ----------------------------------------------------------------------

SMALL = [
    ONE_ADDER_CANCEL_READ,
    Config(adders=1, keys=1, cancel=True, read=False, outcomes=(BOOM,)),
    Config(adders=2, keys=1, cancel=False, read=False),
    Config(adders=2, keys=2, cancel=False, read=False, outcomes=(None,)),
]
PARTIAL = [Reduction(por=True, fuse=False, subsume=False, symmetry=False),
           Reduction(por=False, fuse=True, subsume=False, symmetry=False),
           Reduction(por=False, fuse=False, subsume=True, symmetry=False),
           Reduction(por=False, fuse=False, subsume=False, symmetry=True)]
TWO_ON_ONE_KEY = Config(adders=2, keys=1, cancel=True, read=False, outcomes=(None,))


@cache
def verdict(variant: str, config: Config, spec: str, reduction: Reduction) -> tuple[bool, int]:
    report = explore(VARIANTS[variant], config, SPECS[spec], reduce=reduction)
    return report.holds, report.states


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("config", SMALL, ids=lambda c: c.describe())
@pytest.mark.parametrize("spec", list(SPECS))
def test_reduction_gives_the_unreduced_verdicts(variant: str, config: Config,
                                                spec: str) -> None:
    full_holds, full_states = verdict(variant, config, spec, FULL)
    plain_holds, plain_states = verdict(variant, config, spec, NONE)
    assert full_holds == plain_holds
    if full_holds:
        assert full_states < plain_states


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("reduction", PARTIAL, ids=str)
def test_each_reduction_alone_gives_the_same_verdicts(variant: str,
                                                      reduction: Reduction) -> None:
    for config in (ONE_ADDER_CANCEL_READ, TWO_ON_ONE_KEY):
        for spec in SPECS:
            alone, _ = verdict(variant, config, spec, reduction)
            plain, _ = verdict(variant, config, spec, NONE)
            assert alone == plain, (config, spec)


def test_symmetry_saves_states_where_adders_share_a_key() -> None:
    with_it = explore(ORIGINAL, TWO_ON_ONE_KEY, TOKEN_READ_EARLY)
    without = explore(ORIGINAL, TWO_ON_ONE_KEY, TOKEN_READ_EARLY,
                      reduce=Reduction(symmetry=False))
    assert with_it.holds and without.holds
    assert with_it.states < without.states


@pytest.mark.parametrize("variant", [GUARD_DROPPED, LOCK_ORDER_INVERTED],
                         ids=lambda v: v.name)
def test_a_counterexample_found_up_to_symmetry_is_a_run(variant: object) -> None:
    """Found among representatives, the counterexample is carried back to a run: every
    step replays, and the run ends as the explorer says."""
    config = Config(adders=3, keys=1, cancel=False, read=False, outcomes=(None,))
    cx = explore(VARIANTS[variant.name], config, TOKEN_READ_EARLY).counterexample  # type: ignore[attr-defined]
    assert cx is not None
    assert cx.kind in (LOST, DEADLOCK)
    assert any("waits forever" in r or "is left in the map" in r for r in cx.reasons)


def test_subsumption_and_symmetry_keep_the_shortest_counterexample() -> None:
    for config in (ONE_ADDER_CANCEL_READ, TWO_ON_ONE_KEY):
        plain = explore(ORIGINAL, config, ATOMIC, reduce=NONE).counterexample
        kept = shortest_counterexample(ORIGINAL, config, ATOMIC)
        assert plain is not None and kept is not None
        assert len(kept.steps) == len(plain.steps)


def test_a_reduced_counterexample_is_a_real_run() -> None:
    """Replayed step by step, the reduced search's counterexample is rejected by the
    oracle exactly where the explorer says."""
    cx = explore(ORIGINAL, TWO_ADDERS, ATOMIC).counterexample
    assert cx is not None and cx.kind == REFINEMENT
    oracle = Oracle(initial_continuations(), ATOMIC)
    violation = oracle.feed(cx.trace)
    assert violation is not None
    assert violation.index == len(cx.trace) - 1


# --- the chart --------------------------------------------------------------------------


def test_the_chart_puts_each_step_in_its_process_column() -> None:
    cx = shortest_counterexample(GUARD_DROPPED, MINIMAL_LOSS)
    assert cx is not None
    lines = ascii_chart(cx).splitlines()
    assert lines[0].startswith("guard-dropped: lost continuation against the atomic spec")
    header = lines[1].split()
    assert header == ["#", "add1", "complete", "observable"]
    complete_column = lines[1].index("complete")
    take = next(line for line in lines if "take {}" in line)
    assert take.index("take {}") == complete_column
    assert "invoke #1 add_or_run_now('a', c1, add1)" in lines[2]
    assert lines[-1].strip() == "in flight: nothing"
    assert Done(CompletionType.NORMAL, None) is not None


def test_an_unsound_reduction_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparisons above can fail: call every lock step safe, as if lock steps
    commuted with the other processes', and the reduced search misses guard-dropped's
    lost continuation, which the plain search finds."""
    from workerjob.model.protocol import protocol_state
    from workerjob.model.protocol.protocol import Acquire, Release

    sound = protocol_state._safe

    def careless(m: protocol_state.Machine, s: protocol_state.PState, i: int, fuse: bool,
                 use: protocol_state.Users) -> bool:
        lock_step = isinstance(m.procs[i].program[s.pcs[i]], Acquire | Release)
        return lock_step or sound(m, s, i, fuse, use)

    monkeypatch.setattr(protocol_state, "_safe", careless)
    por_only = Reduction(por=True, fuse=False, subsume=False)
    assert explore(GUARD_DROPPED, MINIMAL_LOSS, ATOMIC, reduce=por_only).holds
    assert not explore(GUARD_DROPPED, MINIMAL_LOSS, ATOMIC, reduce=NONE).holds
