"""``uca ingest``: build or update the index from the corpus folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def shown(name: str) -> str:
    """A file name as the report shows it: printable characters as they are, control and invisible characters
    (newline, ANSI escape, bidi override...) escaped as ``repr`` would, so a name cannot forge report lines."""
    import unicodedata

    out = []
    for ch in name:
        if ch == "\\" or unicodedata.category(ch)[0] in "CZ" and ch != " ":
            out.append(repr(ch)[1:-1] if ch != "\\" else "\\\\")
            if out[-1] == ch:  # repr keeps some printable-looking format characters: force an escape
                out[-1] = f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"
        else:
            out.append(ch)
    return "".join(out)


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every subcommand shares (override the UCA_* settings)."""
    parser.add_argument("--corpus", type=Path, help="corpus folder (UCA_CORPUS_DIR)")
    parser.add_argument("--index", type=Path, help="index folder (UCA_INDEX_DIR)")


def settings_from_args(args: argparse.Namespace):
    """The settings object, with command-line overrides applied."""
    from ingest.settings import Settings

    overrides = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = args.corpus
    if getattr(args, "index", None):
        overrides["index_dir"] = args.index
    return Settings(**overrides)


def register(sub) -> None:
    p = sub.add_parser("ingest", help="index the corpus folder (incremental)", description=__doc__)
    add_common(p)
    p.add_argument("--full", action="store_true", help="rebuild the index from scratch")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--check", action="store_true", help="check index integrity and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--rebuild-if-needed", action="store_true",
                   help="rebuild from scratch (like --full) when the index was built with other settings")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ingest.index import IndexError_
    from ingest.pipeline import IngestLocked, check_index, run_ingest

    settings = settings_from_args(args)
    if args.check:
        report = check_index(settings)
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            print(report.summary)  # one line: state, problems, the command that repairs them
        return 0 if report.clean else 1

    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet or total == 0:
            return
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            units = {"embedding": "chunk", "reading": "file"}
            # the embedding bar stays when done: how many chunks this ingest embedded
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=units.get(stage, "step"), file=sys.stderr,
                                     leave=stage == "embedding")
        bar.update(done - bar.n)

    from ingest.index import IndexMismatch

    try:
        try:
            report = run_ingest(settings, full=args.full, progress=progress)
        except IndexMismatch as exc:
            if not args.rebuild_if_needed:
                raise
            print(f"uca ingest: {exc}; rebuilding", file=sys.stderr)
            report = run_ingest(settings, full=True, progress=progress)
    except (IngestLocked, IndexError_, OSError, ValueError) as exc:
        print(f"uca ingest: error: {shown(str(exc))}", file=sys.stderr)
        return 2
    finally:
        for bar in bars.values():
            bar.close()
    if args.json:
        keys = ("documents", "chunks", "added", "removed", "unchanged_documents", "embedded", "skipped", "seconds")
        out = {k: report.as_dict()[k] for k in keys}
        out["skipped"] = [{"source": s["source"], "reason": s["reason"]} for s in report.skipped]  # English only
        out.update(changed_documents=report.changed_documents, deleted_documents=report.deleted_documents,
                   neutralised=report.neutralised, repairs=report.repairs, embedding_model=report.embedding_model)
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{report.documents} documents, {report.chunks} chunks: {report.added} added, {report.removed} "
              f"removed, {report.embedded} embedded, {report.unchanged_documents} unchanged documents "
              f"({report.seconds:.2f} s; embedding model {report.embedding_model})")
        for r in report.repairs:
            print(f"  repaired: {shown(r)}")
        for s in report.skipped:
            print(f"  skipped {shown(s['source'])}: {shown(s['reason'])}")
        for n in report.neutralised:
            print(f"  neutralised {shown(n['source'])}: {shown(n['reason'])}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["ingest", *sys.argv[1:]])
    return run(args)
