"""`python -m harness.bridge` = `esse bridge`."""

import sys

from harness.bridge.cli import main

sys.exit(main())
