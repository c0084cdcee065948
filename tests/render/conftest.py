"""The charts are drawn from schedules of real runs: the controlled-loop fixtures."""

from __future__ import annotations

from tests.loop.conftest import MakeLoop, loop, new_loop, task_kind

__all__ = ["MakeLoop", "loop", "new_loop", "task_kind"]
