"""`python -m ir_vpc_guard` runs the CLI."""

import sys

from ir_vpc_guard.cli import main

sys.exit(main())
