"""SPEC, Continuations: add_or_run_now, complete, state, boxed, and running due ones."""

from __future__ import annotations

import asyncio
import gc
import random
import sys
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from workerjob.impl import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    Running,
    Worker,
)

Call = tuple[str, Worker, CompletionType, str | None]
Recording = Callable[[str], ContinuationFn]
Drain = Callable[[], Awaitable[None]]
CaptureHandler = Callable[[], list[dict[str, Any]]]

NORMAL, CANCELLED, FAILED = CompletionType.NORMAL, CompletionType.CANCELLED, CompletionType.FAILED


def runs_in_one_step(coro: Coroutine[Any, Any, None]) -> bool:
    """Drive `coro` one step by hand: True when it returned without suspending.

    An operation that never suspends takes effect at one instant: nothing else on the
    loop can run between its check and its act.
    """
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


# --- classification (SPEC, complete, steps 1-2) ------------------------------------


@pytest.mark.parametrize(
    ("cancelled", "error", "expected"),
    [
        (False, None, Done(NORMAL, None)),
        (False, ValueError("boom"), Done(FAILED, "boom")),
        (False, ValueError(), Done(FAILED, "ValueError")),
        (False, ValueError(""), Done(FAILED, "ValueError")),
        (False, KeyboardInterrupt(), Done(FAILED, "KeyboardInterrupt")),
        (True, None, Done(CANCELLED, None)),
        (True, ValueError("boom"), Done(CANCELLED, "boom")),  # cancellation wins
        (True, ValueError(), Done(CANCELLED, "ValueError")),
        (True, asyncio.CancelledError(), Done(CANCELLED, "CancelledError")),
    ],
    ids=[
        "normal",
        "failed",
        "failed-empty-message",
        "failed-empty-string",
        "failed-base-exception",
        "cancelled",
        "cancelled-wins-over-failure",
        "cancelled-empty-message",
        "cancelled-cancelled-error",
    ],
)
@pytest.mark.asyncio
async def test_classification(
    cancelled: bool,
    error: BaseException | None,
    expected: Done,
    worker: Worker,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c, token = Continuations(), CancellationToken()
    if cancelled:
        token.cancel()
    await c.add_or_run_now("k", recording("k"), worker)
    await c.complete(error, worker, token)
    assert c.state == expected
    await drain()
    assert calls == [("k", worker, expected.completion_type, expected.error_message)]


@pytest.mark.asyncio
async def test_message_of_an_exception_whose_str_raises(
    worker: Worker, token: CancellationToken
) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    c = Continuations()
    await c.complete(Unprintable(), worker, token)
    assert c.state == Done(FAILED, "Unprintable")


def complete_cancelling_while_pending(c: Any, token: Any, worker: Any) -> bool:
    """Drive `c.complete(None, worker, token)` by hand, and cancel the token at its first
    suspension at which the state is still Running: a cancel() lands between the
    invocation and the effect whenever the operation leaves such a window. Returns
    whether it did (the outcome must then be CANCELLED)."""
    coro = c.complete(None, worker, token)
    cancelled_while_pending = False
    while True:
        try:
            yielded = coro.send(None)
        except StopIteration:
            return cancelled_while_pending
        assert yielded is None, "drives bare yields (sleep(0)) only"
        if type(c.state).__name__ == "Running" and not token.is_cancelled():
            token.cancel()
            cancelled_while_pending = True


@pytest.mark.asyncio
async def test_token_is_read_when_complete_takes_effect(worker: Worker) -> None:
    # A cancel() made after the call and before its first line runs is seen (nothing is
    # read when the coroutine is created).
    c, token = Continuations(), CancellationToken()
    pending = c.complete(None, worker, token)
    token.cancel()
    await pending
    assert c.state == Done(CANCELLED, None)
    # A cancel() made while complete is under way and has not taken effect is seen too:
    # the token is read in the stretch that sets Done, not at the invocation. (Here no
    # such window exists: complete never suspends, so its effect is its invocation.)
    c, token = Continuations(), CancellationToken()
    cancelled = complete_cancelling_while_pending(c, token, worker)
    assert c.state == Done(CANCELLED if cancelled else NORMAL, None)


def test_the_token_check_fails_on_a_token_read_at_invocation() -> None:
    """The check above, on `stale_token` (reads the token at the invocation and sets
    Done after an await): the cancel lands in the window and is missed."""
    from tests.mutants import stale_token

    c, token = stale_token.Continuations(), stale_token.CancellationToken()
    cancelled = complete_cancelling_while_pending(c, token, stale_token.Worker("w"))
    assert cancelled
    assert c.state == stale_token.Done(stale_token.CompletionType.NORMAL, None)  # not CANCELLED


# --- add_or_run_now -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_starts_running_and_registers_while_running(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    assert c.state == Running()
    await c.add_or_run_now("a", recording("a"), worker)
    await c.add_or_run_now("b", recording("b"), worker)
    await drain()
    assert calls == []  # registered, not run
    assert c.state == Running()
    await c.complete(None, worker, token)
    await drain()
    assert sorted(tag for tag, *_ in calls) == ["a", "b"]


@pytest.mark.asyncio
async def test_same_key_replaces_and_the_replaced_never_runs(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    await c.add_or_run_now("k", recording("first"), worker)
    await c.add_or_run_now("other", recording("other"), worker)
    await c.add_or_run_now("k", recording("second"), worker)
    await c.complete(None, worker, token)
    await drain()
    assert sorted(tag for tag, *_ in calls) == ["other", "second"]


@pytest.mark.asyncio
async def test_continuations_get_the_worker_given_to_complete(
    token: CancellationToken, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    adder, completer = Worker("adder"), Worker("completer")
    c = Continuations()
    await c.add_or_run_now("k", recording("k"), adder)
    await c.complete(None, completer, token)
    await drain()
    assert calls == [("k", completer, NORMAL, None)]


@pytest.mark.asyncio
async def test_run_now_when_done_in_its_own_task_without_the_caller_waiting(
    token: CancellationToken, recording: Recording, calls: list[Call], drain: Drain
) -> None:
    completer, late = Worker("completer"), Worker("late")
    token.cancel()
    c = Continuations()
    await c.complete(RuntimeError("why"), completer, token)
    await c.add_or_run_now("late", recording("late"), late)
    assert calls == []  # started as its own task: it has not run yet
    await drain()
    assert calls == [("late", late, CANCELLED, "why")]


@pytest.mark.asyncio
async def test_complete_does_not_wait_for_the_continuations(
    worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    gate = asyncio.Event()
    finished: list[str] = []

    async def slow(w: Worker, t: CompletionType, m: str | None) -> None:
        await gate.wait()
        finished.append("slow")

    c = Continuations()
    await c.add_or_run_now("slow", slow, worker)
    await c.complete(None, worker, token)  # returns although `slow` is blocked
    assert finished == []
    gate.set()
    await drain()
    assert finished == ["slow"]


@pytest.mark.asyncio
async def test_operations_take_effect_in_one_step(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    assert runs_in_one_step(c.add_or_run_now("before", recording("before"), worker))
    assert runs_in_one_step(c.complete(None, worker, token))
    assert runs_in_one_step(c.add_or_run_now("after", recording("after"), worker))
    await drain()
    assert sorted(tag for tag, *_ in calls) == ["after", "before"]


@pytest.mark.asyncio
async def test_racing_registrations_are_never_lost_nor_doubled(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    # 400 registrations and one complete, as separate tasks in a shuffled order, each
    # yielding a random number of steps first: some land before complete, some after.
    rng = random.Random(20240611)
    c = Continuations()

    async def after_steps(steps: int, op: Awaitable[None]) -> None:
        for _ in range(steps):
            await asyncio.sleep(0)  # a step, not a delay: shuffles the interleaving
        await op

    keys = [f"k{i}" for i in range(400)]
    ops = [c.add_or_run_now(k, recording(k), worker) for k in keys]
    ops.insert(rng.randrange(len(ops)), c.complete(None, worker, token))
    await asyncio.gather(*(after_steps(rng.randrange(5), op) for op in ops))
    await drain()
    assert sorted(tag for tag, *_ in calls) == sorted(keys)


@pytest.mark.asyncio
async def test_each_due_continuation_runs_in_its_own_task(
    worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    tasks: list[asyncio.Task[Any] | None] = []

    async def note_task(w: Worker, t: CompletionType, m: str | None) -> None:
        tasks.append(asyncio.current_task())

    c = Continuations()
    for key in ("a", "b", "c"):
        await c.add_or_run_now(key, note_task, worker)
    await c.complete(None, worker, token)
    await c.add_or_run_now("late", note_task, worker)
    await drain()
    me = asyncio.current_task()
    assert len(tasks) == 4
    assert len({id(t) for t in tasks}) == 4
    assert all(t is not None and t is not me for t in tasks)


def test_state_is_read_only() -> None:
    c = Continuations()
    with pytest.raises(AttributeError):
        c.state = Done(NORMAL, None)  # type: ignore[misc]
    assert c.state == Running()


# --- second complete -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_second_complete_raises_and_changes_nothing(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    await c.add_or_run_now("k", recording("k"), worker)
    await c.complete(None, worker, token)
    await drain()
    other = CancellationToken()
    other.cancel()
    with pytest.raises(asyncio.InvalidStateError):
        await c.complete(ValueError("again"), Worker("second"), other)
    assert c.state == Done(NORMAL, None)
    await drain()
    assert calls == [("k", worker, NORMAL, None)]


# --- continuations that raise ----------------------------------------------------------


@pytest.mark.asyncio
async def test_raising_continuation_goes_to_the_handler_and_disturbs_nothing(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
    capture_handler: CaptureHandler,
) -> None:
    contexts = capture_handler()
    error = ValueError("from continuation")

    async def bad(w: Worker, t: CompletionType, m: str | None) -> None:
        raise error

    c = Continuations()
    await c.add_or_run_now("before", recording("before"), worker)
    await c.add_or_run_now("bad", bad, worker)
    await c.add_or_run_now("after", recording("after"), worker)
    await c.complete(None, worker, token)
    await drain()
    assert sorted(tag for tag, *_ in calls) == ["after", "before"]
    assert c.state == Done(NORMAL, None)
    assert len(contexts) == 1
    ctx = contexts[0]
    assert ctx["exception"] is error
    assert ctx["key"] == "bad"
    assert ctx["continuations"] is c
    assert ctx["job"] is None  # a bare Continuations belongs to no job
    assert ctx["worker"] is worker
    assert "bad" in ctx["message"]


@pytest.mark.asyncio
async def test_raising_run_now_continuation_goes_to_the_handler(
    worker: Worker, token: CancellationToken, drain: Drain, capture_handler: CaptureHandler
) -> None:
    contexts = capture_handler()

    def not_async(w: Worker, t: CompletionType, m: str | None) -> None:
        raise KeyError("sync raise")

    c = Continuations()
    await c.complete(None, worker, token)
    await c.add_or_run_now("sync", not_async, worker)  # type: ignore[arg-type]
    await drain()
    assert [(ctx["key"], type(ctx["exception"])) for ctx in contexts] == [("sync", KeyError)]


@pytest.mark.asyncio
async def test_non_awaitable_result_is_reported_with_its_key(
    worker: Worker, token: CancellationToken, drain: Drain, capture_handler: CaptureHandler
) -> None:
    contexts = capture_handler()
    ran: list[str] = []

    def plain(w: Worker, t: CompletionType, m: str | None) -> None:
        ran.append("plain")

    c = Continuations()
    await c.add_or_run_now("plain", plain, worker)  # type: ignore[arg-type]
    await c.complete(None, worker, token)
    await drain()
    assert ran == ["plain"]
    assert len(contexts) == 1
    assert contexts[0]["key"] == "plain"
    assert isinstance(contexts[0]["exception"], TypeError)
    assert "boxed" in str(contexts[0]["exception"])


@pytest.mark.asyncio
async def test_continuation_raising_cancelled_error_on_its_own_is_reported(
    worker: Worker, token: CancellationToken, drain: Drain, capture_handler: CaptureHandler
) -> None:
    contexts = capture_handler()

    async def gives_up(w: Worker, t: CompletionType, m: str | None) -> None:
        raise asyncio.CancelledError("nobody asked")

    c = Continuations()
    await c.add_or_run_now("gives_up", gives_up, worker)
    await c.complete(None, worker, token)
    await drain()
    assert [ctx["key"] for ctx in contexts] == ["gives_up"]


@pytest.mark.asyncio
async def test_cancelling_a_continuation_task_is_not_reported(
    worker: Worker, token: CancellationToken, drain: Drain, capture_handler: CaptureHandler
) -> None:
    contexts = capture_handler()
    started = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []

    async def waits(w: Worker, t: CompletionType, m: str | None) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        started.set()
        await asyncio.Event().wait()

    c = Continuations()
    await c.add_or_run_now("waits", waits, worker)
    await c.complete(None, worker, token)
    await started.wait()
    tasks[0].cancel()  # as the loop's shutdown does
    await drain()
    assert tasks[0].cancelled()
    assert contexts == []


# --- lifetime: held while running, released after ------------------------------------


@pytest.mark.asyncio
async def test_running_continuation_is_held_although_nobody_references_it(
    worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    # The continuation awaits a future only it references. The loop holds tasks
    # weakly, so without a strong reference the collector frees task and future
    # together (and asyncio logs "Task was destroyed but it is pending").
    started = asyncio.Event()
    finished = asyncio.Event()
    future_refs: list[weakref.ref[asyncio.Future[None]]] = []

    async def lonely(w: Worker, t: CompletionType, m: str | None) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future_refs.append(weakref.ref(future))
        started.set()
        await future
        finished.set()

    c = Continuations()
    await c.add_or_run_now("lonely", lonely, worker)
    await c.complete(None, worker, token)
    del c, lonely
    await started.wait()
    gc.collect()
    future = future_refs[0]()
    assert future is not None, "the pending continuation task was collected"
    future.set_result(None)
    del future
    await finished.wait()
    await drain()


@pytest.mark.parametrize("raises", [False, True], ids=["returns", "raises"])
@pytest.mark.asyncio
async def test_finished_continuation_is_released(
    raises: bool, worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    # Keep nothing but the key: a kept context would hold the exception and its frames.
    keys: list[str] = []
    asyncio.get_running_loop().set_exception_handler(lambda _l, ctx: keys.append(ctx["key"]))
    task_refs: list[weakref.ref[asyncio.Task[Any]]] = []

    class Payload:
        """Something large-ish the continuation closes over."""

    payload = Payload()
    payload_ref = weakref.ref(payload)

    def make(held: Payload) -> ContinuationFn:
        async def continuation(w: Worker, t: CompletionType, m: str | None) -> None:
            task = asyncio.current_task()
            assert task is not None and held is not None
            task_refs.append(weakref.ref(task))
            if raises:
                raise RuntimeError("fails after recording")

        return continuation

    callback = make(payload)
    callback_ref = weakref.ref(callback)
    c = Continuations()
    await c.add_or_run_now("k", callback, worker)
    del callback, payload
    await c.complete(None, worker, token)
    await drain()
    gc.collect()
    assert len(task_refs) == 1
    assert task_refs[0]() is None, "finished continuation task still referenced"
    assert callback_ref() is None, "finished continuation still referenced"
    assert payload_ref() is None, "finished continuation's closure still referenced"
    assert keys == (["k"] if raises else [])


# --- boxed -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_boxed_plain_async_and_closure_returning_a_coroutine(
    worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    seen: list[tuple[str, CompletionType, str | None]] = []

    def plain(w: Worker, t: CompletionType, m: str | None) -> None:
        seen.append(("plain", t, m))

    async def asynchronous(w: Worker, t: CompletionType, m: str | None) -> None:
        await asyncio.sleep(0)  # a real suspension inside the boxed coroutine
        seen.append(("async", t, m))

    async def body(tag: str, t: CompletionType, m: str | None) -> None:
        seen.append((tag, t, m))

    class CallableObject:
        def __call__(self, w: Worker, t: CompletionType, m: str | None) -> None:
            seen.append(("object", t, m))

    c = Continuations()
    await c.add_or_run_now("plain", Continuations.boxed(plain), worker)
    await c.add_or_run_now("async", Continuations.boxed(asynchronous), worker)
    # The Rust shape: a closure that returns a future (`|w, t, m| async move {..}`).
    await c.add_or_run_now(
        "closure", Continuations.boxed(lambda w, t, m: body("closure", t, m)), worker
    )
    await c.add_or_run_now("object", Continuations.boxed(CallableObject()), worker)
    await c.complete(ValueError("v"), worker, token)
    await drain()
    assert sorted(seen, key=lambda s: s[0]) == [
        ("async", FAILED, "v"),
        ("closure", FAILED, "v"),
        ("object", FAILED, "v"),
        ("plain", FAILED, "v"),
    ]


def test_boxed_keeps_the_name_and_rejects_non_callables() -> None:
    async def on_done(w: Worker, t: CompletionType, m: str | None) -> None:
        return None

    assert Continuations.boxed(on_done).__name__ == "on_done"
    for value in (42, "callback", None):
        with pytest.raises(TypeError, match="callable"):
            Continuations.boxed(value)  # type: ignore[arg-type]


# --- bad input changes nothing ------------------------------------------------------------


@pytest.mark.parametrize("done_first", [False, True], ids=["running", "done"])
@pytest.mark.asyncio
async def test_add_or_run_now_rejects_bad_input_and_changes_nothing(
    done_first: bool,
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    await c.add_or_run_now("good", recording("good"), worker)
    if done_first:
        await c.complete(None, worker, token)
        await drain()
        calls.clear()
    state = c.state
    bad: list[tuple[Any, Any, Any, str]] = [
        (1, recording("bad-key"), worker, "key"),
        (None, recording("bad-key"), worker, "key"),
        (b"good", recording("bad-key"), worker, "key"),
        ("good", "not callable", worker, "callback"),
        ("good", None, worker, "callback"),
        ("good", recording("bad-worker"), None, "worker"),
        ("good", recording("bad-worker"), "w", "worker"),
    ]
    for key, callback, who, argument in bad:
        with pytest.raises(TypeError, match=argument):
            await c.add_or_run_now(key, callback, who)
    assert c.state == state
    if not done_first:
        await c.complete(None, worker, token)
    await drain()
    # Running: only the good registration survived (none was replaced or added).
    # Done: nothing was started by the rejected calls.
    assert [tag for tag, *_ in calls] == ([] if done_first else ["good"])


@pytest.mark.asyncio
async def test_complete_rejects_bad_input_and_changes_nothing(
    worker: Worker,
    token: CancellationToken,
    recording: Recording,
    calls: list[Call],
    drain: Drain,
) -> None:
    c = Continuations()
    await c.add_or_run_now("k", recording("k"), worker)
    bad: list[tuple[Any, Any, Any, str]] = [
        ("boom", worker, token, "error"),
        (ValueError, worker, token, "error"),  # the class, not an instance
        (None, None, token, "worker"),
        (None, worker, None, "cancellation_token"),
        (None, worker, object(), "cancellation_token"),
    ]
    for error, who, tok, argument in bad:
        with pytest.raises(TypeError, match=argument):
            await c.complete(error, who, tok)
    assert c.state == Running()
    await drain()
    assert calls == []
    await c.complete(None, worker, token)  # still completable, registry intact
    await drain()
    assert [tag for tag, *_ in calls] == ["k"]


@pytest.mark.asyncio
async def test_complete_rejects_bad_input_before_reporting_a_second_complete(
    worker: Worker, token: CancellationToken
) -> None:
    c = Continuations()
    await c.complete(None, worker, token)
    with pytest.raises(TypeError, match="error"):
        await c.complete("boom", worker, token)  # type: ignore[arg-type]
    assert c.state == Done(NORMAL, None)


@pytest.mark.asyncio
async def test_duck_typed_worker_and_token_are_accepted(
    recording: Recording, calls: list[Call], drain: Drain
) -> None:
    class AdapterWorker:
        id = 7
        name = "adapter"

    class AdapterToken:
        def cancel(self) -> None:
            return None

        def is_cancelled(self) -> bool:
            return True

    w: Any = AdapterWorker()
    c = Continuations()
    await c.add_or_run_now("k", recording("k"), w)
    await c.complete(None, w, AdapterToken())  # type: ignore[arg-type]
    await drain()
    assert calls == [("k", w, CANCELLED, None)]


@pytest.mark.asyncio
async def test_holding_set_gives_its_memory_back_after_a_burst(
    worker: Worker, token: CancellationToken, drain: Drain
) -> None:
    # White-box: a set keeps its grown table after discards. After 20,000 concurrent
    # continuations finish, the set that held them must be back to its minimal size.
    from workerjob.impl import continuations as module

    empty_size = sys.getsizeof(set())

    async def nothing(w: Worker, t: CompletionType, m: str | None) -> None:
        return None

    c = Continuations()
    for i in range(20_000):
        await c.add_or_run_now(f"k{i}", nothing, worker)
    await c.complete(None, worker, token)
    held = module._tasks_of(asyncio.get_running_loop())
    assert sys.getsizeof(held) > 100 * empty_size
    await drain()
    assert len(held) == 0
    assert sys.getsizeof(held) == empty_size


# --- the checks above can fail: each on a one-line mutation of the implementation ---------


def _run_under(test: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
    async def main() -> None:
        await test(Worker("w"), CancellationToken(), *args)

    asyncio.run(main())


async def _drain_all() -> None:
    me = asyncio.current_task()
    while others := asyncio.all_tasks() - {me}:
        await asyncio.wait(others)


def test_the_one_step_check_fails_on_an_operation_that_suspends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_operations_take_effect_in_one_step` on a complete() that yields once before
    it takes effect (the window `check_then_await` and `stale_token` live in)."""
    settle = Continuations._settle

    async def complete_with_a_step(self: Continuations, error: BaseException | None,
                                   worker: Worker, token: CancellationToken) -> None:
        await asyncio.sleep(0)  # the mutation
        settle(self, error, worker, token)

    monkeypatch.setattr(Continuations, "complete", complete_with_a_step)
    calls: list[Call] = []

    def recording(tag: str) -> ContinuationFn:
        async def continuation(w: Worker, t: CompletionType, m: str | None) -> None:
            calls.append((tag, w, t, m))
        return continuation

    with pytest.raises(AssertionError):
        _run_under(test_operations_take_effect_in_one_step, recording, calls, _drain_all)


def test_the_holding_check_fails_when_nothing_holds_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_running_continuation_is_held_although_nobody_references_it` (cited by
    proofs_notes/impl.md) when the loop's set of continuation tasks is a new one at
    each call: the pending task is collected."""
    from workerjob.impl import continuations as module

    monkeypatch.setattr(module, "_tasks_of", lambda loop: set())  # the mutation
    with pytest.raises(AssertionError, match="was collected"):
        _run_under(test_running_continuation_is_held_although_nobody_references_it,
                   _drain_all)


def test_the_release_check_fails_when_a_finished_continuation_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_finished_continuation_is_released` (cited by proofs_notes/impl.md) on the
    bug of the `keeps_finished` mutant: every callback started is kept."""
    spawn, kept = Continuations._spawn, []

    def keeping(self: Continuations, loop: asyncio.AbstractEventLoop, key: str,
                callback: ContinuationFn, worker: Worker, state: Done) -> None:
        kept.append(callback)  # the mutation
        spawn(self, loop, key, callback, worker, state)

    monkeypatch.setattr(Continuations, "_spawn", keeping)
    with pytest.raises(AssertionError, match="still referenced"):
        asyncio.run(test_finished_continuation_is_released(
            False, Worker("w"), CancellationToken(), _drain_all))


def test_the_memory_check_fails_when_the_set_is_never_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`test_holding_set_gives_its_memory_back_after_a_burst` (cited by
    proofs_notes/impl.md) when the emptied set is not cleared."""
    from workerjob.impl import continuations as module

    def release(task: asyncio.Task[None]) -> None:
        module._tasks_of(task.get_loop()).discard(task)  # the mutation: no clear()

    monkeypatch.setattr(module, "_release", release)
    with pytest.raises(AssertionError, match="getsizeof"):
        _run_under(test_holding_set_gives_its_memory_back_after_a_burst, _drain_all)
