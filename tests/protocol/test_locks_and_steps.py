"""The protocol's building blocks: the fair read-write lock, the programs' layout, the
lock discipline the reduction relies on, and single steps."""

from __future__ import annotations

import dataclasses

import pytest

from workerjob.model.actions import AddOrRunNow, Invoke, Observation, Ok, Return, Start
from workerjob.model.protocol.explorer import end_problems, state_problems
from workerjob.model.protocol.protocol import (
    ADD_ORIGINAL,
    MAP,
    STATE,
    VARIANTS,
    Acquire,
    Branch,
    Call,
    Config,
    Goto,
    IfDone,
    Insert,
    ReadPhase,
    Release,
    Ret,
    SetDone,
    program,
)
from workerjob.model.protocol.protocol_state import (
    FREE,
    _disciplined,
    lock_acquire,
    lock_release,
    machine,
    successors,
)
from workerjob.model.vocabulary import CompletionType, Running

READER_1, READER_2, WRITER = 1, 2, 3


def test_readers_share_and_a_writer_waits() -> None:
    lock, granted = lock_acquire(FREE, READER_1, write=False)
    assert granted
    lock, granted = lock_acquire(lock, READER_2, write=False)
    assert granted
    lock, granted = lock_acquire(lock, WRITER, write=True)
    assert not granted
    assert lock == (-1, 1 << READER_1 | 1 << READER_2, (2 * WRITER + 1,))


def test_a_waiting_writer_blocks_later_readers() -> None:
    """tokio's RwLock is fair: a reader arriving behind a queued writer queues too."""
    lock, _ = lock_acquire(FREE, READER_1, write=False)
    lock, _ = lock_acquire(lock, WRITER, write=True)
    lock, granted = lock_acquire(lock, READER_2, write=False)
    assert not granted
    lock, handed = lock_release(lock, READER_1)
    assert handed == (WRITER,)
    assert lock == (WRITER, 0, (2 * READER_2,))
    lock, handed = lock_release(lock, WRITER)
    assert handed == (READER_2,)
    assert lock == (-1, 1 << READER_2, ())


def test_a_release_hands_the_lock_to_every_reader_up_to_the_next_writer() -> None:
    lock, _ = lock_acquire(FREE, WRITER, write=True)
    for p in (4, 5):
        lock, _ = lock_acquire(lock, p, write=False)
    lock, _ = lock_acquire(lock, 6, write=True)
    lock, _ = lock_acquire(lock, 7, write=False)
    lock, handed = lock_release(lock, WRITER)
    assert handed == (4, 5)
    assert lock == (-1, 1 << 4 | 1 << 5, (2 * 6 + 1, 2 * 7))


def test_a_branch_is_laid_out_with_jumps() -> None:
    prog = program(Call(), ReadPhase(), Branch(running=(Insert(),), done=(SetDone(),)), Ret())
    assert prog == (Call(), ReadPhase(), IfDone(5), Insert(), Goto(6), SetDone(), Ret())


def test_the_original_add_is_the_issue_s_order() -> None:
    assert ADD_ORIGINAL[:3] == (Call(), Acquire(STATE, False), ReadPhase())
    running = ADD_ORIGINAL[4:8]
    assert running == (Acquire(MAP, True), Insert(), Release(MAP), Release(STATE))


def test_the_lock_discipline_is_recognised() -> None:
    for v in VARIANTS.values():
        assert _disciplined(v.add) and _disciplined(v.complete)
    unlocked = program(Call(), ReadPhase(), Ret())
    assert not _disciplined(unlocked)
    careless = dataclasses.replace(VARIANTS["original"], add=unlocked)
    assert not machine(careless, Config()).disciplined


def test_an_adder_s_first_steps() -> None:
    m = machine(VARIANTS["original"], Config(adders=1, keys=1, cancel=False, read=False,
                                             outcomes=(None,)))
    s = m.initial_states()[0]
    invoke = next(st for st in successors(m, s) if st.lane == "add1")
    assert invoke.observations == (Invoke(1, AddOrRunNow("a", 1, "add1")),)
    after = next(st for st in successors(m, invoke.target) if st.lane == "add1")
    assert after.target.locks[STATE] == (-1, 1 << 0, ())  # add1 is process 0, a reader


def test_fused_steps_pin_observations_to_their_neighbours() -> None:
    """Fused, the cancel is one step (invoke, cancel, return), and a spawn starts its
    continuation at once."""
    m = machine(VARIANTS["original"], Config(adders=0, keys=1, cancel=True, read=False,
                                             outcomes=(None,)))
    s = m.initial_states()[0]
    cancel = next(st for st in successors(m, s, fuse=True, verbose=True)
                  if st.lane == "cancel")
    assert [r.name for r in cancel.records] == ["invoke", "cancel-token", "return"]
    assert cancel.target.token
    assert isinstance(cancel.observations[-1], Return)


def test_a_spawned_continuation_starts_in_a_later_step_unfused() -> None:
    m = machine(VARIANTS["original"], Config(adders=1, keys=1, cancel=False, read=False,
                                             outcomes=(None,)))
    s = m.initial_states()[0]
    # complete runs to its end first, then add1 sees Done and spawns c1
    while True:
        steps = successors(m, s)
        mine = [st for st in steps if st.lane == "complete"]
        if not mine:
            break
        s = mine[0].target
    for _ in range(4):  # invoke, state.read, read-phase, spawn
        s = next(st for st in successors(m, s) if st.lane == "add1").target
    assert s.spawned and not s.started
    start = next(st for st in successors(m, s) if st.lane == "c1")
    assert start.observations == (Start(1, "add1", CompletionType.NORMAL, None),)


def test_a_state_read_returns_what_it_read() -> None:
    m = machine(VARIANTS["original"], Config(adders=0, keys=1, cancel=False, read=True,
                                             outcomes=(None,)))
    s = m.initial_states()[0]
    observed: list[Observation] = []
    for _ in range(5):
        st = next(st for st in successors(m, s) if st.lane == "read")
        observed += st.observations
        s = st.target
    assert observed[-1] == Return(3, Ok(Running()))  # adders 1..n, complete, cancel, read


def test_end_problems_name_deadlocks_and_stranded_continuations() -> None:
    m = machine(VARIANTS["original"], Config(adders=1, keys=1, cancel=False, read=False,
                                             outcomes=(None,)))
    s = m.initial_states()[0]
    stuck = s._replace(pcs=(2, 1), locks=((-1, 1 << 0, (2 * 1 + 1,)), FREE),
                       registry=(("a", 1),))
    kinds = {k for k, _ in end_problems(m, stuck)}
    assert kinds == {"deadlock", "lost continuation"}
    assert state_problems(stuck) == ()
    assert state_problems(s._replace(locks=((0, 1 << 1, ()), FREE)))


@pytest.mark.parametrize("bad", [-1])
def test_a_negative_bound_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="adders"):
        Config(adders=bad)
    with pytest.raises(ValueError, match="keys"):
        Config(keys=0)
