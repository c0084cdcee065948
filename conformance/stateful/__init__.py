"""The stateful checks: Hypothesis state machines that drive a subject on the
controllable loop and feed what they observe to the model's oracles.

It may import `workerjob.model` (the oracles), the controllable loop and choosers, and
the subject adapter; never `workerjob.impl` (the subject is whatever module is named).
"""
