"""The stateful conformance check: the subject adapter, the Hypothesis state machines,
the recorder, the campaign, its profiles and the machinery around a campaign (the
per-example watchdog, the example database).

May import `workerjob.model`, the controllable loop and Hypothesis; never
`workerjob.impl` (a subject is any module that exports SPEC's names).
"""
