"""Checking an implementation out of process, through traces.

`trace_format` and `jsonl` read and write trace format v1 (`trace-v1.schema.json`,
`DRIVER.md`); `check_trace` checks a recorded trace against the model (`workerjob
check-trace`); `drive` speaks the driver protocol (`driver-v1.schema.json`) to a driver
process (`workerjob drive`); `driver_impl` is the reference driver for a Python subject;
`vectors` generates the fixed cases of `test_vectors/`. The scheduler's traces have their
own modules (`scheduler_trace`, `scheduler_drive`, `scheduler_vectors`), and so do the
timeouts level's (`timeouts`, `trace-timeouts-v1.schema.json`); `level_drive` is the
campaign and report those levels' `drive` modules share. It may import
the model and `conformance.loop`, `render` and `stateful` (the subject adapter, the
campaign's worker names); not `cli` (but in a `__main__` entry).
"""
