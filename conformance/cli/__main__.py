"""`python -m workerjob.conformance.cli ARGS`: the same as the `workerjob` command."""

import sys

from workerjob.conformance.cli import main

sys.exit(main())
