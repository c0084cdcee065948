"""Fixtures for the controlled-loop tests: fresh loops, with C or pure-Python tasks.

Every test owns its loops; they are closed at teardown.  ``task_kind`` runs a
test twice: with asyncio's C Task (``_asyncio.Task``, the default) and with the
pure-Python Task (``asyncio.tasks._PyTask``), since the loop tells the two
apart differently (see ``owning_task``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from workerjob.conformance.loop.choosers import Chooser
from workerjob.conformance.loop.loop import ControlledLoop

T = TypeVar("T")

# Not in typeshed; present on every supported version.
PyTask: type[asyncio.Task[Any]] = vars(asyncio.tasks)["_PyTask"]
CTask: type[asyncio.Task[Any]] = asyncio.Task


def py_task_factory(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], **kwargs: Any
) -> asyncio.Task[T]:
    """A task factory making pure-Python Tasks (kwargs: name, context, ...)."""
    return PyTask(coro, loop=loop, **kwargs)


TASK_FACTORIES: dict[str, Any] = {"c": None, "py": py_task_factory}

MakeLoop = Callable[..., ControlledLoop]


def make_loop(kind: str, chooser: Chooser | None = None) -> ControlledLoop:
    """A fresh loop making tasks of ``kind`` ("c" or "py"); the caller closes it."""
    loop = ControlledLoop(chooser)
    loop.set_task_factory(TASK_FACTORIES[kind])
    return loop


@pytest.fixture(params=sorted(TASK_FACTORIES))
def task_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def new_loop(task_kind: str) -> Iterator[MakeLoop]:
    """Makes loops (optionally with a chooser); shuts them down after the test."""
    loops: list[ControlledLoop] = []

    def make(chooser: Chooser | None = None) -> ControlledLoop:
        loop = make_loop(task_kind, chooser)
        loops.append(loop)
        return loop

    yield make
    for loop in loops:
        loop.shutdown()


@pytest.fixture
def loop(new_loop: MakeLoop) -> ControlledLoop:
    return new_loop()
