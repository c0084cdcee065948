"""Operations beyond v1 through `drive`: a driver announces `is_active` / `is_complete`
in its hello line and is then sent them, judged by the model; a v1 driver (no hello)
is sent v1 scenarios only and still passes; a malformed hello is a broken driver."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings

from workerjob.conformance.traces import capabilities
from workerjob.conformance.traces.drive import (
    DriveResult,
    DriverProcess,
    Session,
    run_drive,
    scenario_message,
    scenarios,
)
from workerjob.conformance.traces.jsonl import JsonObject
from workerjob.model import SPECS

from .helpers import EXAMPLE_DRIVER, PYTHON, REFERENCE_DRIVER, ROOT, cli

ATOMIC = SPECS["atomic"]
SCHEMA: dict[str, Any] = json.loads(
    (ROOT / "conformance" / "traces" / "driver-v1.schema.json").read_text())
DRIVER_SCHEMA = jsonschema.Draft202012Validator(SCHEMA)
MUTANT = [*REFERENCE_DRIVER, "--impl", "tests.mutants.never_complete"]
SEED = 1  # catches the mutant within the budget below (the driver runs FIFO: deterministic)


def drive_job(command: list[str], **options: Any) -> DriveResult:
    kwargs: dict[str, Any] = {"levels": ["job"], "examples": 200, "seed_value": SEED,
                              "spec": ATOMIC, "cwd": str(ROOT), "grace": 0.3}
    kwargs.update(options)
    return run_drive(command, **kwargs)


def test_a_driver_that_announces_status_reads_is_judged_on_them() -> None:
    # never_complete: is_complete() is always False. Through a driver that announces
    # it, the kit sends is_complete() after the job finished, and the model rejects it.
    result = drive_job(MUTANT, shrink=False)
    assert result.code == 1, result
    failing = result.failing
    assert failing is not None and failing.violation is not None
    assert "is_complete() must return ok True" in failing.violation
    assert result.levels[0].extra == capabilities.KNOWN


def test_without_the_hello_the_same_mutant_passes() -> None:
    # The same driver speaking plain v1 (no hello): no status read is sent, so the
    # mutant conforms. What killed it above is the judging of the status reads.
    result = drive_job([*MUTANT, "--v1"])
    assert result.code == 0, result.failing and result.failing.violation
    assert result.levels[0].extra == frozenset()


def test_the_bundled_implementation_conforms_with_status_reads() -> None:
    ran = cli("drive", "--level", "job", "--examples", "100", "--seed", "5", "--json", "--",
              *REFERENCE_DRIVER)
    summary = json.loads(ran.out)
    assert (ran.code, summary["verdict"]) == (0, "conforms"), ran
    assert summary["levels"][0]["beyond_v1"] == ["is_active", "is_complete"]
    # the empty scenario sent to read the hello, then the 100 drawn
    assert summary["scenarios"] == 101


def test_the_report_names_what_was_judged_beyond_v1() -> None:
    ran = cli("drive", "--examples", "10", "--seed", "2", "--", *REFERENCE_DRIVER)
    assert ran.code == 0, ran
    assert ran.out.rstrip().endswith("judged beyond v1: is_active, is_complete")
    plain = cli("drive", "--examples", "10", "--seed", "2", "--", *REFERENCE_DRIVER, "--v1")
    assert plain.code == 0 and "beyond v1" not in plain.out


def test_a_v1_driver_still_passes_and_is_never_sent_a_status_read(tmp_path: Any) -> None:
    # A v1 driver of the reference kind, recording every scenario it is sent.
    log = tmp_path / "sent.jsonl"
    tee = (f"import sys, runpy; log = open({str(log)!r}, 'w')\n"
           "class Tee:\n"
           "    buffer = None\n"
           "    def __iter__(self):\n"
           "        for line in sys.__stdin__.buffer:\n"
           "            log.write(line.decode()); log.flush(); yield line\n"
           "sys.stdin = type('S', (), {'buffer': Tee()})()\n"
           "sys.argv = ['driver_impl', '--v1']\n"
           "runpy.run_module('workerjob.conformance.traces.driver_impl', run_name='__main__')\n")
    result = drive_job([PYTHON, "-c", tee], examples=60)
    assert result.code == 0, result
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(sent) == 61  # the empty scenario first: its answer would carry a hello
    assert sent[0]["steps"] == []
    assert not [s for m in sent for s in m["steps"] if s["do"] in capabilities.KNOWN]


def test_the_example_v1_driver_still_passes() -> None:
    result = run_drive(EXAMPLE_DRIVER, levels=["continuations"], examples=30, seed_value=3,
                       spec=ATOMIC, cwd=str(ROOT))
    assert result.code == 0, result.broken


@settings(max_examples=100, deadline=None)
@given(steps=scenarios("job", capabilities.KNOWN))
def test_scenarios_with_status_reads_are_valid_scenarios(steps: list[JsonObject]) -> None:
    DRIVER_SCHEMA.validate(scenario_message(1, "job", steps))


def test_the_hello_line_matches_its_schema() -> None:
    hello_schema = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                    "$ref": "#/$defs/hello"}
    jsonschema.validate(capabilities.hello(capabilities.KNOWN), hello_schema)


@pytest.mark.parametrize(("line", "message"), [
    ('{"event":"hello","version":2,"supports":[]}', "the hello line's version is 2, not 1"),
    ('{"event":"hello","version":1,"supports":"is_active"}',
     "the hello line's supports is not a list of operation names"),
    ('{"event":"hello","version":1,"supports":[],"x":1}',
     "the hello line has unknown field(s) 'x'"),
])
def test_a_malformed_hello_is_a_broken_driver(line: str, message: str) -> None:
    code = (f"import sys; print({line!r}, flush=True); sys.stdin.readline(); "
            "sys.stdin.read()")
    result = drive_job([PYTHON, "-c", code], examples=5)
    assert result.code == 2 and result.broken is not None
    assert f"driver output line 1: {message}" in result.broken


def test_unknown_operations_in_a_hello_are_ignored() -> None:
    with DriverProcess([PYTHON, "-c", "import sys\n"
                        "print('{\"event\":\"hello\",\"version\":1,\"supports\":"
                        "[\"teleport\",\"is_active\"]}', flush=True)\n"
                        "for line in sys.stdin:\n"
                        "    n = line.split('\"scenario\":')[1].split(',')[0]\n"
                        "    print('{\"event\":\"end\",\"scenario\":' + n + '}', flush=True)\n"],
                       cwd=str(ROOT), grace=0.3) as process:
        session = Session(process, ATOMIC)
        extra, probe = session.extra_ops("job")
        assert extra == frozenset({"is_active"})
        assert probe is not None and probe.steps == [] and probe.violation is None
        assert session.extra_ops("job") == (extra, None)  # known: no second probe
        assert session.extra_ops("continuations") == (frozenset(), None)
        assert session.scenarios == 1


def test_an_answer_to_the_empty_scenario_is_judged_too() -> None:
    # A driver whose job reports run() ending although nobody launched it.
    code = ("import sys\n"
            "for line in sys.stdin:\n"
            "    n = line.split('\"scenario\":')[1].split(',')[0]\n"
            "    print('{\"event\":\"run_ended\",\"outcome\":\"returned\"}', flush=True)\n"
            "    print('{\"event\":\"end\",\"scenario\":' + n + '}', flush=True)\n")
    result = drive_job([PYTHON, "-c", code], examples=5)
    assert result.code == 1, result
    assert result.failing is not None and result.failing.steps == []
