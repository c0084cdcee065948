"""`workerjob drive --level timeouts`: the bundled implementation conforms through the
reference driver; timeouts mutants are caught through it, each by its own violation;
the kit's checks of a driver's answer; scenarios keep their promises."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from tests.mutants.timeouts.test_timeouts_mutants import VIOLATIONS
from workerjob.conformance.traces import timeouts_drive
from workerjob.conformance.traces.check_trace import check_file
from workerjob.conformance.traces.timeouts_drive import (
    Scenario,
    TimeoutsDriverError,
    exchange,
    normalize,
    scenarios,
)

from .helpers import REFERENCE_DRIVER, cli

# Each caught on seeds 1-8 within 50 scenarios (the budget is the default, 200); the
# last two by the instants the reference driver gives its events (`t`).
CAUGHT = ["retry_after_cancel", "settle_per_attempt", "timeout_failed", "backoff_off_by_one",
          "grace_from_launch"]


def drive_timeouts(*args: str) -> Any:
    return cli("drive", "--level", "timeouts", *args)


@pytest.mark.parametrize("schedule", ["fifo", "random"])
def test_the_bundled_implementation_conforms(schedule: str) -> None:
    ran = drive_timeouts("--seed", "3", "--json", "--", *REFERENCE_DRIVER,
                         "--schedule", schedule)
    summary = json.loads(ran.out)
    assert (ran.code, summary["verdict"], summary["scenarios"]) == (0, "conforms", 200), ran


@pytest.mark.parametrize("mutant", CAUGHT)
def test_a_timeouts_mutant_is_caught_by_its_own_violation(mutant: str) -> None:
    ran = drive_timeouts("--seed", "2", "--json", "--", *REFERENCE_DRIVER,
                         "--impl", f"tests.mutants.timeouts.{mutant}")
    summary = json.loads(ran.out)
    assert (ran.code, summary["verdict"]) == (1, "violation"), ran
    report = summary["failing"]["report"]
    head = report.split(":\n", 1)[1]  # after "line N: observation M: `...` is impossible"
    assert re.search(VIOLATIONS[mutant], head, re.MULTILINE), report


def test_a_violation_is_reported_shrunk_and_saved_for_check_trace(tmp_path: Path) -> None:
    saved = tmp_path / "failing.jsonl"
    ran = drive_timeouts("--seed", "1", "--save-trace", str(saved), "--", *REFERENCE_DRIVER,
                         "--impl", "tests.mutants.timeouts.settle_per_attempt")
    assert ran.code == 1, ran
    assert "does not conform (timeouts level)" in ran.out and "shrunk" in ran.out
    outcome = check_file(str(saved))
    assert outcome.verdict == "violation"
    assert f">>{outcome.line:4d}" in ran.out  # check-trace finds the line drive marked


def test_a_subject_without_the_options_is_a_driver_error() -> None:
    ran = drive_timeouts("--examples", "5", "--", *REFERENCE_DRIVER, "--impl",
                         "tests.mutants.base")
    assert ran.code == 2
    assert "has no timeout=, grace=, retry= options" in ran.err


def test_the_reference_driver_needs_virtual_time() -> None:
    ran = drive_timeouts("--examples", "5", "--", *REFERENCE_DRIVER, "--loop", "asyncio")
    assert ran.code == 2 and "needs virtual time" in ran.err


# --- the kit's checks of an answer, with a scripted driver ----------------------------------


class Scripted:
    """A driver process that answers every scenario with the same lines."""

    def __init__(self, *lines: str) -> None:
        self.lines = [*lines, '{"event":"end","scenario":1}']
        self.sent: list[dict[str, Any]] = []
        self.read_count = 0

    def send(self, obj: dict[str, Any]) -> None:
        self.sent.append(obj)

    def read(self) -> tuple[int, bytes, bool]:
        self.read_count += 1
        return self.read_count, self.lines[self.read_count - 1].encode(), True


SCENARIO = Scenario({"timeout": None, "grace": None, "retry": None},
                    [{"runs": 0.5, "ends": "returns", "cooperative": False}],
                    normalize([{"do": "launch"}, {"do": "wait"}]))
RETURNS = ['{"event":"launch"}', '{"event":"wait","id":1}',
           '{"event":"attempt_started","n":1}',
           '{"event":"attempt_ended","outcome":"returned","retryable":false}',
           '{"event":"start","cont":1,"completion_type":"normal","error_message":null}',
           '{"event":"start","cont":2,"completion_type":"normal","error_message":null}',
           '{"event":"wait_returned","id":1,"ok":null}']
READ = '{"event":"read","attempts":1,"timed_out":false,"state":' \
       '{"state":"done","completion_type":"normal","error_message":null}}'


def test_a_well_formed_answer_conforms() -> None:
    process = Scripted(*RETURNS, READ)
    run = exchange(process, 1, SCENARIO)
    assert run.violation is None
    assert process.sent[0]["steps"] == [{"do": "launch"}, {"do": "wait", "id": 1},
                                        {"do": "settle"}, {"do": "read"}]


def test_an_answer_the_model_rejects_is_a_violation() -> None:
    wrong = READ.replace('"timed_out":false', '"timed_out":true')
    run = exchange(Scripted(*RETURNS, wrong), 1, SCENARIO)
    assert run.violation is not None and run.violation_line == 9


@pytest.mark.parametrize(("lines", "message"), [
    ([*RETURNS], "the driver never reported read"),
    ([*RETURNS, READ, '{"event":"cancel"}'], "more `cancel` events than the scenario's 0"),
    ([RETURNS[0], '{"event":"wait","id":2}'], "wait 2, which the scenario did not ask for"),
    ([*RETURNS, READ, '{"event":"teleport"}'], "trace line 10: bad teleport event"),
])
def test_an_answer_the_scenario_did_not_ask_for_is_a_broken_driver(lines: list[str],
                                                                    message: str) -> None:
    with pytest.raises(TimeoutsDriverError, match=re.escape(message)):
        exchange(Scripted(*lines), 1, SCENARIO)


# --- instants -------------------------------------------------------------------------------

RETRIED = Scenario({"timeout": None, "grace": None,
                    "retry": {"max_attempts": 2, "initial": 0.25, "factor": 2.0,
                              "max_delay": 10.0}},
                   [{"runs": 0.5, "ends": "flaky", "cooperative": False},
                    {"runs": 0.5, "ends": "returns", "cooperative": False}],
                   normalize([{"do": "launch"}]))


def retried(second_attempt_at: float, *, instants: bool = True) -> list[str]:
    """The answer to RETRIED: attempt 1 ends at 0.5, attempt 2 starts at the instant
    given (the policy's backoff: 0.25 s, so 0.75)."""
    events: list[dict[str, Any]] = [
        {"event": "launch", "t": 0.0}, {"event": "attempt_started", "n": 1, "t": 0.0},
        {"event": "attempt_ended", "outcome": "raised",
         "error": {"type": "FlakyError", "message": "flaky"}, "retryable": True, "t": 0.5},
        {"event": "attempt_started", "n": 2, "t": second_attempt_at},
        {"event": "attempt_ended", "outcome": "returned", "retryable": False,
         "t": second_attempt_at + 0.5},
        {"event": "start", "cont": 1, "completion_type": "normal", "error_message": None,
         "t": second_attempt_at + 0.5},
        {"event": "start", "cont": 2, "completion_type": "normal", "error_message": None,
         "t": second_attempt_at + 0.5},
        {"event": "read", "attempts": 2, "timed_out": False, "t": second_attempt_at + 0.5,
         "state": {"state": "done", "completion_type": "normal", "error_message": None}}]
    if not instants:
        events = [{k: v for k, v in e.items() if k != "t"} for e in events]
    return [json.dumps(e) for e in events]


def test_instants_that_keep_the_policy_conform() -> None:
    assert exchange(Scripted(*retried(0.75)), 1, RETRIED).violation is None


def test_a_backoff_off_by_one_attempt_is_caught_by_its_instants() -> None:
    run = exchange(Scripted(*retried(1.0)), 1, RETRIED)  # delay(2) = 0.5: one attempt off
    assert run.violation is not None and run.violation_line == 5
    assert re.search(VIOLATIONS["backoff_off_by_one"], run.violation), run.violation
    # The same answer without instants: the model alone cannot tell.
    assert exchange(Scripted(*retried(1.0, instants=False)), 1, RETRIED).violation is None


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios())
def test_scenarios_keep_the_promises_the_protocol_makes(scenario: Scenario) -> None:
    steps = scenario.steps
    assert normalize(steps) == steps
    kinds = [s["do"] for s in steps]
    assert kinds.count("launch") == 1 and kinds.count("wait") <= 1
    assert kinds.count("hard_cancel") <= 1
    launched_at = kinds.index("launch")
    assert all(i > launched_at for i, k in enumerate(kinds) if k in ("wait", "hard_cancel"))
    assert kinds[-2:] == ["settle", "read"]
    assert all(a != "settle" or b != "settle" for a, b in itertools.pairwise(kinds))
    options = scenario.options
    assert options["grace"] is None or options["timeout"] is not None
    json.dumps(scenario.message(1))  # plain JSON


def test_run_for_lets_exactly_so_much_time_pass() -> None:
    from workerjob.conformance.loop.loop import ControlledLoop

    loop = ControlledLoop()
    seen: list[float] = []
    loop.call_later(1.0, lambda: seen.append(loop.time()))
    loop.call_later(1.0, lambda: loop.call_soon(lambda: seen.append(-loop.time())))
    loop.call_later(1.5, lambda: seen.append(loop.time()))
    timeouts_drive.run_for(loop, 1.0)
    assert seen == [1.0, -1.0] and loop.time() == 1.0  # what is ready at 1.0 ran, not 1.5
    timeouts_drive.run_for(loop, 0.25)
    assert seen == [1.0, -1.0] and loop.time() == 1.25
    loop.run_until_idle()
    assert seen == [1.0, -1.0, 1.5]
    loop.close()
