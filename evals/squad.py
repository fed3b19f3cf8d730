"""SQuAD-format files (SQuAD 1.1 / 2.0, FQuAD, PIAF) as an open-domain QA set (``uca eval --squad PATH``).

One Markdown document per article: ``# <title>`` and then its paragraphs, separated by blank lines, so the
gold answer's ``answer_start`` in a paragraph becomes a character range in the document. SQuAD 2.0's
``is_impossible`` questions are unanswerable even though their article is indexed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from evals.opendomain import QADataset, QAItem, file_hash

PARAGRAPH_SEPARATOR = "\n\n"
_SLUG_MAX = 60  # characters of the title kept in a document's file name


def slug(title: str) -> str:
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:_SLUG_MAX] or "article"


def _span(context: str, text: str, start) -> tuple[int, int] | None:
    """Where the answer sits in its paragraph: at ``answer_start`` when the text is there, else at the nearest
    occurrence of the text (some SQuAD-format files have shifted offsets), else None."""
    if not text:
        return None
    if isinstance(start, int) and context[start : start + len(text)] == text:
        return start, start + len(text)
    found = [m.start() for m in re.finditer(re.escape(text), context)]
    if not found:
        return None
    near = min(found, key=lambda p: abs(p - start) if isinstance(start, int) else p)
    return near, near + len(text)


def load_squad(path: Path) -> QADataset:
    """Read a SQuAD-format JSON file; a clear ``ValueError`` when it is not one."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"SQuAD file not found: {path}")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a SQuAD-format JSON file ({exc})") from None
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: not a SQuAD-format file (expected a non-empty top-level 'data' list)")
    documents: dict[str, str] = {}
    items: list[QAItem] = []
    seen: set[str] = set()
    for a_i, article in enumerate(data):
        try:
            title = str(article.get("title") or f"Article {a_i + 1}").replace("_", " ").strip()
            paragraphs = article["paragraphs"]
            source = f"{a_i + 1:04d}-{slug(title)}.md"
            text = f"# {title}{PARAGRAPH_SEPARATOR}"
            for p in paragraphs:
                context = str(p["context"])
                offset = len(text)
                text += context + PARAGRAPH_SEPARATOR
                for qa in p.get("qas", ()):
                    qid = str(qa.get("id") or f"{source}-{len(items)}")
                    while qid in seen:
                        qid += "+"
                    seen.add(qid)
                    impossible = bool(qa.get("is_impossible", False))
                    answers = [] if impossible else [a for a in qa.get("answers", ()) if str(a.get("text", ""))]
                    spans = []
                    for a in answers:
                        sp = _span(context, str(a["text"]), a.get("answer_start"))
                        if sp:
                            spans.append((offset + sp[0], offset + sp[1]))
                    if answers and not spans:  # the answer text is not in its paragraph: the paragraph is gold
                        spans.append((offset, offset + len(context)))
                    items.append(QAItem(
                        id=qid, question=str(qa["question"]).strip(), article=source,
                        answers=tuple(dict.fromkeys(str(a["text"]).strip() for a in answers)),
                        spans=tuple(dict.fromkeys(spans)), impossible=impossible or not answers))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: article {a_i + 1} is not in SQuAD format (missing or bad {exc})") from None
        documents[source] = text.rstrip("\n") + "\n"
    if not items:
        raise ValueError(f"{path}: no questions")
    return QADataset(name=slug(path.stem), path=path, documents=documents, items=items, span_relevance=True,
                     short_answers=True, file_hash=file_hash(path))
