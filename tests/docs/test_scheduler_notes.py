"""proofs_notes/scheduler.md has a section per invariant of model/scheduler/invariants.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workerjob.model.scheduler import STATE_INVARIANTS, STEP_INVARIANTS

NOTE = Path(__file__).resolve().parents[2] / "proofs_notes" / "scheduler.md"
NAMES = [i.name for i in STATE_INVARIANTS] + [i.name for i in STEP_INVARIANTS]


@pytest.mark.parametrize("name", [*NAMES, "no-starvation", "gauges-exact", "counters-exact"])
def test_every_scheduler_invariant_has_a_section(name: str) -> None:
    text = NOTE.read_text(encoding="utf-8")
    assert re.search(rf"^#+ .*`{re.escape(name)}`", text, re.MULTILINE), (
        f"proofs_notes/scheduler.md has no section for `{name}`")
