"""Run every test in tests/impl on the stock event loop and on uvloop.

pytest-asyncio (>= 1.4) parametrises async tests by the loop factories that the
`pytest_asyncio_loop_factories` hook returns; this conftest's hook applies only to
the items under this folder. Synchronous tests that drive a loop themselves (to see
what escapes `run_until_complete`) take the `loop_factory` fixture instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from workerjob.impl import CancellationToken, CompletionType, ContinuationFn, Worker

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _factories() -> dict[str, LoopFactory]:
    factories: dict[str, LoopFactory] = {"asyncio": asyncio.SelectorEventLoop}
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is not available on Windows
        return factories
    factories["uvloop"] = uvloop.new_event_loop
    return factories


LOOP_FACTORIES = _factories()


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    return LOOP_FACTORIES


@pytest.fixture(params=list(LOOP_FACTORIES.values()), ids=list(LOOP_FACTORIES))
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    factory: LoopFactory = request.param
    return factory


# --- shared helpers, as fixtures (tests/ is not a package, so tests cannot import
# --- a helper module by a name that both pytest and mypy resolve) -------------------

Call = tuple[str, Worker, CompletionType, str | None]
"""What a recording continuation saw: (its tag, worker, completion type, message)."""

Recording = Callable[[str], ContinuationFn]
Drain = Callable[[], Awaitable[None]]
CaptureHandler = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def worker() -> Worker:
    return Worker("worker-under-test")


@pytest.fixture
def token() -> CancellationToken:
    return CancellationToken()


@pytest.fixture
def calls() -> list[Call]:
    return []


@pytest.fixture
def recording(calls: list[Call]) -> Recording:
    """`recording(tag)` is a continuation that appends what it receives to `calls`."""

    def make(tag: str) -> ContinuationFn:
        async def continuation(
            worker: Worker, completion_type: CompletionType, error_message: str | None
        ) -> None:
            calls.append((tag, worker, completion_type, error_message))

        return continuation

    return make


async def _drain() -> None:
    # Wait until every other task on the loop has finished, continuation tasks
    # spawned meanwhile included. No clock: it returns when there is nothing left.
    me = asyncio.current_task()
    while others := asyncio.all_tasks() - {me}:
        await asyncio.wait(others)


@pytest.fixture
def drain() -> Drain:
    """`await drain()`: let every other task (continuations included) run to the end."""
    return _drain


def _capture_handler() -> list[dict[str, Any]]:
    contexts: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    return contexts


@pytest.fixture
def capture_handler() -> CaptureHandler:
    """`capture_handler()` (inside the loop): the contexts the loop's handler receives."""
    return _capture_handler
