"""A machine class bound to a subject (`machine_for`) is keyed in the example database
by its name, as it always was, without Hypothesis reading a source file for it: it has
none, and looking for it parsed all of machine.py on every round of every level."""

from __future__ import annotations

import inspect
import linecache
from typing import Any

import pytest
from hypothesis.internal.reflection import function_digest

from workerjob.conformance.stateful import machine as machine_module
from workerjob.conformance.stateful.machine import LEVELS, machine_for
from workerjob.conformance.stateful.subject import load_subject


@pytest.mark.parametrize("level", list(LEVELS))
def test_no_source_is_read_for_a_bound_machine(level: str, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    bound = machine_for(load_subject("workerjob.impl"), level)
    read: list[Any] = []
    real = linecache.getlines

    def getlines(filename: str, *args: Any) -> list[str]:
        read.append(filename)
        return real(filename, *args)

    monkeypatch.setattr(linecache, "getlines", getlines)
    function_digest(bound)
    assert read == []


@pytest.mark.parametrize("level", list(LEVELS))
def test_the_database_key_is_the_one_a_source_search_gave(level: str) -> None:
    """Before: the class said it came from machine.py, where it is not, and the search
    failed into the name; a database written then still replays now."""
    bound = machine_for(load_subject("workerjob.impl"), level)
    before = type(bound.__name__, bound.__bases__,
                  {**{k: v for k, v in vars(bound).items() if k != "__module__"},
                   "__module__": machine_module.__name__})
    with pytest.raises(OSError):
        inspect.getsource(before)
    assert function_digest(bound) == function_digest(before)


def test_different_subjects_and_levels_have_different_keys() -> None:
    keys = {function_digest(machine_for(load_subject(m), level))
            for m in ("workerjob.impl", "tests.mutants.base") for level in ("continuations", "job")}
    assert len(keys) == 4
