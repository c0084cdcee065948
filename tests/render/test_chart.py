"""The sequence chart shows which lane ran each step, and departures from FIFO."""

from __future__ import annotations

import asyncio

from workerjob.conformance.loop.choosers import ReplayChooser
from workerjob.conformance.loop.loop import Step
from workerjob.conformance.render.chart import lane_summary, sequence_chart

from .conftest import MakeLoop

STEPS = [
    Step(0, 1, "main", 0.0, "main", 1),
    Step(1, 3, "t1", 0.0, "t1", 3),
    Step(0, 2, "t0", 0.0, "t0", 2),
    Step(0, 1, "_set_result_unless_cancelled", 1.5, None, None),
    Step(0, 1, "main", 1.5, "main", 1),
]


def test_sequence_chart_golden() -> None:
    assert sequence_chart(STEPS) == "\n".join(
        [
            "step  time  choice  main  t1  t0  (callbacks)",
            "   0     0          *",
            "   1     0  1/3           *",
            "   2     0                    *",
            "   3   1.5                        _set_result_unless_cancelled",
            "   4   1.5          *",
        ]
    )


def test_sequence_chart_limit() -> None:
    chart = sequence_chart(STEPS, limit=2)
    assert chart.splitlines()[-1] == "... 3 more steps"
    assert len(chart.splitlines()) == 4


def test_lane_summary_golden() -> None:
    assert lane_summary(STEPS) == "\n".join(
        [
            "main         0 4",
            "t1           1",
            "t0           2",
            "(callbacks)  3",
        ]
    )


def test_tasks_sharing_a_name_get_their_own_lanes() -> None:
    steps = [Step(0, 2, "worker", 0.0, "worker", 1), Step(0, 1, "worker", 0.0, "worker", 2)]
    assert sequence_chart(steps).splitlines()[0] == "step  time  choice  worker#1  worker#2"
    assert lane_summary(steps) == "worker#1  0\nworker#2  1"


def test_empty_schedule() -> None:
    assert sequence_chart([]) == "step  time  choice"
    assert lane_summary([]) == ""


def test_chart_of_a_real_run(new_loop: MakeLoop) -> None:
    async def worker() -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(
            asyncio.create_task(worker(), name="a"), asyncio.create_task(worker(), name="b")
        )

    loop = new_loop(ReplayChooser([0, 0, 1]))
    loop.run_until_complete(loop.create_task(main(), name="main"))
    lines = sequence_chart(loop.schedule).splitlines()
    assert lines[0].split() == ["step", "time", "choice", "main", "a", "b", "(callbacks)"]
    assert "1/2" in lines[3]  # the third step departed from FIFO
    assert len(lines) == 1 + len(loop.schedule)


def test_default_task_names_give_way_to_the_loops_own_numbers() -> None:
    # Regression: "Task-13" in one run was "Task-5" in its replay, so two reports of
    # one failure differed (tests/cli/test_verify_cli.py replays by seed).
    steps = [Step(0, 1, "Task-13", 0.0, "Task-13", 4), Step(0, 1, "job", 0.0, "job", 1)]
    assert sequence_chart(steps).splitlines()[0] == "step  time  choice  task 4  job"
