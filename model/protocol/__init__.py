"""The protocol model of the original Rust code, and its explorer.

`protocol` states the original's steps one by one (two fair read-write locks,
`add_or_run_now` and `complete`'s two critical sections, cancel, state reads) with named
variants that break it; `protocol_state` is its state and step relation. The explorer
(`explorer`, `explorer_spec`, `explorer_symmetry`, `explorer_inclusion`) searches every
interleaving within a bound and checks deadlock freedom, that no continuation is lost and
refinement against a spec of `workerjob.model`. Pure like the rest of the model: it may
import `workerjob.model` and the standard library, never asyncio, threads, clocks or
randomness, and nothing of `workerjob.impl` or `workerjob.conformance`; the atomic spec
never imports it.
"""
