"""``uca ask``: answer one question from the index, with its citations."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub) -> None:
    from ingest.cli import add_common

    p = sub.add_parser("ask", help="answer a question with cited passages", description=__doc__)
    add_common(p)
    p.add_argument("question", nargs="?", help="the question (read from stdin when '-' or missing)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--k", type=int, help="number of passages to retrieve")
    p.add_argument("--llm", metavar="SPEC", help="answer with an LLM: openai:MODEL or ollama:MODEL")
    p.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: UCA_ANSWER_MODE)")
    p.add_argument("--source", help="only search this document (path relative to the corpus folder)")
    p.add_argument("--trace", action="store_true", help="also print how the answer was found, step by step")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.guard import QuestionError
    from ingest.cli import settings_from_args
    from ingest.index import IndexError_

    question = args.question
    if question is None or question == "-":
        question = sys.stdin.read()
    settings = None
    try:
        settings = settings_from_args(args)
        from assistant.core import Assistant

        bot = Assistant(settings)
        answer = bot.ask(question, k=args.k, mode=args.mode, llm=args.llm, source=args.source)
    except QuestionError as exc:
        return _fail(args, str(exc), 2)
    except IndexError_ as exc:
        return _fail(args, _damage(settings) or str(exc), 3)
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        damage = _damage(settings)
        if damage:  # a damaged index: say which store and the command that repairs it
            return _fail(args, damage, 3)
        return _fail(args, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
                     1)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.text)
    if answer.refused and answer.refusal_rule:
        print(f"\n(refused by rule: {answer.refusal_rule})")
    if answer.query != answer.question:
        print(f"\n(searched for: {answer.query})")
    for c in answer.citations:
        where = c.source + (f" > {c.section}" if c.section else "")
        mark = "" if c.supported else "  [unsupported]"
        label = f"  ({c.label}" + (f": \u201c{c.answer}\u201d)" if c.answer else ")") if c.supported else ""
        print(f"\n[{c.n}] {where}{mark}{label}\n    \u201c{c.sentence}\u201d")
    for note in answer.notes:
        print(f"\n\u26a0 {note}")
    flagged = [cl for cl in answer.claims if not cl.supported]
    for cl in flagged:
        print(f"\n\u26a0 {cl.reason}: {cl.text}")
    if args.trace:
        from assistant.pipeline import format_trace

        print("\nHow this answer was found:\n" + format_trace(answer.trace))
    return 0


def _damage(settings) -> str | None:
    """The index damage behind a failure, as one line naming the repair (None: the index looks sound)."""
    if settings is None:
        return None
    try:
        from ingest.repair import diagnose

        return diagnose(settings)
    except Exception:  # noqa: BLE001 - the diagnosis must not replace the error with a traceback
        return None


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    if args.json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    print(f"uca ask: error: {message}", file=sys.stderr)
    return code


def fit_after_ingest(args: argparse.Namespace) -> None:
    """After a successful ``uca ingest``: fit the refusal threshold to the corpus (``assistant.corpus_threshold``)
    unless a fresh fit is stored; one line on stderr (stdout stays the ingest's report). A failure here is
    said, and the model's threshold is used: the ingest itself succeeded."""
    from ingest.cli import settings_from_args

    try:
        from assistant.core import Assistant

        settings = settings_from_args(args)
        if not settings.corpus_threshold:
            return
        record = Assistant(settings).fit_corpus_threshold()
    except Exception as exc:  # noqa: BLE001 - the ingest is done; answers keep the model's threshold
        print(f"uca ingest: the refusal threshold was not fitted to the corpus ({type(exc).__name__}: {exc}); "
              "answers use the model's", file=sys.stderr)
        return
    if record is None or args.quiet:
        return
    if record.get("threshold") is None:
        print(f"refusal threshold: the model's ({record.get('reason')})", file=sys.stderr)
    else:
        print(f"refusal threshold fitted to this corpus: {record['threshold']:.3f} (model's "
              f"{record['model_threshold']:.3f}; {record['questions']} pseudo-questions, {record['seconds']:.1f} s)",
              file=sys.stderr)
