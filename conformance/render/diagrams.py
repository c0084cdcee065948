"""Diagrams drawn from the model itself: pure strings, no I/O.

- `job_phases`: the phases of a job. Every world of a bounded environment
  (`environment.Bound(job=True)`) is explored from the initial state, each state is
  abstracted to (the job's status, the phase of its continuations), and every step
  that changes the abstraction becomes an edge labelled by the kind of action.
- `continuation_phases`: the same for one continuation (not yet added, add in
  flight, registered, replaced, due, started, beside Running/Done), over the
  `Continuations`-level model (`Bound()`), merged over every continuation.
- `counterexample_chart`: a run the atomic spec rejects, as a sequence chart: the
  shortest run in which the `guard-dropped` protocol variant loses a continuation,
  found by the explorer.
- `anomaly_chart`: the original's classification window (`ORIGINAL_ANOMALY`, a hand
  trace): how the `token-read-early` spec produces it step by step, and the oracle's
  explanation of why the atomic spec rejects it.

Each renders as Mermaid (`stateDiagram-v2`, `sequenceDiagram`) and as DOT. Nothing
is drawn by hand: change the model and the diagrams change with it
(`workerjob diagram --out proofs_notes/diagrams`; `tests/docs/test_diagrams.py`
fails while the committed ones are stale).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from workerjob.model.actions import (
    Action,
    AddOrRunNow,
    Cancel,
    Complete,
    Effect,
    HardCancel,
    Invoke,
    IsActive,
    IsComplete,
    JobCompletes,
    Launch,
    Observation,
    Ok,
    Op,
    ReadState,
    ReadToken,
    Return,
    RunEnded,
    Start,
    TaskCancelled,
    Wait,
    WaitReturns,
)
from workerjob.model.environment import Bound, transitions
from workerjob.model.oracle import Oracle, final_problems
from workerjob.model.spec import ATOMIC, TOKEN_READ_EARLY, Spec, internal_transitions, observe
from workerjob.model.state import Stage, State, initial_continuations
from workerjob.model.vocabulary import RUNNING, CompletionType, Done, TaskError

FORMATS = ("mermaid", "dot")
EXTENSIONS = {"mermaid": "mmd", "dot": "dot"}

_BOOM = TaskError("ValueError", "boom")

JOB_BOUND = Bound(keys=("a",), workers=("w1",), errors=(None, _BOOM), max_ops=3, job=True)
"""Big enough for every phase change of a job: three invocations (launch, complete
and a hard cancel), run() returning or raising. `tests/docs/test_diagrams.py` checks
that one more invocation adds no edge."""

CONTINUATION_BOUND = Bound(keys=("a",), workers=("w1",), errors=(None,), max_ops=3)
"""Big enough for every phase of a continuation: two adds under one key (the first is
replaced) and a complete. `tests/docs/test_diagrams.py` checks that one more
invocation adds no edge."""


# --- abstract graphs --------------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    """A state diagram: nodes (in the order first met), the initial ones, and edges
    `(source, target, labels)`, each label a kind of action that makes that move."""

    title: str
    nodes: tuple[str, ...]
    initial: tuple[str, ...]
    edges: tuple[tuple[str, str, tuple[str, ...]], ...]


Projection = Callable[[State], Mapping[Hashable, str]]
"""What each subject (the job; or each continuation) looks like in a state: subject
-> abstract node. A subject absent from the mapping has not appeared yet."""

Labeller = Callable[[State, Action, Hashable], str]
"""The kind of an action taken in a state, as seen by a subject."""


def abstract_graph(title: str, spec: Spec, bound: Bound, project: Projection,
                   label: Labeller) -> Graph:
    """Every world within `bound`, breadth-first; for each step, each subject whose
    abstract node changes contributes an edge (a subject that appears contributes an
    initial node). Steps that change no subject's node are left out."""
    start = bound.initial()
    seen = {start}
    todo = deque([start])
    nodes: dict[str, None] = {}
    initial: dict[str, None] = {}
    edges: dict[tuple[str, str], dict[str, None]] = {}
    for node in project(start.state).values():
        nodes.setdefault(node)
        initial.setdefault(node)
    while todo:
        world = todo.popleft()
        before = project(world.state)
        for action, nxt in transitions(spec, bound, world):
            after = project(nxt.state)
            for subject, node in after.items():
                old = before.get(subject)
                nodes.setdefault(node)
                if old is None:
                    initial.setdefault(node)
                elif old != node:
                    edges.setdefault((old, node), {})[label(world.state, action, subject)] = None
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return Graph(
        title,
        tuple(nodes),
        tuple(initial),
        tuple((a, b, tuple(sorted(kinds))) for (a, b), kinds in edges.items()),
    )


def op_name(op: Op) -> str:
    match op:
        case AddOrRunNow():
            return "add_or_run_now"
        case Complete():
            return "complete"
        case Cancel():
            return "cancel"
        case ReadState():
            return "state"
        case Launch():
            return "launch"
        case HardCancel():
            return "task_handle.cancel"
        case Wait():
            return "wait"
        case IsActive():
            return "is_active"
        case IsComplete():
            return "is_complete"


def action_kind(s: State, action: Action, subject: Hashable = None) -> str:
    """A short name for the kind of `action` taken in `s`. For a continuation
    (`subject` its number), its own add is told apart from another one."""
    match action:
        case Invoke(_, op):
            return f"invoke {op_name(op)}"
        case Return(op_id) | Effect(op_id) | ReadToken(op_id) | WaitReturns(op_id):
            p = s.pending_op(op_id)
            assert p is not None, action
            name = op_name(p.op)
            if isinstance(p.op, AddOrRunNow) and isinstance(subject, int):
                name = f"its {name}" if p.op.cont == subject else f"another {name}"
            what = {Return: "returns", Effect: "takes effect", ReadToken: "reads the token",
                    WaitReturns: "wakes"}[type(action)]
            return f"{name} {what}"
        case Start():
            return "starts"
        case RunEnded(outcome):
            if outcome.hard_cancelled:
                return "run() ends cancelled"
            return "run() returns" if outcome.error is None else "run() raises"
        case TaskCancelled():
            return "hard cancel ends the task"
        case JobCompletes():
            return "job completes its continuations"
    raise AssertionError(action)


def _phase(s: State) -> str:
    return "Done" if isinstance(s.phase, Done) else "Running"


def job_status(s: State) -> str:
    """not launched / running / run ended / completed."""
    job = s.job
    assert job is not None
    if not job.launched:
        return "not launched"
    if job.outcome is None:
        return "running"
    return "completed" if job.completed else "run ended"


def project_job(s: State) -> dict[Hashable, str]:
    return {"job": f"{job_status(s)}, {_phase(s)}"}


def continuation_status(s: State, cont: int) -> str | None:
    """The phase of continuation `cont` in `s`, or None before its add is invoked."""
    if cont in s.started:
        return "started"
    if any(d.cont == cont for d in s.due):
        return "due"
    if cont in s.replaced:
        return "replaced"
    if s.registered(cont) is not None:
        return "registered"
    for p in s.pending:
        if isinstance(p.op, AddOrRunNow) and p.op.cont == cont and p.stage is Stage.INVOKED:
            return "add in flight"
    return None


def project_continuations(s: State) -> dict[Hashable, str]:
    conts = {p.op.cont for p in s.pending if isinstance(p.op, AddOrRunNow)}
    conts |= s.started | s.replaced | {d.cont for d in s.due} | {c for _, c in s.registry}
    out: dict[Hashable, str] = {}
    for c in sorted(conts):
        status = continuation_status(s, c)
        if status is not None:
            out[c] = f"{status}, {_phase(s)}"
    return out


@lru_cache(maxsize=8)
def job_phases(bound: Bound = JOB_BOUND, spec: Spec = ATOMIC) -> Graph:
    """The phases of a job: (job status, phase), from the model's own transitions."""
    return abstract_graph("the phases of a job", spec, bound, project_job, action_kind)


@lru_cache(maxsize=8)
def continuation_phases(bound: Bound = CONTINUATION_BOUND, spec: Spec = ATOMIC) -> Graph:
    """The phases of a continuation: (its status, the phase), from the model's own
    transitions, merged over every continuation."""
    return abstract_graph("the phases of a continuation", spec, bound,
                          project_continuations, action_kind)


# --- sequence charts --------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One step: the lane (process) that took it, what it did, and what an observer
    saw of it (`None`: an internal step, unseen)."""

    lane: str
    detail: str
    observation: str | None


@dataclass(frozen=True)
class Chart:
    title: str
    lanes: tuple[str, ...]
    rows: tuple[Row, ...]
    verdict: tuple[str, ...]


OBSERVER = "observer"


@lru_cache(maxsize=1)
def counterexample_chart() -> Chart:
    """The explorer's shortest run in which `guard-dropped` (the original with the
    state guard released before the map insert) loses a continuation."""
    from workerjob.model.protocol.explorer import MINIMAL_LOSS, shortest_counterexample
    from workerjob.model.protocol.protocol import GUARD_DROPPED

    cx = shortest_counterexample(GUARD_DROPPED, MINIMAL_LOSS, ATOMIC)
    assert cx is not None, "guard-dropped was expected to lose a continuation"
    rows = tuple(
        Row(r.lane, r.detail, None if r.observation is None else str(r.observation))
        for r in cx.steps
    )
    outcome = "returns" if cx.outcome is None else f"raises {cx.outcome}"
    title = (f"{cx.variant}: {cx.kind} against the {cx.spec} spec "
             f"({len(cx.steps)} steps, run() {outcome})")
    verdict = tuple(line for reason in cx.reasons for line in reason.splitlines())
    return Chart(title, cx.lanes, rows, verdict)


def witness(spec: Spec, initial: State, trace: Sequence[Observation]) -> list[Action] | None:
    """A shortest run of `spec` (internal actions included) whose observations are
    `trace` and which may end where it ends; `None` when `spec` has none."""
    start = (initial, 0)
    parent: dict[tuple[State, int], tuple[tuple[State, int], Action] | None] = {start: None}
    todo = deque([start])
    while todo:
        s, i = node = todo.popleft()
        if i == len(trace) and final_problems(spec, s) == []:
            path: list[Action] = []
            link = parent[node]
            while link is not None:
                node, action = link
                path.append(action)
                link = parent[node]
            return path[::-1]
        steps: list[tuple[Action, tuple[State, int]]] = [
            (a, (t, i)) for a, t in internal_transitions(spec, s)]
        if i < len(trace) and isinstance(after := observe(s, trace[i]), State):
            steps.append((trace[i], (after, i + 1)))
        for action, nxt in steps:
            if nxt not in parent:
                parent[nxt] = (node, action)
                todo.append(nxt)
    return None


ORIGINAL_ANOMALY: tuple[Observation, ...] = (
    Invoke(1, Complete(None, "completer")),
    Invoke(2, Cancel()),
    Return(2, Ok()),
    Invoke(3, ReadState()),
    Return(3, Ok(RUNNING)),
    Return(1, Ok()),
    Invoke(4, ReadState()),
    Return(4, Ok(Done(CompletionType.NORMAL, None))),
)
"""The original's classification window (SPEC, departures): complete reads the token
while it is clear, then cancel() lands and returns, a state read still sees Running,
and the job ends Done(NORMAL). The same trace as `ORIGINAL_ANOMALY` in
`tests/model/test_traces.py`."""


def _lane(s: State, op_id: int) -> str:
    p = s.pending_op(op_id)
    assert p is not None
    return f"#{op_id} {op_name(p.op)}"


@lru_cache(maxsize=1)
def anomaly_chart(trace: Sequence[Observation] = ORIGINAL_ANOMALY) -> Chart:
    """How the `token-read-early` spec (the original's) produces `trace`, step by step,
    and why the atomic spec rejects it (the oracle's own explanation)."""
    initial = initial_continuations()
    path = witness(TOKEN_READ_EARLY, initial, trace)
    assert path is not None, "token-read-early was expected to produce the trace"
    rows: list[Row] = []
    lanes: dict[str, None] = {}
    s = initial
    for action in path:
        match action:
            case Invoke(op_id, op):
                lane, detail = f"#{op_id} {op_name(op)}", "invoke"
            case Return(op_id, result):
                lane, detail = _lane(s, op_id), f"returns {result}"
            case ReadToken(op_id):
                lane = _lane(s, op_id)
                detail = "reads the token: " + ("cancelled" if s.token else "clear")
            case Effect(op_id):
                lane, detail = _lane(s, op_id), "takes effect"
            case _:
                raise AssertionError(f"{action} in a Continuations-only run")
        lanes.setdefault(lane)
        observation = str(action) if isinstance(action, Invoke | Return) else None
        rows.append(Row(lane, detail, observation))
        s = _after(s, action)
    oracle = Oracle(initial, ATOMIC)
    violation = oracle.feed(trace) or oracle.finish()
    assert violation is not None, "the atomic spec was expected to reject the trace"
    title = (f"token read early: a trace of the {TOKEN_READ_EARLY.name} spec "
             f"that the {ATOMIC.name} spec rejects")
    return Chart(title, tuple(lanes), tuple(rows), tuple(violation.explain().splitlines()))


def _after(s: State, action: Action) -> State:
    if isinstance(action, Invoke | Return | Start | RunEnded):
        after = observe(s, action)
        assert isinstance(after, State)
        return after
    for a, t in internal_transitions(TOKEN_READ_EARLY, s):
        if a == action:
            return t
    raise AssertionError(action)


# --- rendering --------------------------------------------------------------------------

_HEADER = "generated by `workerjob diagram` from the model; do not edit"


def _ids(nodes: Iterable[str]) -> dict[str, str]:
    return {n: f"s{i}" for i, n in enumerate(nodes)}


def _mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid label: `;` ends a statement and `"` a quoted name,
    so both are written as Mermaid's entity codes (`#59;` is `;`); `<` too, so that
    nothing reads as an HTML tag."""
    codes = {";": "#59;", '"': "#quot;", "<": "#lt;"}
    return "".join(codes.get(ch, ch) for ch in text)


def _front_matter(title: str) -> list[str]:
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    return ["---", f'title: "{quoted}"', "---"]


def mermaid_state(g: Graph) -> str:
    ids = _ids(g.nodes)
    lines = [*_front_matter(g.title), "stateDiagram-v2", f"    %% {_HEADER}", "    direction LR"]
    lines += [f'    state "{_mermaid_text(n)}" as {ids[n]}' for n in g.nodes]
    lines += [f"    [*] --> {ids[n]}" for n in g.initial]
    for a, b, kinds in g.edges:
        label = " / ".join(_mermaid_text(k) for k in kinds)
        lines.append(f"    {ids[a]} --> {ids[b]}: {label}")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_state(g: Graph) -> str:
    ids = _ids(g.nodes)
    lines = [f"// {_HEADER}", "digraph phases {",
             f"    label={_dot_string(g.title)}; labelloc=t; rankdir=LR;",
             '    node [shape=box, style=rounded, fontname="Helvetica"];',
             '    edge [fontname="Helvetica", fontsize=10];',
             "    start [shape=point, width=0.15];"]
    lines += [f"    {ids[n]} [label={_dot_string(n)}];" for n in g.nodes]
    lines += [f"    start -> {ids[n]};" for n in g.initial]
    for a, b, kinds in g.edges:
        lines.append(f"    {ids[a]} -> {ids[b]} [label={_dot_string(chr(10).join(kinds))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mermaid_sequence(c: Chart) -> str:
    """One participant per lane and one for the observer; an internal step is a note
    over its lane, an observable one an arrow to the observer."""
    ids = {lane: f"p{i}" for i, lane in enumerate(c.lanes)}
    lines = [*_front_matter(c.title), "sequenceDiagram", f"    %% {_HEADER}"]
    lines += [f"    participant {ids[lane]} as {_mermaid_text(lane)}" for lane in c.lanes]
    lines.append(f"    participant {OBSERVER}")
    for r in c.rows:
        if r.observation is None:
            lines.append(f"    Note over {ids[r.lane]}: {_mermaid_text(r.detail)}")
        else:
            lines.append(f"    {ids[r.lane]}->>{OBSERVER}: {_mermaid_text(r.observation)}")
    if c.verdict:
        first = ids[c.lanes[0]] if c.lanes else OBSERVER
        text = "<br/>".join(_mermaid_text(v.strip()) for v in c.verdict)
        lines.append(f"    Note over {first},{OBSERVER}: {text}")
    return "\n".join(lines) + "\n"


def dot_sequence(c: Chart) -> str:
    """A lifeline per lane (and the observer), one rank per step: the lane that acts
    holds a box with what it did; an observation is an arrow to the observer."""
    lanes = (*c.lanes, OBSERVER)
    ids = {lane: f"l{i}" for i, lane in enumerate(lanes)}
    lines = [f"// {_HEADER}", "digraph sequence {",
             f"    label={_dot_string(c.title)}; labelloc=t; rankdir=TB; newrank=true;",
             '    node [fontname="Helvetica", fontsize=10];',
             '    edge [fontname="Helvetica", fontsize=9];']
    lines += [f"    {ids[lane]}_0 [label={_dot_string(lane)}, shape=box, style=bold];"
              for lane in lanes]
    lines.append("    { rank=same; " + " ".join(f"{ids[lane]}_0;" for lane in lanes) + " }")
    for i, r in enumerate(c.rows, 1):
        for lane in lanes:
            node = f"{ids[lane]}_{i}"
            if lane == r.lane:
                lines.append(f"    {node} [label={_dot_string(f'{i}. {r.detail}')}, shape=box];")
            elif lane == OBSERVER and r.observation is not None:
                lines.append(f"    {node} [label={_dot_string(r.observation)}, shape=plaintext];")
            else:
                lines.append(f'    {node} [label="", shape=point, width=0.01];')
        lines.append("    { rank=same; " + " ".join(f"{ids[lane]}_{i};" for lane in lanes) + " }")
        if r.observation is not None:
            lines.append(f"    {ids[r.lane]}_{i} -> {ids[OBSERVER]}_{i} [constraint=false];")
    for lane in lanes:
        chain = " -> ".join(f"{ids[lane]}_{i}" for i in range(len(c.rows) + 1))
        lines.append(f"    {chain} [arrowhead=none, style=dashed, weight=10];")
    if c.verdict:
        lines.append(f"    verdict [label={_dot_string(chr(10).join(c.verdict))}, "
                     "shape=note, labeljust=l];")
        lines.append(f"    {ids[OBSERVER]}_{len(c.rows)} -> verdict [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the set of diagrams ------------------------------------------------------------------

NAMES = ("job_phases", "continuation_phases", "counterexample", "token_read_early")


def render(name: str, fmt: str) -> str:
    """Diagram `name` (one of `NAMES`) in format `fmt` (one of `FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    match name:
        case "job_phases":
            g = job_phases()
        case "continuation_phases":
            g = continuation_phases()
        case "counterexample" | "token_read_early":
            c = counterexample_chart() if name == "counterexample" else anomaly_chart()
            return mermaid_sequence(c) if fmt == "mermaid" else dot_sequence(c)
        case _:
            raise ValueError(f"unknown diagram {name!r}: one of {', '.join(NAMES)}")
    return mermaid_state(g) if fmt == "mermaid" else dot_state(g)


def files(formats: Iterable[str] = FORMATS) -> dict[str, str]:
    """File name -> contents, for every diagram in every format asked for."""
    out: dict[str, str] = {}
    for fmt in formats:
        for name in NAMES:
            out[f"{name}.{EXTENSIONS[fmt]}"] = render(name, fmt)
    return out


def index(diagrams: Mapping[str, str]) -> str:
    """A Markdown page that shows the Mermaid diagrams inline (forges render them)."""
    lines = ["# Diagrams", "", f"<!-- {_HEADER} -->", "",
             "Drawn from the model by `workerjob diagram --out proofs_notes/diagrams`; "
             "`tests/docs/test_diagrams.py` fails when they are stale. Each is here as "
             "Mermaid (`.mmd`, shown below) and as DOT (`.dot`, for "
             "`dot -Tsvg job_phases.dot > job_phases.svg`).", ""]
    for name in NAMES:
        mmd = diagrams.get(f"{name}.mmd")
        if mmd is None:
            continue
        lines += [f"## {name}", "", "```mermaid", mmd.rstrip("\n"), "```", ""]
    return "\n".join(lines)
