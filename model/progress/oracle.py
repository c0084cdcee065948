"""The progress level's oracle: the atomic spec's oracle for a job, plus progress reports,
readers and metric snapshots as observations of their own.

The job's observations (`Invoke`, `Return`, `Start`, `RunEnded`) go to the atomic
spec's `Oracle`, which keeps the set of states consistent with them. The observations
below are judged against `channel` and `metrics` at one of those states, and rule out
the states that disagree (a report accepted: the job was not Done yet at that instant;
a snapshot: exactly the states whose `metrics_of` it reads):

- `Reported(report, outcome)`: a call of `report_progress` and how it ended
  ("accepted", or the class name of what it raised), checked by `report()`;
- `ReaderStarted(reader)`: `updates()` called, a reader numbered `reader`;
- `ReaderGot(reader, report)`: a reader of `updates()` was given `report` (`deliver`);
- `ReaderEnded(reader)`: that reader's iteration ended (`end_of_updates`);
- `LatestRead(report)`: `progress.latest` read (the last report accepted, or None);
- `MetricsRead(metrics)`: a snapshot, relative to the start of the run;
- `RunCalled()`, `ContinuationRaised(cont)`: the two counts `metrics_of` takes from
  the harness (calls of `run()`, continuations that raised).

At the end (`finish`), the job's oracle's own end-of-run check; a last snapshot against
the states where nothing more happens (a trace ends when the run is quiet); then
`reader-ends`: where every state the run may end in is Done, every reader has ended.

A reader's item is known by its value. It is the version it is equal to: the latest
if it equals the latest, else the last accepted report with that value (so an item
that is an older report's value is seen for what it is, an out-of-order delivery).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workerjob.model.actions import Observation as JobObservation
from workerjob.model.oracle import Oracle, Violation, close
from workerjob.model.progress.channel import (
    Accepted,
    Channel,
    Reader,
    Report,
    deliver,
    end_of_updates,
    reader_must_end,
    report,
)
from workerjob.model.progress.metrics import Metrics, metrics_of, metrics_problems
from workerjob.model.spec import ATOMIC, Spec, internal_transitions
from workerjob.model.state import State


@dataclass(frozen=True, slots=True)
class Reported:
    report: Report
    outcome: str  # "accepted", or the class name of the exception the call raised

    def __str__(self) -> str:
        return f"report_progress({self.report}) -> {self.outcome}"


@dataclass(frozen=True, slots=True)
class ReaderStarted:
    reader: int

    def __str__(self) -> str:
        return f"reader {self.reader} starts"


@dataclass(frozen=True, slots=True)
class ReaderGot:
    reader: int
    report: Report

    def __str__(self) -> str:
        return f"reader {self.reader} <- {self.report}"


@dataclass(frozen=True, slots=True)
class ReaderEnded:
    reader: int

    def __str__(self) -> str:
        return f"reader {self.reader} ends"


@dataclass(frozen=True, slots=True)
class LatestRead:
    report: Report | None

    def __str__(self) -> str:
        return f"latest -> {self.report}"


@dataclass(frozen=True, slots=True)
class MetricsRead:
    metrics: Metrics

    def __str__(self) -> str:
        return f"snapshot: {self.metrics}"


@dataclass(frozen=True, slots=True)
class RunCalled:
    def __str__(self) -> str:
        return "run() called"


@dataclass(frozen=True, slots=True)
class ContinuationRaised:
    cont: int

    def __str__(self) -> str:
        return f"continuation #{self.cont} raised"


ProgressObservation = (Reported | ReaderStarted | ReaderGot | ReaderEnded | LatestRead | MetricsRead
                       | RunCalled | ContinuationRaised)


@dataclass(frozen=True)
class ProgressViolation:
    """A progress or metrics observation no consistent state allows (`observation`
    None: the end of the run)."""

    index: int | None
    observation: ProgressObservation | None
    reason: str

    def explain(self) -> str:
        if self.observation is None:
            return f"at the end of the run:\n  - {self.reason}"
        return f"observation {self.index}: `{self.observation}` is impossible:\n  - {self.reason}"

    def __str__(self) -> str:
        return self.explain()


AnyViolation = Violation | ProgressViolation


@dataclass
class ProgressOracle:
    """Feed it the job's observations and the progress level's, in the order they
    happened; after a violation it stays in that violation."""

    initial: State
    spec: Spec = ATOMIC
    channel: Channel = field(default_factory=Channel)
    versions: dict[Report, int] = field(default_factory=dict)  # value -> its last version
    readers: dict[int, Reader] = field(default_factory=dict)
    attempts: int = 0
    raised: int = 0
    count: int = 0
    violation: AnyViolation | None = None
    last_metrics: Metrics | None = None  # the last observation, if it was a snapshot

    def __post_init__(self) -> None:
        self.job = Oracle(self.initial, self.spec)

    def possible(self) -> frozenset[State]:
        return close(self.spec, self.job.states)

    def _narrow(self, keep: list[State]) -> None:
        self.job.states = frozenset(keep)

    def observe(self, obs: JobObservation | ProgressObservation) -> AnyViolation | None:
        if self.violation is not None:
            return self.violation
        index, self.count = self.count, self.count + 1
        self.last_metrics = obs.metrics if isinstance(obs, MetricsRead) else None
        if not isinstance(obs, ProgressObservation):
            self.violation = self.job.observe(obs)
            return self.violation
        why = self._judge(obs)
        if why is not None:
            self.violation = ProgressViolation(index, obs, why)
        return self.violation

    def _judge(self, obs: ProgressObservation) -> str | None:
        match obs:
            case Reported(r, got):
                outcomes = {s: report(self.channel, s.phase, r) for s in self.possible()}
                agree = [s for s, o in outcomes.items() if _outcome(o) == got]
                if not agree:
                    whys = sorted({"accepted" if isinstance(o, Accepted) else o.why
                                   for o in outcomes.values()})
                    return f"{got}, but the model says {'; or '.join(whys)}"
                self._narrow(agree)
                accepted = outcomes[agree[0]]
                if isinstance(accepted, Accepted):
                    self.channel = accepted.channel
                    self.versions[r] = accepted.channel.version
            case ReaderStarted(i):
                self.readers[i] = Reader()
            case ReaderGot(i, r):
                version = (self.channel.version if r == self.channel.latest
                           else self.versions.get(r))
                if version is None:
                    return f"reader {i} was given {r}, which no accepted report made"
                nxt = deliver(self.channel, self.readers.get(i, Reader()), version)
                if isinstance(nxt, str):
                    return f"reader {i}: {nxt}"
                self.readers[i] = nxt
            case ReaderEnded(i):
                reader = self.readers.get(i, Reader())
                verdicts = {s: end_of_updates(self.channel, s.phase, reader)
                            for s in self.possible()}
                agree = [s for s, v in verdicts.items() if isinstance(v, Reader)]
                if not agree:
                    return f"reader {i}: " + "; or ".join(sorted({str(v) for v in
                                                                   verdicts.values()}))
                self._narrow(agree)
                self.readers[i] = Reader(reader.seen, ended=True)
            case LatestRead(r):
                if r != self.channel.latest:
                    return f"latest-only: the last report accepted is {self.channel.latest}"
            case MetricsRead(m):
                return self._metrics(m, self.possible(), "at this observation")
            case RunCalled():
                self.attempts += 1
            case ContinuationRaised():
                self.raised += 1
        return None

    def _metrics(self, observed: Metrics, states: frozenset[State] | list[State],
                 when: str) -> str | None:
        expected = {s: metrics_of(s, attempts=self.attempts, raised=self.raised)
                    for s in states}
        agree = [s for s, m in expected.items() if m == observed]
        if agree:
            self._narrow(agree)
            return None
        closest = min(expected.values(), key=lambda m: len(metrics_problems(m, observed)),
                      default=Metrics())
        return (f"gauges-exact ({when}): the snapshot reads {observed}; "
                + "; ".join(metrics_problems(closest, observed)))

    def finish(self) -> AnyViolation | None:
        """The end of the run: the job's end-of-run check; a snapshot that is the run's
        last observation must be `metrics_of` a state where nothing more happens (the
        run was quiet); and every reader of a job Done in every possible end has ended
        (`reader-ends`)."""
        if self.violation is not None:
            return self.violation
        self.violation = self.job.finish()
        if self.violation is not None:
            return self.violation
        ends = [s for s in self.possible()
                if not any(True for _ in internal_transitions(self.spec, s))]
        if self.last_metrics is not None:
            # The run ends with a snapshot: taken once it was quiet, so at an end state.
            why = self._metrics(self.last_metrics, ends, "at the end of the run")
            if why is not None:
                self.violation = ProgressViolation(None, None, why)
                return self.violation
            ends = list(self.job.states)
        if ends and all(reader_must_end(s.phase, Reader()) for s in ends):
            for i, reader in sorted(self.readers.items()):
                why = reader_must_end(ends[0].phase, reader)
                if why is not None:
                    self.violation = ProgressViolation(None, None, f"reader {i}: {why}")
                    break
        return self.violation


def _outcome(o: Accepted | object) -> str:
    return "accepted" if isinstance(o, Accepted) else getattr(o, "error", "?")
