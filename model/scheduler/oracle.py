"""The online check of a scheduler against the model, one observation at a time.

What the kit observes of an implementation: a submission (its invocation and its
return), each `launch()` the scheduler makes, each `run()` that ends, a `cancel()` and
what the job's state is right after it, `aclose()` beginning and returning, a `wait()`
returning. Everything the scheduler decides is observable (a start is a `launch()`),
except one thing: when it takes a job's end into account. A scheduler hears of an end
through the job (a continuation, a done-callback), some steps of the loop after `run()`
ended. So the oracle keeps a set of views, one per set of ends the scheduler may have
taken into account so far, and a *notice* is its one internal step. The scheduler acts
on what it knows at once: a notice, a submission, a close each dispatch before anything
else is observed, so a view in which a queued job fits accepts nothing but that job's
launch (or the notice of another end, never).

Violations are named by the invariant they break (`proofs_notes/scheduler.md`), so that
each broken scheduler is caught by its own violation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workerjob.model.progress.metrics import GAUGES, Metrics, metrics_problems
from workerjob.model.scheduler.metrics import gauges, metrics_of, run_kind
from workerjob.model.scheduler.spec import (
    OK,
    cancel,
    check_submit,
    close,
    first_that_fits,
    fits,
    skip_cancelled,
    start,
)
from workerjob.model.scheduler.state import Amounts, Entry, Sched, amounts, initial
from workerjob.model.vocabulary import CompletionType

# --- observations -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submitted:
    """`submit(job, priority=, needs=)` was called (its launches, if any, follow)."""

    job: int
    priority: int
    needs: Amounts = ()

    def __str__(self) -> str:
        needs = ", ".join(f"{r}={n}" for r, n in self.needs)
        return f"submit(job {self.job}, priority={self.priority}, needs={{{needs}}})"


@dataclass(frozen=True, slots=True)
class SubmitReturned:
    job: int
    result: str  # "ok", or the class name of what submit() raised

    def __str__(self) -> str:
        return f"submit(job {self.job}) -> {self.result}"


@dataclass(frozen=True, slots=True)
class Launched:
    """The scheduler called the job's `launch()`."""

    job: int

    def __str__(self) -> str:
        return f"launch(job {self.job})"


@dataclass(frozen=True, slots=True)
class RunEnded:
    """The job's `run()` ended; `result` is what its `wait()` must then give."""

    job: int
    result: str = OK

    def __str__(self) -> str:
        return f"run(job {self.job}) ended ({self.result})"


@dataclass(frozen=True, slots=True)
class Cancelled:
    """`job.cancel()` returned; `done` tells whether the job read `Done(CANCELLED, None)`
    right after, with no step of the loop in between."""

    job: int
    done: bool

    def __str__(self) -> str:
        return f"cancel(job {self.job}) -> then {'Done(CANCELLED)' if self.done else 'not done'}"


@dataclass(frozen=True, slots=True)
class Closed:
    """`aclose()` began."""

    def __str__(self) -> str:
        return "aclose() begins"


@dataclass(frozen=True, slots=True)
class CloseReturned:
    def __str__(self) -> str:
        return "aclose() returned"


@dataclass(frozen=True, slots=True)
class WaitReturned:
    job: int
    result: str  # "ok", or the class name of what wait() raised

    def __str__(self) -> str:
        return f"wait(job {self.job}) -> {self.result}"


SchedObservation = (
    Submitted | SubmitReturned | Launched | RunEnded | Cancelled | Closed | CloseReturned
    | WaitReturned
)


# --- views ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """The model's scheduler, the ended runs it has not yet taken into account, and the
    submission in progress (its job and the result the model expects)."""

    core: Sched
    ended: frozenset[int] = frozenset()
    submitting: tuple[int, str] | None = None


class Rejected(Exception):
    """A view cannot explain an observation: `name` is the invariant it breaks."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


def _settled(v: View) -> bool:
    return v.submitting is None and first_that_fits(v.core) is None


def _notices(v: View) -> list[View]:
    """The scheduler takes one ended run into account (only between its own operations)."""
    if not _settled(v):
        return []
    out = []
    for job in sorted(v.ended):
        core = replace(
            v.core,
            running=tuple(e for e in v.core.running if e.job != job),
            completed=v.core.completed | {job},
        )
        out.append(replace(v, core=skip_cancelled(core), ended=v.ended - {job}))
    return out


def _stranded(v: View) -> Rejected:
    s = v.core
    e = first_that_fits(s)
    assert e is not None
    blocked = [q for q in s.queue if q.key < e.key and not fits(s, q)]
    if blocked:
        return Rejected(
            "no-head-of-line-blocking",
            f"{e} fits and was not started, while {blocked[0]} ahead of it does not fit: "
            "a job that does not fit must not hold back one that does")
    return Rejected(
        "stranded",
        f"{e} fits (running: {_running(s)}) and was not started: the room of a job that "
        "ended was never given back, or the scheduler missed a wake-up")


def _running(s: Sched) -> str:
    return ", ".join(str(e.job) for e in s.running) or "none"


def _launch(v: View, job: int) -> View:
    s = v.core
    # The most specific reason first: a job queued when aclose() began was cancelled
    # by it, and starting it is the closed scheduler's fault.
    if s.closing:
        raise Rejected("closed-starts-nothing", f"job {job} started after aclose() began")
    if job in s.cancelled:
        raise Rejected("cancelled-never-runs", f"job {job} was cancelled while queued, "
                       "and started all the same")
    if job in s.started:
        raise Rejected("runs-once", f"job {job} was already started")
    e = next((q for q in s.queue if q.job == job), None)
    if e is None:
        raise Rejected("unknown-job", f"job {job} is not queued (never accepted)")
    if len(s.running) >= s.config.max_concurrent:
        raise Rejected("max-concurrent", f"{e} started while {len(s.running)} jobs "
                       f"({_running(s)}) run, and max_concurrent is "
                       f"{s.config.max_concurrent}")
    if not fits(s, e):
        over = [r for r, n in e.needs if s.used(r) + n > s.config.of(r)]
        raise Rejected("capacity", f"{e} started while running jobs ({_running(s)}) hold "
                       + ", ".join(f"{s.used(r)} of {s.config.of(r)} {r}" for r in over))
    first = first_that_fits(s)
    if first is not None and first.job != job:  # first is not None: e itself fits
        if first.priority == e.priority:
            raise Rejected("fifo-among-equals", f"{e} started before {first}, submitted "
                           "earlier with the same priority, which fits")
        raise Rejected("priority-order", f"{e} started before {first}, of higher priority, "
                       "which fits")
    return replace(v, core=skip_cancelled(start(s, e)))


def _step(v: View, obs: SchedObservation) -> View:
    if isinstance(obs, Launched):
        return _launch(v, obs.job)
    if isinstance(obs, SubmitReturned):
        if v.submitting is None or v.submitting[0] != obs.job:
            raise Rejected("submit", f"{obs} without its invocation")
        if first_that_fits(v.core) is not None:
            raise _stranded(v)
        if obs.result != v.submitting[1]:
            raise Rejected("submit-result", f"submit(job {obs.job}) gave {obs.result}; "
                           f"the contract requires {v.submitting[1]}")
        return replace(v, submitting=None)
    if v.submitting is not None:
        raise Rejected("submit", f"{obs} while submit(job {v.submitting[0]}) had not returned")
    if not _settled(v):
        raise _stranded(v)
    if isinstance(obs, Submitted):
        verdict = check_submit(v.core, obs.job, obs.needs)
        core = v.core
        if verdict == OK:
            entry = Entry(obs.job, obs.priority, core.next_seq, obs.needs)
            core = skip_cancelled(replace(
                core, queue=tuple(sorted((*core.queue, entry), key=lambda e: e.key)),
                next_seq=core.next_seq + 1))
        return replace(v, core=core, submitting=(obs.job, verdict))
    if isinstance(obs, RunEnded):
        if obs.job not in {e.job for e in v.core.running} or obs.job in v.ended:
            raise Rejected("runs-once", f"run() of job {obs.job} ended, and it was not running")
        return replace(v, ended=v.ended | {obs.job})
    if isinstance(obs, Cancelled):
        core, removed = cancel(v.core, obs.job)
        if removed and not obs.done:
            raise Rejected("cancelled-cleanly", f"job {obs.job} was queued: cancel() must "
                           "complete it Done(CANCELLED, None) at once")
        return replace(v, core=core)
    if isinstance(obs, Closed):
        return replace(v, core=close(v.core)[0])
    if isinstance(obs, CloseReturned):
        if not v.core.closing:
            raise Rejected("close", "aclose() returned without having begun")
        if v.core.running:
            raise Rejected("close-waits", "aclose() returned while jobs still run: "
                           + _running(v.core))
        return v
    if isinstance(obs, WaitReturned):
        return v  # checked by the oracle against what it knows of the job (below)
    raise AssertionError(f"unknown observation {obs!r}")


def _all_heard(v: View) -> Sched:
    """The scheduler as if it had heard of every ended run (reachable or not): the most
    room it could ever think it has. The same from every view."""
    core = v.core
    for job in v.ended:
        core = replace(core, running=tuple(e for e in core.running if e.job != job),
                       completed=core.completed | {job})
    return core


_SAME_IN_EVERY_VIEW = ("closed-starts-nothing", "cancelled-never-runs", "runs-once",
                       "unknown-job")


def _diagnose_launch(views: list[View], job: int, rejections: list[Rejected]) -> Rejected:
    """Why no view allows `job` to start now, named by the invariant broken:
    - what does not depend on the view (closed, cancelled, started before, unknown);
    - in some view it fits but another job comes first: the order (priority, FIFO);
    - it does not fit even with every ended run taken into account: the running count
      or a capacity;
    - else it fits once every end is heard of, but the scheduler, on hearing of an end,
      should have started another job first and did not: a job left stranded, by
      head-of-line blocking or otherwise."""
    if rejections[0].name in _SAME_IN_EVERY_VIEW:
        return rejections[0]
    for r in rejections:
        if r.name in ("fifo-among-equals", "priority-order"):
            return r
    try:
        _launch(View(_all_heard(views[0])), job)
    except Rejected as r:
        if r.name in ("max-concurrent", "capacity"):
            return r
    for v in views:
        if v.submitting is None and first_that_fits(v.core) is not None:
            return _stranded(v)
    return rejections[0]


# --- the oracle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SchedViolation:
    name: str  # the invariant broken (proofs_notes/scheduler.md)
    index: int | None  # the observation's position, None at the end of the run
    observation: SchedObservation | None
    reason: str

    def explain(self) -> str:
        where = ("at the end of the run" if self.index is None
                 else f"after observation {self.index}" if self.observation is None
                 else f"observation {self.index}: `{self.observation}`")
        return f"{where} breaks scheduler invariant `{self.name}`:\n  - {self.reason}"

    def __str__(self) -> str:
        return self.explain()


class SchedOracle:
    """Feed it observations in order; `violation` is the first one the model cannot
    explain (None so far); `finish()` checks the end of a run."""

    def __init__(self, max_concurrent: int, capacity: dict[str, int]) -> None:
        self.views: set[View] = {View(initial(max_concurrent, amounts(capacity)))}
        self.history: list[SchedObservation] = []
        self.violation: SchedViolation | None = None
        self._wait_results: dict[int, str] = {}  # what each ended job's wait() must give
        self._cancels: set[int] = set()  # the jobs whose cancel() returned so far
        self._kinds: dict[int, CompletionType] = {}  # each ended run's completion type
        self.metrics_violation: SchedViolation | None = None  # the first, kept apart

    def _closure(self) -> list[View]:
        seen = set(self.views)
        todo = list(self.views)
        while todo:
            for w in _notices(todo.pop()):
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        return sorted(seen, key=lambda w: len(w.ended))  # the best informed first

    def observe(self, obs: SchedObservation) -> SchedViolation | None:
        if self.violation is not None:
            return self.violation
        index = len(self.history)
        self.history.append(obs)
        views = self._closure()
        nxt: set[View] = set()
        rejections: list[Rejected] = []
        for v in views:
            try:
                nxt.add(_step(v, obs))
            except Rejected as r:
                rejections.append(r)
        if not nxt:
            pick = (_diagnose_launch(views, obs.job, rejections) if isinstance(obs, Launched)
                    else rejections[-1])  # the least-informed view: what it must have done
            self.violation = SchedViolation(pick.name, index, obs, pick.reason)
            return self.violation
        if isinstance(obs, WaitReturned):
            self.views = nxt
            return self._check_wait(index, obs)
        if isinstance(obs, RunEnded):
            self._wait_results[obs.job] = obs.result
            self._kinds[obs.job] = run_kind(obs.job in self._cancels,
                                            None if obs.result == OK else obs.result)
        if isinstance(obs, Cancelled):
            self._cancels.add(obs.job)
        self.views = nxt
        return None

    def _check_wait(self, index: int, obs: WaitReturned) -> SchedViolation | None:
        core = next(iter(self.views)).core  # every view agrees on what was cancelled
        if obs.job in core.cancelled or (obs.job in core.tokens and obs.job not in core.started):
            # Cancelled while queued; or its token was, and it had not started: the
            # scheduler may complete it early ("at the latest when it would start").
            expected = "CancelledError"
        elif obs.job in self._wait_results:
            expected = self._wait_results[obs.job]
        else:
            self.violation = SchedViolation(
                "wait-returns-at-end", index, obs,
                f"wait() of job {obs.job} returned before the job ended")
            return self.violation
        if obs.result != expected:
            self.violation = SchedViolation(
                "wait-returns-at-end", index, obs,
                f"wait() of job {obs.job} gave {obs.result}; it must give {expected}")
        return self.violation

    def check_metrics(self, observed: Metrics, *, at_end: bool = False) -> SchedViolation | None:
        """A snapshot of the scheduler's own metrics, read between two steps of the loop
        (no operation of the scheduler half done, so it is in a settled view) or, `at_end`,
        once every run ended and the loop is idle (after `finish()` held). Its gauges
        must be those of one of the views (`gauges-exact`); at the end, every instrument
        (`counters-exact`). The first such violation is kept in `metrics_violation`, not
        in `violation`: a scheduler that keeps a job it should have dropped shows it in
        its gauge before it starts the job, and the harness names the cause first."""
        if self.violation is not None or self.metrics_violation is not None:
            return self.metrics_violation
        views = [v for v in self._closure() if _settled(v)
                 and (not at_end or (not v.ended and not v.core.running))]
        if not views:
            return None  # the scheduling itself is wrong: `finish()` says how
        expected = [metrics_of(v.core, v.ended, self._kinds) for v in views]
        index = len(self.history) - 1 if self.history else None
        if gauges(observed) not in {gauges(e) for e in expected}:
            problems = [p for p in metrics_problems(expected[0], observed)
                        if p.split()[0] in GAUGES]
            self.metrics_violation = SchedViolation(
                "gauges-exact", None if at_end else index, None,
                "; ".join(problems) + " (the scheduler's snapshot)")
        elif at_end and observed not in expected:
            self.metrics_violation = SchedViolation(
                "counters-exact", None, None,
                "; ".join(metrics_problems(expected[0], observed))
                + " (the scheduler's snapshot, every run ended)")
        return self.metrics_violation

    def finish(self) -> SchedViolation | None:
        """The end of a run, every run() ended: once the scheduler has taken every end
        into account, nothing is left that fits and nothing is left running."""
        if self.violation is not None:
            return self.violation
        views = self._closure()
        if any(not v.ended and _settled(v) and not v.core.running for v in views):
            return None
        best = views[0]
        stuck = sorted({e.job for e in best.core.running} - best.ended)
        if stuck:
            self.violation = SchedViolation(
                "completed-once", None, None,
                f"jobs {stuck} were started and their run() never ended")
            return self.violation
        # Take every remaining end into account, ignoring what would have to start.
        core = best.core
        for job in best.ended:
            core = replace(core, running=tuple(e for e in core.running if e.job != job),
                           completed=core.completed | {job})
        final = View(core)
        r = (_stranded(final) if first_that_fits(core) is not None
             else Rejected("settled", "the run did not settle"))
        self.violation = SchedViolation(r.name, None, None, r.reason)
        return self.violation
