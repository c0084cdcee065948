"""Every trace the model generates is one the oracle accepts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerjob.model import ATOMIC, SPECS, TOKEN_READ_EARLY, Oracle, Spec
from workerjob.model.environment import Bound

from .walk import random_walk

BOUNDS = {
    "continuations": Bound(max_ops=5),
    "job": Bound(max_ops=5, job=True),
}


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))
@pytest.mark.parametrize("level", list(BOUNDS))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_generated_traces_are_accepted(spec: Spec, level: str, data: st.DataObject) -> None:
    walk = random_walk(data, spec, BOUNDS[level])
    oracle = Oracle(walk.worlds[0].state, spec)
    violation = oracle.feed(walk.observations) or oracle.finish()
    assert violation is None, violation.explain()


@pytest.mark.parametrize("level", list(BOUNDS))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_atomic_traces_satisfy_the_weaker_spec(level: str, data: st.DataObject) -> None:
    walk = random_walk(data, ATOMIC, BOUNDS[level])
    oracle = Oracle(walk.worlds[0].state, TOKEN_READ_EARLY)
    violation = oracle.feed(walk.observations) or oracle.finish()
    assert violation is None, violation.explain()
