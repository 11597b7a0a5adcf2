"""`python -m harness.build [APP...]`: same as `esse build`."""

import argparse
import sys

from harness.build.cli import add_cli

parser = argparse.ArgumentParser(prog="esse")
add_cli(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(["build", *sys.argv[1:]])
sys.exit(int(args.func(args) or 0))
