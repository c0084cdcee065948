"""The stateful conformance levels of the enhancements: Hypothesis state machines that
drive a subject on the controllable loop and check it online against a model.

`timeouts`: deadlines, grace periods and retries (`workerjob.model.timeouts`).

May import `workerjob.model`, the rest of `workerjob.conformance` (the loop, the
choosers, the subject adapter, the shared machine's pieces) and Hypothesis; never
`workerjob.impl`.
"""
