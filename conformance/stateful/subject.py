"""A subject: any module that exports SPEC.md's names, and the map of its values
onto the model's.

The kit knows an implementation only through this module's `Subject`: the names SPEC
lists, looked up on the module, and three translations (a completion type by its
string value, a phase by the class names `Running`/`Done` and their fields, an
exception by its class name and text). Nothing here depends on `workerjob.impl`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from workerjob.model import CompletionType, Done, Err, Phase, Running, RunOutcome, TaskError

REQUIRED = ("CompletionType", "Running", "Done", "Worker", "CancellationToken",
            "Continuations", "WorkerJob")
DEFAULT_IMPL = "workerjob.impl"
ENV_VAR = "WORKERJOB_IMPL"


class SubjectError(Exception):
    """The named module cannot be a subject (not importable, or names missing)."""


class Untranslatable(Exception):
    """A value from the subject has no meaning in the model."""


@dataclass(frozen=True)
class Subject:
    name: str
    module: ModuleType

    def __getattr__(self, attr: str) -> Any:
        # Subject.Continuations, Subject.Worker, ...: the module's own classes.
        if attr in REQUIRED:
            return getattr(self.module, attr)
        raise AttributeError(attr)


def load_subject(name: str | None = None) -> Subject:
    """The module `name` (default: $WORKERJOB_IMPL, else the bundled implementation).

    Everything that makes a module unusable as a subject is a `SubjectError` (a usage
    error, exit 2), checked here before a campaign starts: an empty name, an import
    that fails or exits, a missing name, a name that is not a class, a CompletionType
    without SPEC's three values. What the module prints while it is imported goes to
    stderr (stdout may be a protocol: `driver_impl`)."""
    if name is None:
        name = os.environ.get(ENV_VAR) or None  # set but empty: as unset
        source = f"${ENV_VAR}"
        if name is None:
            name, source = DEFAULT_IMPL, "the default"
    else:
        source = "--impl"
    if not name.strip():
        raise SubjectError(f"{source} names no module (an empty name)")
    # As `python -m` does: a module in the current directory can be named.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        with contextlib.redirect_stdout(sys.stderr):
            module = importlib.import_module(name)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # sys.exit() at import is the module's failure, not ours
        raise SubjectError(f"cannot import implementation {name!r}: it called "
                           f"sys.exit({exc.code!r}) while being imported") from None
    except BaseException as exc:  # any import failure is the subject's, reported plainly
        hint = ""
        if name.endswith(".py") or "/" in name or "\\" in name:
            module_name = name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
            hint = (f" (--impl takes a module name, not a file: {module_name!r}, run from "
                    "its folder or with that folder on PYTHONPATH)")
        raise SubjectError(f"cannot import implementation {name!r}: {exc!r}{hint}") from None
    missing = [n for n in REQUIRED if not hasattr(module, n)]
    if missing:
        raise SubjectError(
            f"{name!r} is not a workerjob implementation: it does not export "
            + ", ".join(missing)
        )
    _check_kinds(name, module)
    return Subject(name, module)


def _check_kinds(name: str, module: ModuleType) -> None:
    """Each required name is a class (the kit instantiates them, and recognises the
    phases by their class names), `Continuations.boxed` exists, and CompletionType has
    SPEC's three values."""
    for attr in REQUIRED:
        value = getattr(module, attr)
        if not isinstance(value, type):
            kind = "a function" if callable(value) else f"{type(value).__name__} {value!r}"
            raise SubjectError(f"{name}.{attr} must be a class, not {kind}")
    if not callable(getattr(module.Continuations, "boxed", None)):
        raise SubjectError(f"{name}.Continuations has no boxed() (SPEC: Continuations.boxed)")
    try:
        values = {getattr(member, "value", member) for member in module.CompletionType}
    except TypeError:  # not an enumeration: its values are checked when they appear
        return
    wanted = {c.value for c in CompletionType}
    if not wanted <= values:
        raise SubjectError(f"{name}.CompletionType lacks the value(s) "
                           + ", ".join(repr(v) for v in sorted(wanted - values)))


def completion_type(value: object) -> CompletionType:
    """A subject's completion type, by its string value ("normal", ...)."""
    raw = getattr(value, "value", value)
    try:
        return CompletionType(raw)
    except ValueError:
        raise Untranslatable(f"{value!r} is not a CompletionType") from None


def phase(value: object) -> Phase:
    """A subject's JobState: `Running()` or `Done(completion_type, error_message)`."""
    kind = type(value).__name__
    if kind == "Running":
        return Running()
    if kind == "Done":
        message = getattr(value, "error_message", None)
        if message is not None and not isinstance(message, str):
            raise Untranslatable(f"{value!r}: error_message is not a str or None")
        return Done(completion_type(getattr(value, "completion_type", None)), message)
    raise Untranslatable(f"{value!r} is neither Running nor Done")


def task_error(exc: BaseException | None) -> TaskError | None:
    return None if exc is None else TaskError(type(exc).__name__, str(exc))


def run_outcome(exc: BaseException | None) -> RunOutcome:
    """How run() ended, as the model sees it: returned, or raised `exc`. Something that
    is not an `Exception` is a panic too (what a wrapper catching errors lets through,
    as a Rust panic): SPEC does not care, the `panic-leaves-running` departure does."""
    return RunOutcome(task_error(exc), panicked=exc is not None and not isinstance(exc, Exception))


def raised(exc: BaseException) -> Err:
    return Err(type(exc).__name__, str(exc))
