"""The kit's state machines as HypoFuzz fuzz targets, as they are.

HypoFuzz (`pip install 'workerjob[fuzz]'`) runs Hypothesis tests as coverage-guided
fuzz targets, for hours, across worker processes, with a dashboard; it collects them
through pytest. This module is such a collection: one `unittest` test case per level
(`TestContinuations`, `TestJob`, `TestScheduler`, `TestTimeouts`, `TestProgress`), each
the same `RuleBasedStateMachine` that `workerjob verify` runs, for the subject named by
$WORKERJOB_IMPL (default: the bundled implementation). A level the subject cannot be
driven at (an enhancement's names it does not export) has no target, as `verify` skips
it::

    WORKERJOB_IMPL=mypackage.myjobs hypothesis fuzz -n 4 -- \\
        --pyargs workerjob.conformance.stateful.fuzz_targets

The example database is the profile's ($HYPOTHESIS_PROFILE, default `dev`; `ci`
derandomizes, and HypoFuzz skips such tests): a failure HypoFuzz finds is replayed by
`workerjob verify` from the same directory, and the other way round. Not a test module
of the project: pytest collects it only when named on its command line.
"""

from __future__ import annotations

from workerjob.conformance.stateful.machine import levels_for, machine_for
from workerjob.conformance.stateful.profiles import load_profile
from workerjob.conformance.stateful.subject import load_subject

load_profile()
SUBJECT = load_subject()


def target_name(level: str) -> str:
    return f"Test{level.title()}"


# pytest (and so HypoFuzz) collects the module's `Test*` attributes: one per level.
for _level in levels_for(SUBJECT):
    globals()[target_name(_level)] = machine_for(SUBJECT, _level).TestCase
