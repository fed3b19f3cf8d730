"""Open-domain QA evals on public sets (``uca eval --squad`` / ``--pubmedqa``): the shared part.

A dataset (:class:`QADataset`, from :mod:`evals.squad` or :mod:`evals.pubmedqa`) is a set of documents (one
per article or abstract) and questions with their gold article. A seeded fraction of the articles is left out
of the index; their questions (and SQuAD 2.0's impossible ones) are the unanswerable set. The index is built
with :func:`ingest.pipeline.run_ingest` in its own cache folder (never the chat index),
``<cache>/<dataset>-<documents hash>/<settings hash>/``, so a rerun with the same documents and index settings
reuses it (ingest is incremental) and a rebuild takes its vectors from the embedding cache
(:mod:`evals.embed_cache`).

Every question goes through ``Assistant.ask``; the same index is also searched with plain BM25
(``Retriever.lexical``) and dense-only (``Retriever.dense``) on the raw question, for the baselines.
Relevance: with gold spans (SQuAD), a passage of the gold article overlapping a gold answer span; without
(PubMedQA), any passage of the gold document.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evals.metrics import evaluate
from evals.qa_text import best_f1, contains_gold, detect_languages, majority
from ingest.settings import Settings

DEFAULT_HOLDOUT_FRAC = 0.2  # share of the articles left out of the index (the README's protocol: 38 of 191)
DEFAULT_SEED = 13
DEPTH = 10  # ranking depth evaluated (MRR@10)
RETRIEVAL = ("hit@1", "hit@5", "mrr@10")
SYSTEMS = ("ours", "bm25", "dense")
_MARKER = re.compile(r"\s*\[\d+\]")  # citation markers, removed before the answer text is scored

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class QAItem:
    """One question, its gold article (a document's source) and gold answers; ``spans`` are the gold answer's
    character ranges in that document (empty: relevance is document-level)."""

    id: str
    question: str
    article: str
    answers: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    impossible: bool = False  # SQuAD 2.0: the article does not answer it


@dataclass
class QADataset:
    """Documents ``{source: text}`` (written as files for ingest) and the questions about them."""

    name: str
    path: Path
    documents: dict[str, str]
    items: list[QAItem]
    span_relevance: bool  # True: gold spans decide relevance (SQuAD); False: the gold document (PubMedQA)
    short_answers: bool  # True: gold answers are short spans, so "the answer contains the gold" is meaningful
    file_hash: str = ""


@dataclass
class Selection:
    """What one run indexes and asks."""

    indexed: list[str]
    held_out: list[str]
    items: list[QAItem]
    seed: int
    holdout_frac: float
    sample: int | None = None
    indexed_set: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.indexed_set = set(self.indexed)

    def answerable(self, item: QAItem) -> bool:
        return item.article in self.indexed_set and not item.impossible


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def select(ds: QADataset, holdout_frac: float = DEFAULT_HOLDOUT_FRAC, seed: int = DEFAULT_SEED,
           sample: int | None = None) -> Selection:
    """Leave a seeded ``holdout_frac`` of the articles out; with ``sample``, ask ``sample`` seeded questions
    (answerable and unanswerable in the dataset's proportion) and index only the articles they come from."""
    if not 0 <= holdout_frac < 1:
        raise ValueError(f"--holdout-frac must be in [0, 1), got {holdout_frac}")
    if sample is not None and sample < 1:
        raise ValueError(f"--sample must be at least 1, got {sample}")
    articles = sorted(ds.documents)
    rng = random.Random(seed)
    order = articles[:]
    rng.shuffle(order)
    n_out = min(len(order) - 1, max(1 if holdout_frac > 0 else 0, round(holdout_frac * len(order))))
    held = set(order[:n_out])
    indexed = [a for a in articles if a not in held]
    answerable = [it for it in ds.items if it.article not in held and not it.impossible]
    unanswerable = [it for it in ds.items if it.article in held or it.impossible]
    if sample is None:
        items = list(ds.items)
    else:
        total = len(answerable) + len(unanswerable)
        n_ans = min(len(answerable), round(sample * len(answerable) / total)) if total else 0
        n_un = min(len(unanswerable), sample - n_ans)
        picked = {it.id for it in rng.sample(answerable, n_ans)} | {it.id for it in rng.sample(unanswerable, n_un)}
        items = [it for it in ds.items if it.id in picked]
        keep = {it.article for it in items if it.article not in held}
        indexed = [a for a in indexed if a in keep]
    if not indexed:
        raise ValueError("nothing to index: the holdout leaves no article")
    return Selection(indexed, sorted(held), items, seed, holdout_frac, sample)


# -- the cached index
def documents_hash(ds: QADataset, sources: list[str]) -> str:
    h = hashlib.sha256(ds.name.encode())
    for s in sorted(sources):
        h.update(b"\0" + s.encode() + b"\0" + hashlib.sha256(ds.documents[s].encode()).digest())
    return h.hexdigest()


def settings_hash(settings: Settings) -> str:
    """Hash of what the index must agree on with the settings (``ingest.index.index_config``)."""
    from ingest.index import index_config

    return hashlib.sha256(json.dumps(index_config(settings), sort_keys=True).encode()).hexdigest()


def write_corpus(folder: Path, documents: dict[str, str]) -> None:
    """The documents as files; unchanged files are not rewritten (a no-op re-ingest), others removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for source, text in documents.items():
        path = folder / source
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        tmp = path.with_name(f".{path.name}.tmp")  # hidden: the ingest scan skips it
        tmp.write_bytes(data)
        tmp.replace(path)
    for path in folder.iterdir():
        if path.is_file() and path.name not in documents:
            path.unlink()


def cache_root(settings: Settings) -> Path:
    """Where the evals cache their indexes and embeddings (``UCA_CACHE_DIR``/evals)."""
    return settings.cache_dir.expanduser().resolve() / "evals"


def build_index(settings: Settings, ds: QADataset, selection: Selection, cache: Path, embedder=None,
                progress: Callable[[str, int, int], None] | None = None) -> tuple[Settings, dict]:
    """Bring the eval's own index in step with the selected documents (``run_ingest``); its settings and
    what the ingest did."""
    from evals.embed_cache import CachedEmbedder
    from ingest.index import IndexMismatch
    from ingest.pipeline import run_ingest

    docs = {s: ds.documents[s] for s in selection.indexed}
    root = Path(cache) / f"{ds.name}-{documents_hash(ds, selection.indexed)[:16]}"
    write_corpus(root / "corpus", docs)
    index_settings = settings.model_copy(update={
        "corpus_dir": root / "corpus", "index_dir": root / settings_hash(settings)[:16], "chroma_url": None})
    cached = CachedEmbedder.for_settings(embedder, settings, cache)
    t0 = time.perf_counter()
    try:
        try:
            report = run_ingest(index_settings, embedder=cached, progress=progress)
        except IndexMismatch:  # an index of an older ingest version: rebuild it (vectors come from the cache)
            report = run_ingest(index_settings, full=True, embedder=cached, progress=progress)
    finally:
        cached.close()
    info = {k: v for k, v in report.as_dict().items() if k in ("documents", "chunks", "added", "removed",
                                                                  "embedded", "skipped")}
    info.update({"cache_hits": cached.hits, "cache_misses": cached.misses,
                 "seconds": round(time.perf_counter() - t0, 2), "dir": str(index_settings.resolved_index_dir())})
    if report.skipped:
        raise ValueError(f"ingest skipped documents of the eval corpus: {report.skipped[:3]}")
    return index_settings, info


# -- running the questions
def _clean(text: str) -> str:
    return _MARKER.sub("", text).strip()


def _relevant(item: QAItem, source: str, start: int, end: int, span_relevance: bool) -> bool:
    if source != item.article:
        return False
    if not span_relevance:
        return True
    return any(start < b and a < end for a, b in item.spans)


def ask_all(bot, ds: QADataset, selection: Selection, langs: dict[str, str], k: int,
            progress: Progress | None = None) -> list[dict]:
    """One record per question: the answer, its latency, and the three rankings with their relevance."""
    from assistant.guard import QuestionError

    answer_lang = majority(langs.values())
    retriever = bot.retriever
    records = []
    for n, item in enumerate(selection.items, start=1):
        t0 = time.perf_counter()
        try:
            answer = bot.ask(item.question, k=k)
            error = None
        except QuestionError as exc:  # e.g. an empty question in the file: counted as a refusal
            answer, error = None, str(exc)
        latency = time.perf_counter() - t0
        query = answer.query if answer is not None and answer.query else item.question
        dense_q = answer.dense_query if answer is not None and answer.dense_query else query
        lexical_q = answer.lexical_query if answer is not None and answer.lexical_query else dense_q
        runs = {
            "ours": [p.id for p in retriever.retrieve(dense_q, k=DEPTH, lexical_query=lexical_q,
                                                      lang=(answer.dense_lang or None) if answer else None)],
            "bm25": [cid for cid, _ in retriever.lexical(item.question, DEPTH)],
            "dense": [cid for cid, _ in retriever.dense(item.question, DEPTH)],
        }
        chunks = {c.id: c for c in retriever.chunks(list({c for r in runs.values() for c in r}))}
        answerable = selection.answerable(item)
        text = _clean(answer.text) if answer is not None else ""
        refused = answer is None or answer.refused
        cited = sorted({c.source for c in answer.citations}) if answer is not None else []
        rec = {
            "id": item.id, "question": item.question, "lang": langs.get(item.id, "und"), "article": item.article,
            "answerable": answerable, "impossible": item.impossible, "refused": refused, "error": error,
            "query": query, "answer": answer.text if answer is not None else "", "gold_answers": list(item.answers),
            "latency": round(latency, 4), "cited_sources": cited,
            "signals": dict(answer.signals) if answer is not None else {},
            "rankings": {s: [{"id": cid, "source": chunks[cid].source if cid in chunks else None,
                              "start": chunks[cid].start if cid in chunks else None,
                              "end": chunks[cid].end if cid in chunks else None,
                              "relevant": cid in chunks and answerable and _relevant(
                                  item, chunks[cid].source, chunks[cid].start, chunks[cid].end, ds.span_relevance)}
                             for cid in ids] for s, ids in runs.items()},
        }
        span = "" if refused else marked_span(answer)
        rec["span"] = span
        if answerable:
            rec["f1"] = 0.0 if refused else round(best_f1(text, item.answers, answer_lang), 4)
            rec["span_f1"] = 0.0 if refused else round(best_f1(span, item.answers, answer_lang), 4)
            rec["contains_gold"] = (not refused and contains_gold(text, item.answers)) if ds.short_answers else None
            rec["cites_gold"] = None if refused else item.article in cited
        records.append(rec)
        if progress:
            progress(n, len(selection.items))
    return records


def marked_span(answer) -> str:
    """The answer's prediction in the SQuAD sense: the span marked in its first claim labelled ``answers``
    (``assistant.labels``), "" when none is marked."""
    for c in answer.claims:
        if c.label == "answers" and c.answer_start >= 0:
            return c.text[c.answer_start : c.answer_end]
    return ""


def qrels_of(ds: QADataset, selection: Selection, chunks) -> dict[str, dict[str, int]]:
    """Relevant chunks of the index per answerable question."""
    by_source: dict[str, list] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    out = {}
    for item in selection.items:
        if selection.answerable(item):
            rel = {c.id: 1 for c in by_source.get(item.article, ())
                   if _relevant(item, c.source, c.start, c.end, ds.span_relevance)}
            if rel:
                out[item.id] = rel
    return out


def _mean(values) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def summarize(records: list[dict], qrels: dict[str, dict[str, int]]) -> dict:
    """The figures of a set of records: per system retrieval, and the answer figures of ``ours``."""
    ans = [r for r in records if r["answerable"]]
    unans = [r for r in records if not r["answerable"]]
    ids = [r["id"] for r in ans]
    systems = {}
    for s in SYSTEMS:
        per_q = evaluate({q: qrels[q] for q in ids if q in qrels}, {r["id"]: [p["id"] for p in r["rankings"][s]]
                                                                    for r in ans}, RETRIEVAL)
        # questions whose gold span lies in no chunk (cannot happen with full coverage) count as misses
        figures = {m: (round(sum(per_q[q][m] for q in ids if q in per_q) / len(ids), 4) if ids else None)
                   for m in RETRIEVAL}
        figures["doc_hit@1"] = _mean(bool(r["rankings"][s]) and r["rankings"][s][0]["source"] == r["article"]
                                     for r in ans)
        systems[s] = figures
    lat = [r["latency"] for r in records]
    answered = [r for r in ans if not r["refused"]]
    out = {
        "n_questions": len(records), "n_answerable": len(ans), "n_unanswerable": len(unans),
        **systems["ours"],
        "answer_contains_gold": _mean(r.get("contains_gold") for r in ans),
        "f1": _mean(r.get("f1") for r in ans),
        "span_f1": _mean(r.get("span_f1") for r in ans),
        "cites_gold_document": _mean(r["cites_gold"] for r in answered),
        "n_answered": len(answered),
        "false_refusal_rate": _mean(r["refused"] for r in ans),
        "refusal_accuracy": _mean(r["refused"] for r in unans),
        "latency_p50": round(float(np.percentile(lat, 50)), 4) if lat else None,
        "latency_p95": round(float(np.percentile(lat, 95)), 4) if lat else None,
        "systems": systems,
    }
    return out


def run_qa(settings: Settings, ds: QADataset, holdout_frac: float = DEFAULT_HOLDOUT_FRAC,
           seed: int = DEFAULT_SEED, sample: int | None = None, k: int | None = None, embedder=None,
           cache: Path | None = None, progress: Progress | None = None,
           ingest_progress: Callable[[str, int, int], None] | None = None) -> tuple[dict, list[dict]]:
    """Select, index (or reuse), ask every question: ``(results, per-question records)``."""
    from assistant.core import Assistant
    from ingest import model_choice
    from ingest.embeddings import Embedder
    from ingest.index import MANIFEST_FILE, Manifest

    t0 = time.perf_counter()
    settings = model_choice.resolve_for_build(settings, embedder, ds.documents.values())  # UCA_EMBEDDING_MODEL=auto
    selection = select(ds, holdout_frac, seed, sample)
    embedder = embedder or Embedder(settings)
    cache = Path(cache) if cache else cache_root(settings)
    index_settings, ingest_info = build_index(settings, ds, selection, cache, embedder, ingest_progress)
    bot = Assistant(index_settings, embedder=embedder)
    bot.retriever.retrieve("warm-up", k=1)  # load the model and open Chroma outside the timed questions
    fitted = bot.fit_corpus_threshold()  # as `uca ingest` does after an ingest (assistant.corpus_threshold)
    langs = dict(zip((it.id for it in selection.items),
                     detect_languages([it.question for it in selection.items]), strict=True))
    manifest = Manifest(index_settings.resolved_index_dir() / MANIFEST_FILE)
    try:
        qrels = qrels_of(ds, selection, manifest.chunks())
    finally:
        manifest.close()
    k = k or settings.top_k
    t1 = time.perf_counter()
    records = ask_all(bot, ds, selection, langs, k, progress)
    results = summarize(records, qrels)
    languages = sorted({r["lang"] for r in records})
    results.update({
        "dataset": ds.name, "path": str(ds.path), "file_sha256": ds.file_hash,
        "relevance": "gold answer span" if ds.span_relevance else "gold document",
        "holdout_frac": holdout_frac, "seed": seed, "sample": sample, "k": k, "mode": settings.answer_mode,
        "embedding_model": settings.embedding_model, "embedding_backend": settings.embedding_backend,
        "documents_indexed": len(selection.indexed), "documents_held_out": len(selection.held_out),
        "languages": {lang: sum(r["lang"] == lang for r in records) for lang in languages},
        "per_language": ({lang: summarize([r for r in records if r["lang"] == lang], qrels) for lang in languages}
                         if len(languages) > 1 else {}),
        "thresholds": {key: bot.thresholds.get(key) for key in ("refusal_threshold", "refusal_weight")},
        "corpus_threshold": fitted,
        "index": ingest_info, "ask_seconds": round(time.perf_counter() - t1, 2),
        "seconds": round(time.perf_counter() - t0, 2), "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })
    return results, records
