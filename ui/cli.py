"""``uca chat``: serve the chat app (Gradio is imported only when the command runs)."""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    """Add the ``chat`` subcommand to the ``uca`` parser."""
    from ingest.cli import add_common

    p = sub.add_parser("chat", help="serve the chat UI (default http://127.0.0.1:7860)", description=__doc__)
    add_common(p)
    p.add_argument("--host", help="address to listen on (UCA_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (UCA_PORT, default 7860)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the app once and serve it until interrupted."""
    from ingest.cli import settings_from_args
    from ingest.index import IndexMismatch, IndexMissing
    from ingest.repair import diagnose

    settings = settings_from_args(args)
    damage = diagnose(settings)  # one line naming the repair, instead of a UI whose every answer fails
    if damage:
        print(f"uca chat: error: {damage}", file=sys.stderr)
        return 2
    from ui.app import main

    try:
        main(settings, host=args.host, port=args.port)
    except (IndexMissing, IndexMismatch) as exc:
        print(f"uca chat: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main() -> int:
    """``python -m ui``: the same as ``uca chat``."""
    parser = argparse.ArgumentParser(prog="python -m ui")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["chat", *sys.argv[1:]])
    return run(args)
