"""PubMedQA (the ``ori_pqal.json`` layout) as a document QA set (``uca eval --pubmedqa PATH``).

One Markdown document per abstract: a title line naming the PubMed id (never the question), each context under
a ``##`` heading named by its label, then ``## Conclusions`` with the long answer. Relevance is document-level:
a passage is relevant when it comes from the question's own abstract.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evals.opendomain import QADataset, QAItem, file_hash

CONCLUSIONS = "Conclusions"
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


def abstract_markdown(pmid: str, obj: dict) -> str:
    """The document of one abstract."""
    contexts, labels = list(obj["CONTEXTS"]), list(obj.get("LABELS") or [])
    if len(labels) != len(contexts):
        labels = (labels + ["Section"] * len(contexts))[: len(contexts)]
    year = f" ({obj['YEAR']})" if obj.get("YEAR") else ""
    parts = [f"# PubMed {pmid}{year}"]
    for label, text in zip(labels, contexts, strict=True):
        parts.append(f"## {str(label).strip() or 'Section'}\n\n{str(text).strip()}")
    if str(obj.get("LONG_ANSWER") or "").strip():
        parts.append(f"## {CONCLUSIONS}\n\n{str(obj['LONG_ANSWER']).strip()}")
    return "\n\n".join(parts) + "\n"


def load_pubmedqa(path: Path) -> QADataset:
    """Read a PubMedQA JSON file (``{pmid: {QUESTION, CONTEXTS, LABELS, LONG_ANSWER, ...}}``)."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"PubMedQA file not found: {path}")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a PubMedQA JSON file ({exc})") from None
    if not isinstance(obj, dict) or not obj:
        raise ValueError(f"{path}: not a PubMedQA file (expected a non-empty object keyed by PubMed id)")
    documents: dict[str, str] = {}
    items: list[QAItem] = []
    for pmid, rec in obj.items():
        try:
            question = str(rec["QUESTION"]).strip()
            if not isinstance(rec["CONTEXTS"], list) or not rec["CONTEXTS"]:
                raise TypeError("CONTEXTS")
            source = f"pubmed-{_SAFE_ID.sub('_', str(pmid))}.md"
            if source in documents:
                raise ValueError(f"{path}: two PubMed ids map to one file name {source}")
            documents[source] = abstract_markdown(str(pmid), rec)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: entry {pmid!r} is not in PubMedQA format (missing or bad {exc})") from None
        long_answer = str(rec.get("LONG_ANSWER") or "").strip()
        items.append(QAItem(id=str(pmid), question=question, article=source,
                            answers=(long_answer,) if long_answer else ()))
    return QADataset(name=re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "pubmedqa", path=path,
                     documents=documents, items=items, span_relevance=False, short_answers=False,
                     file_hash=file_hash(path))
