"""Rendering for people: pure functions from a run or a model to text.

`chart` draws a schedule of the controllable loop as a sequence chart; `explorer_chart`
draws the explorer's counterexample; `diagrams` draws the model's phase diagrams and
counterexamples as Mermaid and DOT. Out of the model so that the model stays the spec.
It may import the model (with `workerjob.model.protocol`) and `conformance.loop` (for the
`Step` it draws); nothing higher in `workerjob.conformance`, nothing of `workerjob.impl`.
"""
