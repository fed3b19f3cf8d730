"""The labelled eval set and its gold labels: verbatim text spans, located in the corpus documents.

Labels are spans, not chunk ids, so they survive re-chunking: a passage is relevant to a question when its
character range ``[start, end)`` in a document overlaps the range of one of the question's gold spans there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import Settings

DEFAULT_DATASET = Path(__file__).resolve().parent / "datasets" / "unicancer.jsonl"


@dataclass(frozen=True)
class EvalItem:
    """One labelled question; it should be refused iff it has no gold span."""

    id: str
    question: str
    category: str
    gold_spans: tuple[str, ...]
    must_include: tuple[str, ...]
    history: tuple[tuple[str, str], ...]

    @property
    def answerable(self) -> bool:
        return bool(self.gold_spans)


@dataclass(frozen=True)
class GoldRange:
    """Where a gold span sits in a corpus document: ``text[start:end]`` of document ``source``."""

    source: str
    start: int
    end: int


def load_dataset(path: Path = DEFAULT_DATASET) -> list[EvalItem]:
    """The JSONL eval set (one object a line: id, question, category, gold_spans, must_include, history)."""
    items = []
    with Path(path).open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                items.append(EvalItem(
                    id=str(obj["id"]), question=str(obj["question"]), category=str(obj["category"]),
                    gold_spans=tuple(obj.get("gold_spans") or ()), must_include=tuple(obj.get("must_include") or ()),
                    history=tuple((str(u), str(a)) for u, a in obj.get("history") or ()),
                ))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: not a valid eval item: {exc}") from None
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate question ids")
    return items


def corpus_texts(settings: Settings) -> dict[str, str]:
    """Text of every corpus document as ingest sees it (chunk offsets refer to these texts)."""
    from ingest.loaders import LoadError, load_document
    from ingest.pipeline import scan_corpus

    files, _ = scan_corpus(settings.resolved_corpus_dir())
    out = {}
    for source, path in files:
        try:
            out[source] = load_document(path, source, settings.max_file_bytes).text
        except LoadError:
            continue  # ingest skips it too
    return out


def locate_spans(items: Iterable[EvalItem], texts: dict[str, str]) -> dict[str, list[GoldRange]]:
    """Every occurrence of every gold span of each item, per item id. Raises if a span occurs nowhere."""
    out: dict[str, list[GoldRange]] = {}
    for item in items:
        ranges = []
        for span in item.gold_spans:
            found = []
            for source, text in texts.items():
                pos = text.find(span)
                while pos >= 0:
                    found.append(GoldRange(source, pos, pos + len(span)))
                    pos = text.find(span, pos + 1)
            if not found:
                raise ValueError(f"{item.id}: gold span not found in any corpus document: {span[:80]!r}")
            ranges.extend(found)
        out[item.id] = ranges
    return out


def overlaps(source: str, start: int, end: int, ranges: Sequence[GoldRange]) -> bool:
    """True when ``[start, end)`` of document ``source`` overlaps one of ``ranges``."""
    return any(r.source == source and start < r.end and r.start < end for r in ranges)


def qrels_for(gold: dict[str, list[GoldRange]], chunks: Iterable) -> dict[str, dict[str, int]]:
    """Relevant chunks per question: every chunk of the index (``source, start, end, id``) overlapping a gold
    span. Questions without gold spans get no entry."""
    chunks = list(chunks)
    out: dict[str, dict[str, int]] = {}
    for qid, ranges in gold.items():
        rel = {c.id: 1 for c in chunks if overlaps(c.source, c.start, c.end, ranges)}
        if rel:
            out[qid] = rel
    return out
