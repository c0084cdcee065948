"""Traces: what an implementation that cannot be imported from Python hands the kit.

`timeouts`: the events of the `timeouts` level (attempts, the deadline, cancels, reads,
wait), as JSON Lines under the v1 header with `"level": "timeouts"`, and their schema
`trace-timeouts-v1.schema.json`. (The continuations and job levels' format lives in
`conformance/trace_format.py` until the layout moves it here.)

May import `workerjob.model` and the rest of `workerjob.conformance`; never
`workerjob.impl`.
"""
