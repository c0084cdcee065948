"""proofs_notes/progress.md cannot rot silently: every named invariant of
`workerjob.model.progress` has a section there, and every refusal the model gives
starts with the name of the invariant it enforces (the kit's reports rely on it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workerjob.model.progress import INVARIANTS, Channel, Reader, Report, deliver, report
from workerjob.model.progress.channel import Refused, end_of_updates, reader_must_end
from workerjob.model.progress.metrics import METRIC_INVARIANTS, METRIC_STEP_INVARIANTS
from workerjob.model.vocabulary import RUNNING, CompletionType, Done

NOTE = Path(__file__).resolve().parents[2] / "proofs_notes" / "progress.md"
NAMES = [*INVARIANTS, "gauges-exact", *(i.name for i in METRIC_INVARIANTS),
         *(i.name for i in METRIC_STEP_INVARIANTS)]


@pytest.mark.parametrize("name", NAMES)
def test_every_invariant_has_a_section(name: str) -> None:
    text = NOTE.read_text(encoding="utf-8")
    assert re.search(rf"^#+ `{re.escape(name)}`\s*$", text, re.MULTILINE), name


def test_every_refusal_names_its_invariant() -> None:
    done = Done(CompletionType.NORMAL, None)
    ch = Channel(2, Report(2))
    refusals = [
        report(ch, done, Report(3)), report(ch, RUNNING, Report(1)),
    ]
    reasons: list[object] = [r.why for r in refusals if isinstance(r, Refused)]
    reasons += [deliver(ch, Reader(2), 2), deliver(ch, Reader(0), 1),
                deliver(ch, Reader(2, ended=True), 2), end_of_updates(ch, RUNNING, Reader(2)),
                end_of_updates(ch, done, Reader(1)), reader_must_end(done, Reader(2))]
    assert len(reasons) == 8
    for reason in reasons:
        assert isinstance(reason, str)
        assert reason.split(":")[0] in INVARIANTS, reason
