"""The stateful conformance checks: Hypothesis state machines that drive a subject on the
controllable loop and feed what they see to the model's oracles.

May import `workerjob.model` and the rest of `workerjob.conformance`; never
`workerjob.impl` (a subject is known only through `conformance.subject`).
"""
