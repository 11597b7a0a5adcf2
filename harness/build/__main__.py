"""`python -m harness.build [APP...]`: same as `esse build`."""

import sys

from harness.cli import main

sys.exit(main(["build", *sys.argv[1:]]))
