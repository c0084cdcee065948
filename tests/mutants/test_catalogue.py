"""The mutant catalogue: `base` follows SPEC.md, and each mutant is broken as described.

Every mutant has one targeted scenario, run on `base` and on the mutant: `base` must give
what SPEC requires and the mutant what its bug produces, so each scenario is shown both
to pass on a correct subject and to fail on the broken one. Deterministic: interleavings
are made by driving a coroutine by hand (`step`), never by sleeping or timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import inspect
import pathlib
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any, NamedTuple

import pytest

import workerjob.impl
from tests.mutants import CORRECT, MUTANTS, OTHER_SUBJECTS, base
from tests.mutants.base import (
    CancellationToken,
    CompletionType,
    ContinuationFn,
    Continuations,
    Done,
    JobState,
    Running,
    Worker,
    WorkerJob,
)
from workerjob.conformance.stateful.subject import REQUIRED

NORMAL, CANCELLED, FAILED = CompletionType.NORMAL, CompletionType.CANCELLED, CompletionType.FAILED
W = Worker("catalogue")

# --- helpers ---------------------------------------------------------------------------

Call = tuple[str, Worker, CompletionType, str | None]


class Recorder:
    """`recorder(tag)` is a continuation that appends what it receives to `calls`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def __call__(self, tag: str) -> ContinuationFn:
        async def continuation(
            worker: Worker, completion_type: CompletionType, error_message: str | None
        ) -> None:
            self.calls.append((tag, worker, completion_type, error_message))

        return continuation

    def tags(self) -> list[str]:
        return sorted(tag for tag, *_ in self.calls)  # no order among continuations


async def drain() -> None:
    """Let every other task on the loop (continuations included) run to its end. No clock."""
    me = asyncio.current_task()
    while others := asyncio.all_tasks() - {me}:
        await asyncio.wait(others)


def step(coro: Coroutine[Any, Any, None]) -> bool:
    """Run `coro` by hand up to its next bare yield (`sleep(0)`); True when it returned.

    The caller runs whatever it likes between two steps: that is how an interleaving is
    forced without relying on the loop's scheduling.
    """
    try:
        yielded = coro.send(None)
    except StopIteration:
        return True
    assert yielded is None, f"suspended on {yielded!r}; step() only drives bare yields"
    return False


def capture_handler() -> list[dict[str, Any]]:
    contexts: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    return contexts


class Returns:
    async def run(self) -> None:
        return None


class Raises:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def run(self) -> None:
        raise self.exc


class Blocks:
    """Runs until cancelled; `started` is set once run() is under way."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def run(self) -> None:
        self.started.set()
        await asyncio.Event().wait()


class WaitsForToken:
    def __init__(self, token: CancellationToken) -> None:
        self.token = token

    async def run(self) -> None:
        await self.token.cancelled()


# --- the catalogue itself ------------------------------------------------------------

HERE = pathlib.Path(__file__).parent
NOT_MUTANTS = {"__init__", "base", "test_catalogue", *OTHER_SUBJECTS}


def load(name: str) -> ModuleType:
    return importlib.import_module(f"tests.mutants.{name}")


def test_catalogue_lists_every_mutant_module() -> None:
    modules = {p.stem for p in HERE.glob("*.py")} - NOT_MUTANTS
    assert modules == set(MUTANTS) | set(CORRECT)


@pytest.mark.parametrize("name", ["base", *MUTANTS, *CORRECT])
def test_module_exports_the_names_of_workerjob_impl(name: str) -> None:
    module = load(name)
    # SPEC's names; workerjob.impl exports the enhancements' names beside them
    # (report_progress, snapshot, ...), which these SPEC-only subjects need not.
    assert set(module.__all__) <= set(workerjob.impl.__all__)
    assert set(REQUIRED) <= set(module.__all__)
    for export in module.__all__:
        assert hasattr(module, export), export


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_docstring_is_its_one_sentence_description(name: str) -> None:
    doc = load(name).__doc__
    assert doc is not None
    assert " ".join(doc.split()) == MUTANTS[name]
    assert MUTANTS[name].count(". ") == 0 and MUTANTS[name].endswith(".")


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_variant_docstring_opens_with_its_description(name: str) -> None:
    doc = load(name).__doc__
    assert doc is not None
    assert " ".join(doc.split("\n\n")[0].split()) == CORRECT[name]


def overridden(module: ModuleType) -> dict[str, str]:
    """The hooks a module overrides: `{"Class.method": "Class"}`, wiring excluded."""
    found: dict[str, str] = {}
    for export in module.__all__:
        ours, theirs = getattr(module, export), getattr(base, export)
        if ours is theirs:
            continue
        assert inspect.isclass(ours) and ours.__bases__ == (theirs,), export
        for attr, value in vars(ours).items():
            if attr.startswith("__") or attr == "continuations_type":
                continue
            assert callable(value) and callable(getattr(theirs, attr, None)), (export, attr)
            found[f"{export}.{attr}"] = export
    return found


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_overrides_exactly_one_hook_of_base(name: str) -> None:
    module = load(name)
    hooks = overridden(module)
    assert len(hooks) == 1, hooks
    if "Continuations" in hooks.values():  # its WorkerJob must use the broken Continuations
        assert module.WorkerJob.continuations_type is module.Continuations


# --- base follows SPEC.md --------------------------------------------------------------


@pytest.mark.asyncio
async def test_base_operations_take_effect_in_one_step() -> None:
    # No suspension inside an operation: nothing can run between its check and its act.
    continuations, token, recorder = Continuations(), CancellationToken(), Recorder()
    assert step(continuations.add_or_run_now("early", recorder("early"), W))
    assert step(continuations.complete(None, W, token))
    assert continuations.state == Done(NORMAL, None)
    assert step(continuations.add_or_run_now("late", recorder("late"), W))
    assert recorder.calls == []  # started as tasks, not run by the caller
    await drain()
    assert recorder.tags() == ["early", "late"]


@pytest.mark.parametrize(
    ("cancelled", "error", "expected"),
    [
        (False, None, Done(NORMAL, None)),
        (False, ValueError("boom"), Done(FAILED, "boom")),
        (False, ValueError(""), Done(FAILED, "ValueError")),
        (False, KeyboardInterrupt(), Done(FAILED, "KeyboardInterrupt")),
        (True, None, Done(CANCELLED, None)),
        (True, ValueError("boom"), Done(CANCELLED, "boom")),
        (True, asyncio.CancelledError(), Done(CANCELLED, "CancelledError")),
    ],
    ids=["normal", "failed", "empty-message", "base-exception", "cancelled", "cancel-wins", "ce"],
)
@pytest.mark.asyncio
async def test_base_classifies_and_passes_the_outcome_to_every_continuation(
    cancelled: bool, error: BaseException | None, expected: Done
) -> None:
    continuations, token, recorder = Continuations(), CancellationToken(), Recorder()
    other = Worker("completer")
    await continuations.add_or_run_now("a", recorder("a"), W)
    await continuations.add_or_run_now("b", recorder("b"), W)
    if cancelled:
        token.cancel()
    await continuations.complete(error, other, token)
    assert continuations.state == expected
    await drain()
    kind, message = expected.completion_type, expected.error_message
    assert sorted(recorder.calls) == [("a", other, kind, message), ("b", other, kind, message)]


@pytest.mark.asyncio
async def test_base_done_is_absorbing() -> None:
    continuations, token = Continuations(), CancellationToken()
    await continuations.complete(ValueError("first"), W, token)
    token.cancel()
    with pytest.raises(asyncio.InvalidStateError):
        await continuations.complete(None, W, token)
    assert continuations.state == Done(FAILED, "first")


@pytest.mark.asyncio
async def test_base_later_registration_replaces_earlier_and_done_starts_with_callers_worker() -> (
    None
):
    continuations, recorder = Continuations(), Recorder()
    await continuations.add_or_run_now("k", recorder("first"), W)
    await continuations.add_or_run_now("k", recorder("second"), W)
    await continuations.complete(None, W, CancellationToken())
    late = Worker("late")
    await continuations.add_or_run_now("k", recorder("late"), late)
    await drain()
    assert sorted(recorder.calls) == [("late", late, NORMAL, None), ("second", W, NORMAL, None)]


@pytest.mark.asyncio
async def test_base_continuation_errors_go_to_the_handler_and_disturb_nothing() -> None:
    contexts = capture_handler()
    continuations, recorder = Continuations(), Recorder()
    boom = RuntimeError("continuation failed")

    async def raises(worker: Worker, kind: CompletionType, message: str | None) -> None:
        raise boom

    await continuations.add_or_run_now("bad", raises, W)
    await continuations.add_or_run_now("good", recorder("good"), W)
    await continuations.complete(None, W, CancellationToken())
    await continuations.add_or_run_now("late-bad", raises, W)
    await drain()
    assert recorder.tags() == ["good"]
    assert [ctx["exception"] for ctx in contexts] == [boom, boom]
    assert continuations.state == Done(NORMAL, None)


@pytest.mark.asyncio
async def test_base_keeps_nothing_alive_after_completion() -> None:
    continuations, recorder = Continuations(), Recorder()
    callback = recorder("k")
    alive = weakref.ref(callback)
    await continuations.add_or_run_now("k", callback, W)
    del callback
    await continuations.complete(None, W, CancellationToken())
    await drain()
    gc.collect()
    assert alive() is None
    assert not base._live
    assert recorder.tags() == ["k"]


@pytest.mark.asyncio
async def test_base_boxed_accepts_plain_and_async_callables() -> None:
    seen: list[str | None] = []

    def plain(worker: Worker, kind: CompletionType, message: str | None) -> None:
        seen.append(message)

    await Continuations.boxed(plain)(W, FAILED, "boom")
    await Continuations.boxed(Recorder()("x"))(W, NORMAL, None)
    assert seen == ["boom"]
    with pytest.raises(TypeError, match=r"^f\b"):
        Continuations.boxed(42)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_base_rejects_bad_input_naming_the_argument_before_any_change() -> None:
    continuations, token, recorder = Continuations(), CancellationToken(), Recorder()
    bad_calls: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("key", lambda: continuations.add_or_run_now(1, recorder("x"), W)),  # type: ignore[arg-type]
        ("callback", lambda: continuations.add_or_run_now("k", None, W)),  # type: ignore[arg-type]
        ("worker", lambda: continuations.add_or_run_now("k", recorder("x"), "w")),  # type: ignore[arg-type]
        ("error", lambda: continuations.complete("boom", W, token)),  # type: ignore[arg-type]
        ("cancellation_token", lambda: continuations.complete(None, W, object())),  # type: ignore[arg-type]
    ]
    for argument, call in bad_calls:
        with pytest.raises(TypeError, match=argument):
            await call()
    assert continuations.state == Running()
    with pytest.raises(TypeError, match="worker_task"):
        WorkerJob(W, object(), token)  # type: ignore[arg-type]
    await continuations.complete(None, W, token)
    await drain()
    assert recorder.calls == []


@pytest.mark.asyncio
async def test_base_job_success_failure_and_cooperative_cancel() -> None:
    recorder = Recorder()
    ok = WorkerJob(W, Returns(), CancellationToken())
    assert not ok.is_active() and not ok.is_complete()
    with pytest.raises(RuntimeError, match="Task not launched"):
        await ok.wait()
    await ok.worker_job_continuations.add_or_run_now("ok", recorder("ok"), W)
    ok.launch()
    assert ok.is_active()
    with pytest.raises(RuntimeError):
        ok.launch()
    await ok.wait()  # returns None: run() succeeded
    assert ok.is_complete() and not ok.is_active()
    assert ok.worker_job_continuations.state == Done(NORMAL, None)
    with pytest.raises(RuntimeError):
        await ok.wait()

    boom = ValueError("boom")
    failing = WorkerJob(W, Raises(boom), CancellationToken())
    failing.launch()
    with pytest.raises(ValueError) as raised:
        await failing.wait()
    assert raised.value is boom
    assert failing.worker_job_continuations.state == Done(FAILED, "boom")

    token = CancellationToken()
    cooperative = WorkerJob(W, WaitsForToken(token), token)
    cooperative.launch()
    cooperative.cancel()
    await cooperative.wait()
    assert cooperative.worker_job_continuations.state == Done(CANCELLED, None)
    await drain()
    assert recorder.calls == [("ok", W, NORMAL, None)]


@pytest.mark.parametrize("message", [None, "stop"])
@pytest.mark.parametrize("started", [False, True], ids=["before-first-step", "mid-run"])
@pytest.mark.asyncio
async def test_base_job_hard_cancel_is_cancelled_whatever_the_token(
    started: bool, message: str | None
) -> None:
    task, recorder = Blocks(), Recorder()
    job = WorkerJob(W, task, CancellationToken())
    await job.worker_job_continuations.add_or_run_now("k", recorder("k"), W)
    job.launch()
    if started:
        await task.started.wait()
    assert job.task_handle is not None
    job.task_handle.cancel(message)
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    expected = Done(CANCELLED, message or "CancelledError")
    assert job.worker_job_continuations.state == expected
    assert task.started.is_set() is started
    await drain()
    assert recorder.calls == [("k", W, CANCELLED, expected.error_message)]


@pytest.mark.asyncio
async def test_base_job_skips_its_completion_when_someone_else_completed() -> None:
    job = WorkerJob(W, Raises(ValueError("late")), CancellationToken())
    await job.worker_job_continuations.complete(None, W, job.cancellation_token)
    job.launch()
    with pytest.raises(ValueError):
        await job.wait()
    assert job.worker_job_continuations.state == Done(NORMAL, None)


def test_base_launch_needs_a_running_loop() -> None:
    job = WorkerJob(W, Returns(), CancellationToken())
    with pytest.raises(RuntimeError):
        job.launch()
    assert job.task_handle is None


# --- each mutant, caught by one targeted scenario ---------------------------------------


class Subject(NamedTuple):
    continuations: type[Continuations]
    job: type[WorkerJob]
    token: type[CancellationToken]


def subject(module: ModuleType) -> Subject:
    continuations, job, token = module.Continuations, module.WorkerJob, module.CancellationToken
    assert issubclass(continuations, Continuations) and issubclass(job, WorkerJob)
    assert issubclass(token, CancellationToken)
    return Subject(continuations, job, token)


async def registration_across_complete(s: Subject) -> list[str]:
    """add_or_run_now is called, complete runs before it returns: the callback must run."""
    continuations, recorder = s.continuations(), Recorder()
    registering = continuations.add_or_run_now("k", recorder("k"), W)
    finished = step(registering)
    await continuations.complete(None, W, CancellationToken())
    while not finished:
        finished = step(registering)
    await drain()
    return recorder.tags()


async def registration_after_done(s: Subject) -> list[str]:
    """One continuation registered, complete, one more added: each runs once."""
    continuations, recorder = s.continuations(), Recorder()
    await continuations.add_or_run_now("a", recorder("a"), W)
    await continuations.complete(None, W, CancellationToken())
    await drain()
    await continuations.add_or_run_now("b", recorder("b"), W)
    await drain()
    return recorder.tags()


async def error_with_cancelled_token(s: Subject) -> JobState:
    continuations, token = s.continuations(), CancellationToken()
    token.cancel()
    await continuations.complete(ValueError("boom"), W, token)
    return continuations.state


async def hard_cancel_with_message(s: Subject) -> JobState:
    job = s.job(W, Blocks(), CancellationToken())
    job.launch()
    assert job.task_handle is not None
    job.task_handle.cancel("stop")
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    return job.worker_job_continuations.state


async def two_registrations_one_key(s: Subject) -> list[str]:
    continuations, recorder = s.continuations(), Recorder()
    await continuations.add_or_run_now("k", recorder("first"), W)
    await continuations.add_or_run_now("k", recorder("second"), W)
    await continuations.complete(None, W, CancellationToken())
    await drain()
    return recorder.tags()


async def second_complete(s: Subject) -> tuple[str, JobState]:
    continuations = s.continuations()
    await continuations.complete(None, W, CancellationToken())
    try:
        await continuations.complete(ValueError("boom"), W, CancellationToken())
    except asyncio.InvalidStateError:
        return "raised InvalidStateError", continuations.state
    return "returned", continuations.state


async def failing_run(s: Subject) -> tuple[JobState, list[str]]:
    recorder = Recorder()
    job = s.job(W, Raises(ValueError("boom")), CancellationToken())
    await job.worker_job_continuations.add_or_run_now("k", recorder("k"), W)
    job.launch()
    with pytest.raises(ValueError):
        await job.wait()
    await drain()
    return job.worker_job_continuations.state, recorder.tags()


async def registration_during_complete(s: Subject) -> list[str]:
    """complete is called, add_or_run_now runs before it returns: both callbacks must run."""
    continuations, recorder = s.continuations(), Recorder()
    await continuations.add_or_run_now("early", recorder("early"), W)
    completing = continuations.complete(None, W, CancellationToken())
    finished = step(completing)
    await continuations.add_or_run_now("late", recorder("late"), W)
    while not finished:
        finished = step(completing)
    await drain()
    return recorder.tags()


async def cancel_during_complete(s: Subject) -> tuple[JobState, JobState]:
    """cancel() returns, then the state is read, then complete(None) returns.

    If that read saw Running, complete took effect after cancel() and must be CANCELLED
    (SPEC: the token is read at the instant the state changes).
    """
    continuations, token = s.continuations(), CancellationToken()
    completing = continuations.complete(None, W, token)
    finished = step(completing)
    token.cancel()
    seen = continuations.state
    while not finished:
        finished = step(completing)
    return seen, continuations.state


async def add_when_done_waiting_for_caller(s: Subject) -> tuple[bool, list[str]]:
    """The continuation waits for something its caller does after add_or_run_now returns.

    Returns whether the call returned at once, and what had started by then.
    """
    continuations, recorder = s.continuations(), Recorder()
    await continuations.complete(None, W, CancellationToken())
    release = asyncio.Event()

    async def waits_for_caller(worker: Worker, kind: CompletionType, message: str | None) -> None:
        await recorder("k")(worker, kind, message)
        await release.wait()

    adding = continuations.add_or_run_now("k", waits_for_caller, W)
    try:
        adding.send(None)
    except StopIteration:
        returned = True
    else:
        returned = False  # suspended on `release`, which only this caller can set: deadlock
        adding.close()
    started = recorder.tags()
    release.set()
    await drain()
    return returned, started


async def wait_after_failing_run(s: Subject) -> str:
    job = s.job(W, Raises(ValueError("boom")), CancellationToken())
    job.launch()
    try:
        await job.wait()
    except ValueError as exc:
        return f"raised {exc!r}"
    return "returned None"


async def first_continuation_raises(s: Subject) -> list[str]:
    capture_handler()
    continuations, recorder = s.continuations(), Recorder()

    async def raises(worker: Worker, kind: CompletionType, message: str | None) -> None:
        raise RuntimeError("continuation failed")

    await continuations.add_or_run_now("bad", raises, W)
    await continuations.add_or_run_now("good", recorder("good"), W)
    await continuations.complete(None, W, CancellationToken())
    await drain()
    return recorder.tags()


class CancelledAsItReturns:
    """run() returns normally, having queued a hard cancel of its own task: the cancel
    comes in the step right after run() returned."""

    def __init__(self) -> None:
        self.job: WorkerJob | None = None

    async def run(self) -> None:
        assert self.job is not None and self.job.task_handle is not None
        asyncio.get_running_loop().call_soon(self.job.task_handle.cancel)


async def hard_cancel_as_run_returns(s: Subject) -> JobState:
    """The job completes as run() returns; a hard cancel one step later is too late."""
    task = CancelledAsItReturns()
    job = s.job(W, task, CancellationToken())
    task.job = job
    job.launch()
    with contextlib.suppress(asyncio.CancelledError):  # the mutant's wait() raises it
        await job.wait()
    return job.worker_job_continuations.state


async def worker_received_is_the_one_given(s: Subject) -> bool:
    continuations, recorder = s.continuations(), Recorder()
    await continuations.add_or_run_now("k", recorder("k"), W)
    given = Worker("given")
    await continuations.complete(None, given, CancellationToken())
    await drain()
    return recorder.calls[0][1] is given


async def completion_type_of_the_state(s: Subject) -> str:
    continuations = s.continuations()
    await continuations.complete(None, W, CancellationToken())
    state = continuations.state
    assert isinstance(state, Done)
    return type(state.completion_type).__name__


async def waiter_wakes_on_cancel(s: Subject) -> tuple[bool, bool]:
    token = s.token()
    waiter = asyncio.get_running_loop().create_task(token.cancelled())
    for _ in range(3):
        await asyncio.sleep(0)
    before = waiter.done()
    token.cancel()
    for _ in range(3):  # Event.set wakes the waiter at the loop's next turn
        await asyncio.sleep(0)
    woke = waiter.done()
    waiter.cancel()
    await asyncio.wait({waiter})
    return before, woke


async def key_of_another_type(s: Subject) -> str:
    continuations, recorder = s.continuations(), Recorder()
    try:
        await continuations.add_or_run_now(7, recorder("k"), W)  # type: ignore[arg-type]
    except TypeError as exc:
        return f"TypeError naming key: {'key' in str(exc)}"
    return "accepted"


async def finished_continuation_is_freed(s: Subject) -> bool:
    continuations, recorder = s.continuations(), Recorder()
    callback = recorder("k")
    ref = weakref.ref(callback)
    await continuations.add_or_run_now("k", callback, W)
    del callback
    await continuations.complete(None, W, CancellationToken())
    await drain()
    gc.collect()
    return ref() is None


async def status_after_wait(s: Subject) -> tuple[bool, bool]:
    job = s.job(W, Returns(), CancellationToken())
    job.launch()
    await job.wait()
    return job.is_active(), job.is_complete()


class Case(NamedTuple):
    mutant: str
    scenario: Callable[[Subject], Awaitable[object]]
    spec: object
    """What SPEC requires, and what `base` gives."""
    bug: object
    """What the mutant gives instead."""


CASES = [
    Case("check_then_await", registration_across_complete, ["k"], []),
    Case("registry_kept", registration_after_done, ["a", "b"], ["a", "a", "b"]),
    Case("failure_wins", error_with_cancelled_token, Done(CANCELLED, "boom"), Done(FAILED, "boom")),
    Case(
        "cancel_drops_message", hard_cancel_with_message, Done(CANCELLED, "stop"), Done(CANCELLED)
    ),
    Case("first_key_wins", two_registrations_one_key, ["second"], ["first"]),
    Case(
        "overwrite_done",
        second_complete,
        ("raised InvalidStateError", Done(NORMAL)),
        ("returned", Done(FAILED, "boom")),
    ),
    Case("lost_on_failure", failing_run, (Done(FAILED, "boom"), ["k"]), (Running(), [])),
    Case("drain_then_await", registration_during_complete, ["early", "late"], ["early"]),
    Case(
        "stale_token",
        cancel_during_complete,
        (Done(NORMAL), Done(NORMAL)),  # complete took effect before cancel(): NORMAL is right
        (Running(), Done(NORMAL)),  # Running seen after cancel(), yet NORMAL: a violation
    ),
    Case("awaits_continuation", add_when_done_waiting_for_caller, (True, []), (False, ["k"])),
    Case(
        "wait_swallows_failure",
        wait_after_failing_run,
        "raised ValueError('boom')",
        "returned None",
    ),
    Case("one_task_for_all", first_continuation_raises, ["good"], []),
    Case(
        "yields_after_run",
        hard_cancel_as_run_returns,
        Done(NORMAL),
        Done(CANCELLED, "CancelledError"),
    ),
    Case("worker_copied", worker_received_is_the_one_given, True, False),
    Case("types_as_strings", completion_type_of_the_state, "CompletionType", "str"),
    Case("token_never_wakes", waiter_wakes_on_cancel, (False, True), (False, False)),
    Case("cancelled_at_once", waiter_wakes_on_cancel, (False, True), (True, True)),
    Case("unchecked_key", key_of_another_type, "TypeError naming key: True", "accepted"),
    Case("keeps_finished", finished_continuation_is_freed, True, False),
    Case("never_complete", status_after_wait, (False, True), (False, False)),
]


def test_every_mutant_has_a_case() -> None:
    assert [case.mutant for case in CASES] == list(MUTANTS)


@pytest.mark.parametrize("on", ["base", "mutant"])
@pytest.mark.parametrize("case", CASES, ids=[case.mutant for case in CASES])
@pytest.mark.asyncio
async def test_scenario_tells_the_mutant_from_base(case: Case, on: str) -> None:
    module = base if on == "base" else load(case.mutant)
    expected = case.spec if on == "base" else case.bug
    assert await case.scenario(subject(module)) == expected


def test_catalogue_readme_has_a_row_for_every_module() -> None:
    rows = {
        line.split("|")[1].strip().strip("`")
        for line in (HERE / "README.md").read_text().splitlines()
        if line.startswith("| `")
    }
    assert rows == set(MUTANTS) | set(CORRECT) | {"base"}
