"""Traces: what an implementation did, as JSON Lines, and the checks that read them.

It may import `workerjob.model` (the oracles), `workerjob.conformance.jsonl`, jsonschema
and the standard library; never `workerjob.impl`.
"""
