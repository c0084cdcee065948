"""The stateful check: the Hypothesis state machines that drive a subject, the campaign
that runs them for a budget, and what scales it out (a shrink budget, worker processes
sharing an example database, HypoFuzz targets).

May import `workerjob.model`, the controllable loop, Hypothesis and the standard
library; never `workerjob.impl` (a subject is loaded by name).
"""
