"""Checks any implementation of SPEC.md against the model.

One sub-package per concept, in layers; a package may import the model and the packages
before it in this list, never one after it:

- `loop`: the controllable event loop and its choosers
- `render`: charts and diagrams, pure text from a schedule or the model
- `stateful`: the subject adapter, the Hypothesis state machines and the campaign
- `traces`: trace format v1, check-trace, the driver protocol, drivers, test vectors
- `cli`: the `workerjob` command line

Implementations are known only through `stateful.subject`, by module name: nothing here
imports `workerjob.impl`. `tests/test_architecture.py` enforces these rules.
"""
