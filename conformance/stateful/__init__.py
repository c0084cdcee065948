"""Checking an implementation in process: the Hypothesis state machines and the campaign.

`subject` is the adapter that maps any implementation's names onto the model's (it
loads the implementation by module name, so nothing here imports `workerjob.impl`);
`recorder` turns what the implementation does into the model's observations; `machine`
holds the `RuleBasedStateMachine`s, one per level, run on a controllable loop and checked
online by the oracle; `campaign` runs them; `profiles` names the Hypothesis profiles;
`bridge` replays an explorer counterexample on the loop; `shrink_budget`, `parallel`
(worker processes sharing an example database) and `fuzz_targets` (HypoFuzz) scale a
campaign out; `watchdog` turns a hung example into a report, `interrupts` turns
Ctrl-C into one line and exit 130, `database` chooses the example database. The
enhancements add a level
each beside `machine`: `scheduler` (the JobScheduler), `timeouts` (deadlines, grace
periods and retries) and `progress` (progress reports,
readers and metrics). It may import the model, `conformance.loop` and
`conformance.render`; not `traces` or `cli`.
"""
