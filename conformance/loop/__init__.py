"""The controllable event loop and its choosers.

`loop.ControlledLoop` is a real asyncio event loop whose next ready callback is picked
by a chooser, with virtual time; `choosers` holds the choosers (FIFO, seeded random, PCT,
replay, Hypothesis-drawn). The bottom of the conformance layer: it knows asyncio and
Hypothesis, not the model, not an implementation, and imports nothing else of
`workerjob.conformance`.
"""
