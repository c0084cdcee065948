"""Which spec a command checks against: `--spec NAME` and `--allow DEPARTURE`, shared by
`verify`, `check-trace` and `drive`, and the same choice carried in a trace header.

A spec is SPEC plus a set of named departures (`model/departures.py`): `--spec` picks a
named one (`atomic`, `token-read-early`, `original`), each `--allow` adds one departure.
In a trace, the header's `spec` and `allow` say the same; the command line, when it
names a spec, chooses the whole spec and the header's choice is not read.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence

from workerjob.model import DEPARTURES, NAMED_SPECS, Spec, spec_with


def add_options(parser: argparse.ArgumentParser, *, default: str | None = "atomic") -> None:
    where = "default: atomic" if default is not None else "default: the header's, else atomic"
    parser.add_argument("--spec", choices=sorted(NAMED_SPECS), default=default,
                        help=f"the spec to check against ({where}); original allows every "
                        "departure the original Rust code has")
    parser.add_argument("--allow", action="append", default=[], metavar="DEPARTURE",
                        choices=sorted(DEPARTURES),
                        help="allow one named departure besides the spec's (repeatable): "
                        + ", ".join(sorted(DEPARTURES)))


def chosen(name: str | None, allow: Iterable[str] = (), *, header_spec: str | None = None,
           header_allow: Sequence[str] = ()) -> Spec:
    """The spec in force: the command line's, else the header's, else atomic; then
    every allowed departure (the command line's, and the header's when the command
    line named no spec). Raises `ValueError` for an unknown name."""
    if name is not None:
        base, extra = name, list(allow)
    else:
        base, extra = header_spec or "atomic", [*header_allow, *allow]
    if base not in NAMED_SPECS:
        raise ValueError(f"unknown spec {base!r} (known: {', '.join(sorted(NAMED_SPECS))})")
    return spec_with(NAMED_SPECS[base], extra)


def header_fields(spec: Spec) -> tuple[str, tuple[str, ...]]:
    """The header's `spec` and `allow` that name `spec` again."""
    base = NAMED_SPECS[spec.name.split("+", 1)[0]]
    return base.name, tuple(sorted(spec.departures - base.departures))


def describe(spec: Spec) -> str:
    """One line for reports: the spec and the departures in force."""
    return f"{spec.name} spec; departures in force: {spec.in_force()}"
