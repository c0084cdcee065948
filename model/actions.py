"""Operations, their results, and the actions of the labelled transition system.

Observable actions are what a run can show an observer: an operation's invocation
(`Invoke`) and return (`Return`), the start of a continuation with the arguments it
received (`Start`), and how the job's `run()` ended (`RunEnded`). Internal actions are
what happens inside, unseen: an operation taking effect, the job's task completing the
continuations.
"""

from __future__ import annotations

from dataclasses import dataclass

from workerjob.model.vocabulary import CompletionType, Phase, RunOutcome, TaskError

# --- operations (what is invoked) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddOrRunNow:
    """`await continuations.add_or_run_now(key, <continuation cont>, worker)`."""

    key: str
    cont: int
    worker: str

    def __str__(self) -> str:
        return f"add_or_run_now({self.key!r}, c{self.cont}, {self.worker})"


@dataclass(frozen=True, slots=True)
class Complete:
    """`await continuations.complete(error, worker, token)`."""

    error: TaskError | None
    worker: str

    def __str__(self) -> str:
        return f"complete({self.error}, {self.worker})"


@dataclass(frozen=True, slots=True)
class Cancel:
    """`token.cancel()` (or `job.cancel()`, which does only that)."""

    def __str__(self) -> str:
        return "cancel()"


@dataclass(frozen=True, slots=True)
class ReadState:
    """Reading `continuations.state`."""

    def __str__(self) -> str:
        return "state"


@dataclass(frozen=True, slots=True)
class Launch:
    """`job.launch()`."""

    def __str__(self) -> str:
        return "launch()"


@dataclass(frozen=True, slots=True)
class HardCancel:
    """`job.task_handle.cancel(msg)`."""

    msg: str | None = None

    def __str__(self) -> str:
        return f"task_handle.cancel({self.msg!r})"


@dataclass(frozen=True, slots=True)
class Wait:
    """`await job.wait()`."""

    def __str__(self) -> str:
        return "wait()"


@dataclass(frozen=True, slots=True)
class IsActive:
    """`job.is_active()`: launched and not yet finished (the job's task has not done its
    completion step)."""

    def __str__(self) -> str:
        return "is_active()"


@dataclass(frozen=True, slots=True)
class IsComplete:
    """`job.is_complete()`: finished (the job's task has done its completion step)."""

    def __str__(self) -> str:
        return "is_complete()"


Op = (AddOrRunNow | Complete | Cancel | ReadState | Launch | HardCancel | Wait | IsActive
      | IsComplete)

# --- results --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ok:
    """A normal return, with the value where the operation has one (`state`, and
    `is_active()` / `is_complete()`, whose value is a bool)."""

    value: Phase | bool | None = None

    def __str__(self) -> str:
        return "ok" if self.value is None else f"ok {self.value}"


@dataclass(frozen=True, slots=True)
class Err:
    """An exception raised by the operation. `text=None` in an expected result means
    any text is allowed (SPEC names the type only)."""

    type_name: str
    text: str | None = None

    def __str__(self) -> str:
        return f"raises {self.type_name}" + ("" if self.text is None else f"({self.text!r})")


Result = Ok | Err


def result_matches(expected: Result, observed: Result) -> bool:
    """Whether an observed result is the one the model expects."""
    if isinstance(expected, Err) and isinstance(observed, Err):
        return expected.type_name == observed.type_name and (
            expected.text is None or expected.text == observed.text
        )
    return expected == observed


# --- observable actions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invoke:
    op_id: int
    op: Op

    def __str__(self) -> str:
        return f"invoke #{self.op_id} {self.op}"


@dataclass(frozen=True, slots=True)
class Return:
    op_id: int
    result: Result

    def __str__(self) -> str:
        return f"return #{self.op_id} {self.result}"


@dataclass(frozen=True, slots=True)
class Start:
    """Continuation `cont` started with `(worker, completion_type, error_message)`."""

    cont: int
    worker: str
    completion_type: CompletionType
    error_message: str | None

    def __str__(self) -> str:
        return (
            f"start c{self.cont}({self.worker}, {self.completion_type.name}, "
            f"{self.error_message!r})"
        )


@dataclass(frozen=True, slots=True)
class RunEnded:
    """The job's `run()` ended: seen from inside the task, just before it leaves."""

    outcome: RunOutcome

    def __str__(self) -> str:
        return f"run() {self.outcome}"


Observation = Invoke | Return | Start | RunEnded

# --- internal actions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Effect:
    """Operation `op_id` takes effect (its one atomic instant)."""

    op_id: int

    def __str__(self) -> str:
        return f"effect #{self.op_id}"


@dataclass(frozen=True, slots=True)
class ReadToken:
    """Under the `token-read-early` spec only: `complete` #op_id reads the token
    before it takes effect."""

    op_id: int

    def __str__(self) -> str:
        return f"#{self.op_id} reads the token"


@dataclass(frozen=True, slots=True)
class WaitReturns:
    """A `wait()` that was waiting sees the job finished and gets its result."""

    op_id: int

    def __str__(self) -> str:
        return f"wait #{self.op_id} wakes"


@dataclass(frozen=True, slots=True)
class TaskCancelled:
    """A hard cancel ends the job's task before `run()` reported anything (for
    instance before it was ever started)."""

    def __str__(self) -> str:
        return "task ends cancelled"


@dataclass(frozen=True, slots=True)
class JobReadsToken:
    """Under the `token-read-early` departure only: the job's task, run() having ended,
    reads the token before its completion takes effect."""

    def __str__(self) -> str:
        return "the job's task reads the token"


@dataclass(frozen=True, slots=True)
class JobAborted:
    """Under the `abort-leaves-running` departure only: a hard cancel ends the job's
    task before its completion is over (before it set Done, or after, before it took
    the registry)."""

    def __str__(self) -> str:
        return "the job's task is aborted before its completion is over"


@dataclass(frozen=True, slots=True)
class Drain:
    """In two-step completion (`complete-overwrites-done`; the job's own completion
    under `abort-leaves-running` too): a completion that has set Done takes the
    registry and makes what it held due, with its own outcome and worker. `op_id` is
    the `complete`'s; `None` for the job's own completion."""

    op_id: int | None

    def __str__(self) -> str:
        who = "the job's task" if self.op_id is None else f"#{self.op_id}"
        return f"{who} takes the registry"


@dataclass(frozen=True, slots=True)
class JobCompletes:
    """The job's task completes its continuations with the run's outcome (skipped
    when someone else completed them first)."""

    def __str__(self) -> str:
        return "job completes its continuations"


Internal = (Effect | ReadToken | WaitReturns | TaskCancelled | JobReadsToken | JobAborted
            | Drain | JobCompletes)
Action = Observation | Internal
