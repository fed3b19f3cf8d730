"""``python -m assistant QUESTION``: the same as ``uca ask`` (without importing the UI)."""

import argparse
import sys

from assistant import cli


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(["ask", *argv])
    return int(args.func(args) or 0)


sys.exit(main(sys.argv[1:]))
