"""SPEC, Vocabulary: CompletionType, JobState, Worker, WorkerTask, CancellationToken."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import pathlib

import pytest

import workerjob.impl as impl
from workerjob.impl import (
    CancellationToken,
    CompletionType,
    Done,
    JobState,
    Running,
    Worker,
    WorkerTask,
)


def test_exports_are_specs_names() -> None:
    assert set(impl.__all__) == {
        "CancellationToken",
        "CompletionType",
        "ContinuationFn",
        "Continuations",
        "Done",
        "JobScheduler",  # ENHANCEMENTS.md, the scheduler
        "JobState",
        "Running",
        "Worker",
        "WorkerJob",
        "WorkerTask",
        # ENHANCEMENTS.md, Progress and Metrics
        "Progress",
        "ProgressChannel",
        "report_progress",
        "snapshot",
        # ENHANCEMENTS.md, Timeouts and Retries
        "RetryPolicy",
    }
    for name in impl.__all__:
        assert getattr(impl, name) is not None


def test_impl_never_imports_the_model() -> None:
    # ARCHITECTURE: an oracle that shares code with its subject checks nothing.
    for path in pathlib.Path(impl.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." * node.level + (node.module or "")]
            else:
                continue
            for name in names:
                assert "model" not in name.split("."), (path.name, name)


def test_completion_type_values() -> None:
    assert [(t.name, t.value) for t in CompletionType] == [
        ("NORMAL", "normal"),
        ("CANCELLED", "cancelled"),
        ("FAILED", "failed"),
    ]
    assert CompletionType("failed") is CompletionType.FAILED


def test_states_are_frozen_comparable_and_hashable() -> None:
    assert Running() == Running()
    assert Done(CompletionType.FAILED, "x") == Done(CompletionType.FAILED, "x")
    assert Done(CompletionType.FAILED, "x") != Done(CompletionType.FAILED, "y")
    states: list[JobState] = [Running(), Done(CompletionType.NORMAL, None)]
    assert states[0] != states[1]
    assert len({Running(), Running(), Done(CompletionType.NORMAL, None)}) == 2
    done = Done(CompletionType.NORMAL, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.error_message = "changed"  # type: ignore[misc]


def describe(state: JobState) -> str:
    match state:
        case Running():
            return "running"
        case Done(CompletionType.FAILED, message):
            return f"failed: {message}"
        case Done(kind, None):
            return kind.value
    return "other"


def test_states_work_in_match() -> None:
    assert describe(Running()) == "running"
    assert describe(Done(CompletionType.FAILED, "boom")) == "failed: boom"
    assert describe(Done(CompletionType.CANCELLED, None)) == "cancelled"


def test_done_rejects_wrong_types() -> None:
    with pytest.raises(TypeError, match="completion_type"):
        Done("normal", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="error_message"):
        Done(CompletionType.FAILED, 42)  # type: ignore[arg-type]


def test_worker_has_name_and_fresh_unique_id() -> None:
    a, b = Worker("same"), Worker("same")
    assert a.name == b.name == "same"
    assert a.id != b.id
    assert a != b
    with pytest.raises(TypeError, match="name"):
        Worker(42)  # type: ignore[arg-type]


def test_worker_task_is_a_structural_protocol() -> None:
    class Task:
        async def run(self) -> None:
            return None

    assert isinstance(Task(), WorkerTask)
    assert not isinstance(object(), WorkerTask)


def test_token_cancel_is_idempotent() -> None:
    token = CancellationToken()
    assert not token.is_cancelled()
    token.cancel()
    token.cancel()
    assert token.is_cancelled()


@pytest.mark.asyncio
async def test_token_cancelled_returns_at_once_when_already_cancelled() -> None:
    token = CancellationToken()
    token.cancel()
    # Drive the coroutine by hand: StopIteration on the first step means it returned
    # without ever suspending.
    coro = token.cancelled()
    with pytest.raises(StopIteration):
        coro.send(None)


@pytest.mark.asyncio
async def test_token_cancelled_wakes_every_waiter() -> None:
    token = CancellationToken()
    waiters = [asyncio.create_task(token.cancelled()) for _ in range(3)]
    await asyncio.sleep(0)  # one step: let every waiter reach its await
    assert not any(w.done() for w in waiters)
    token.cancel()
    await asyncio.gather(*waiters)
    assert token.is_cancelled()
