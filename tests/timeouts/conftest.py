"""Tests of timeouts and retries run on the controllable loop: its clock is virtual, so
a deadline or a backoff takes no real time and every instant is exact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest

from workerjob.conformance.loop.loop import ControlledLoop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"virtual": ControlledLoop}
