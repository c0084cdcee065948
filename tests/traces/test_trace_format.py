"""Trace format v1: observations to JSON and back, the schema, and the harness's hook."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from workerjob.conformance.stateful.machine import JOB_WORKER, machine_for
from workerjob.conformance.stateful.subject import Subject
from workerjob.conformance.traces.check_trace import check_stream
from workerjob.conformance.traces.jsonl import JsonlError
from workerjob.conformance.traces.trace_format import (
    LEVELS,
    EventParser,
    Header,
    TraceFormatError,
    dump_trace,
    dumps,
    header_to_json,
    observation_from_json,
    observation_to_json,
    parse_header,
    read_trace,
    schema,
    validation_problem,
)
from workerjob.model import (
    DEPARTURES,
    NAMED_SPECS,
    AddOrRunNow,
    Cancel,
    Complete,
    CompletionType,
    Done,
    Err,
    HardCancel,
    Invoke,
    Launch,
    Observation,
    Ok,
    ReadState,
    Return,
    RunEnded,
    Running,
    RunOutcome,
    Start,
    TaskError,
    Wait,
)

from .helpers import HEADER_C, HEADER_J, trace

# --- strategies for the model's observations ----------------------------------------------

WHOLE = jsonschema.Draft202012Validator(schema())  # the published schema, as implementers use it
ids = st.integers(0, 2**53 - 1)
names = st.text(max_size=12)
task_errors = st.builds(TaskError, st.text(min_size=1, max_size=12), names)
messages = st.none() | names
ops = st.one_of(
    st.builds(AddOrRunNow, names, ids, names),
    st.builds(Complete, st.none() | task_errors, names),
    st.just(Cancel()), st.just(ReadState()), st.just(Launch()), st.just(Wait()),
    st.builds(HardCancel, messages),
)
phases = st.just(Running()) | st.builds(Done, st.sampled_from(CompletionType), messages)
results = st.one_of(
    st.builds(Ok, st.none() | phases),
    st.builds(Err, st.text(min_size=1, max_size=12), messages),
)
outcomes = st.one_of(
    st.just(RunOutcome()),
    st.builds(RunOutcome, task_errors, st.booleans()),
)
observations: st.SearchStrategy[Observation] = st.one_of(
    st.builds(Invoke, ids, ops),
    st.builds(Return, ids, results),
    st.builds(Start, ids, names, st.sampled_from(CompletionType), messages),
    st.builds(RunEnded, outcomes),
)


@given(observations)
def test_an_observation_survives_json_and_back(obs: Observation) -> None:
    line = dumps(observation_to_json(obs))
    assert line.isascii() and "\n" not in line
    obj = json.loads(line)
    assert validation_problem(obj, "event") is None
    assert WHOLE.is_valid(obj)
    assert observation_from_json(obj) == obs


@given(st.sampled_from(LEVELS), st.none() | st.sampled_from(sorted(NAMED_SPECS)), names,
       st.lists(st.sampled_from(sorted(DEPARTURES)), unique=True).map(tuple))
def test_a_header_survives_json_and_back(level: str, spec: str | None, worker: str,
                                         allow: tuple[str, ...]) -> None:
    header = Header(level, worker if level == "job" else None, spec, allow)  # type: ignore[arg-type]
    assert parse_header(json.loads(dumps(header_to_json(header)))) == header


def test_the_schema_is_a_valid_draft_2020_12_schema_and_names_every_spec() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    header = schema()["$defs"]["header"]["properties"]
    assert sorted(header["spec"]["enum"]) == sorted(NAMED_SPECS)
    assert sorted(header["allow"]["items"]["enum"]) == sorted(DEPARTURES)


def test_the_schema_examples_are_valid() -> None:
    examples = [e for d in schema()["$defs"].values() for e in d.get("examples", [])]
    assert len(examples) >= 10
    for example in examples:
        if "state" in example:  # a phase, not a line
            continue
        assert WHOLE.is_valid(example), example


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["event", "id", "op", "ok", "raises", "cont", "key",
                                        "worker", "outcome", "error", "msg"]),
                       st.none() | st.integers(-1, 3) | st.integers(2**53 - 2, 2**53 + 1)
                       | st.booleans() | st.just(1.0) | st.sampled_from(
                           ["invoke", "return", "start", "state", "add_or_run_now", "x"])
                       | st.just({}) | st.just({"type": "E"})))
def test_the_readers_schema_parts_agree_with_the_published_schema(obj: dict[str, object]) -> None:
    """The reader validates event lines against `#/$defs/event` (remembering verdicts with
    the ids left out); an implementer validates any line against the root schema. For a
    line that is not a header they agree."""
    assert WHOLE.is_valid(obj) == (validation_problem(obj, "event") is None)


def test_ids_that_do_not_tie_up_are_format_errors_with_their_line() -> None:
    cases = {
        "never invoked": [HEADER_C, '{"event":"return","id":1,"ok":null}'],
        "already returned": [HEADER_C, '{"event":"invoke","id":1,"op":"state"}',
                             '{"event":"return","id":1,"ok":{"state":"running"}}',
                             '{"event":"return","id":1,"ok":{"state":"running"}}'],
        "invoked twice": [HEADER_C, '{"event":"invoke","id":1,"op":"cancel"}',
                          '{"event":"invoke","id":1,"op":"cancel"}'],
        "carried by two adds": [
            HEADER_C, '{"event":"invoke","id":1,"op":"add_or_run_now","key":"a","cont":1,'
            '"worker":"w"}', '{"event":"invoke","id":2,"op":"add_or_run_now","key":"b",'
            '"cont":1,"worker":"w"}'],
        "no add_or_run_now": [HEADER_C, '{"event":"start","cont":3,"worker":"w",'
                              '"completion_type":"normal","error_message":null}'],
        "WorkerJob operation": [HEADER_C, '{"event":"invoke","id":1,"op":"launch"}'],
        "job-level trace": [HEADER_C, '{"event":"run_ended","outcome":"returned"}'],
    }
    for words, lines in cases.items():
        with pytest.raises(TraceFormatError) as caught:
            read_trace(io.BytesIO(trace(*lines)))
        assert caught.value.line == len(lines), words
        assert words in caught.value.message


def test_too_many_operations_in_flight_is_refused() -> None:
    parser = EventParser(Header("continuations"), max_in_flight=2)
    parser.parse({"event": "invoke", "id": 1, "op": "state"}, 2)
    parser.parse({"event": "invoke", "id": 2, "op": "state"}, 3)
    with pytest.raises(TraceFormatError, match="more than 2 operations in flight"):
        parser.parse({"event": "invoke", "id": 3, "op": "state"}, 4)


def test_a_header_of_another_version_or_kind_is_refused() -> None:
    for line, words in [
        ('{"trace":"workerjob","version":2,"level":"job"}', "version 2 is not supported"),
        ('{"event":"invoke","id":1,"op":"state"}', "line 1 must be a header"),
        ('{"trace":"workerjob","version":1,"level":"job"}', "'job_worker' is a required"),
        ('{"trace":"workerjob","version":1,"level":"continuations","job_worker":"w"}',
         "job_worker belongs in job- and progress-level traces only"),
    ]:
        with pytest.raises(JsonlError, match=words):
            read_trace(io.BytesIO(trace(line)))


def test_a_float_id_is_read_as_an_integer() -> None:
    _, events = read_trace(io.BytesIO(trace(HEADER_J, '{"event":"invoke","id":1.0,"op":"wait"}')))
    assert events[0].observation == Invoke(1, Wait())
    assert isinstance(events[0].observation.op_id, int)


# --- the harness's hook: Recorder.history written as a trace --------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_the_harness_history_written_as_a_trace_passes_check_trace(
    subject: Subject, level: str
) -> None:
    """`dump_trace(header, recorder.history)` is all the stateful harness needs to write
    v1 traces: what its oracle accepted, check-trace accepts."""
    texts: list[str] = []
    base = machine_for(subject, level)

    class Writing(base):  # type: ignore[valid-type, misc]
        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                worker = JOB_WORKER if level == "job" else None
                texts.append(dump_trace(Header(level, worker), self.rec.history))  # type: ignore[arg-type]

    run_state_machine_as_test(Writing, settings=settings(max_examples=15, database=None,
                                                          deadline=None))
    assert max(text.count("\n") for text in texts) > 10
    for text in texts:
        outcome = check_stream(io.BytesIO(text.encode()))
        assert outcome.verdict == "conforms", (outcome.message, text)
