"""The ``uca`` console script: each package registers its own subcommands (imports stay lazy)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from assistant import cli as assistant_cli
    from bench import cli as bench_cli
    from evals import cli as evals_cli
    from ingest import cli as ingest_cli
    from ui import cli as ui_cli

    parser = argparse.ArgumentParser(prog="uca", description="Unicancer documents assistant")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (ingest_cli, assistant_cli, ui_cli, evals_cli, bench_cli):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``uca``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        if code == 0 and args.command == "ingest" and not args.check:
            from assistant.cli import fit_after_ingest

            fit_after_ingest(args)  # the refusal threshold follows the corpus (assistant.corpus_threshold)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` etc.: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
