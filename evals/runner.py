"""The Unicancer eval: every question through ``Assistant.ask`` (with its history), then retrieval metrics
(pytrec_eval, relevance from gold-span overlap) and answer metrics, overall, per category and per question.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.dataset import (
    DEFAULT_DATASET,
    EvalItem,
    GoldRange,
    corpus_texts,
    load_dataset,
    locate_spans,
    overlaps,
    qrels_for,
)
from evals.metrics import evaluate, mean_of
from evals.split import resolve_split, select
from ingest.settings import Settings

RETRIEVAL = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5")
ANSWER = ("must_include_accuracy", "refusal_accuracy", "false_refusal_rate", "citation_precision",
          "flagged_claim_rate", "decision_accuracy", "answer_relevance", "cited_sentence_relevance")
DEPTH = 10  # ranking depth evaluated (MRR@10, nDCG@10)

Progress = Callable[[int, int], None]


@dataclass
class EvalContext:
    """What a run needs: the opened assistant, the dataset, gold ranges and qrels over all chunks."""

    settings: Settings
    bot: object  # assistant.core.Assistant
    items: list[EvalItem]
    gold: dict[str, list[GoldRange]]
    qrels: dict[str, dict[str, int]]
    split: dict
    split_origin: str
    dataset: Path
    ingest: dict


def open_context(settings: Settings, dataset: Path = DEFAULT_DATASET, bot=None, embedder=None,
                 thresholds: dict | None = None, ingest: bool = True) -> EvalContext:
    """Bring the index in step with the corpus (``run_ingest``), open the assistant, and label the chunks."""
    from assistant.core import Assistant
    from ingest import model_choice
    from ingest.embeddings import Embedder
    from ingest.index import MANIFEST_FILE, Manifest
    from ingest.pipeline import run_ingest

    if bot is not None:
        embedder = bot.embedder
    if embedder is not None or model_choice.index_model(settings):  # auto: the embedder's model or the index's
        settings = model_choice.resolve(settings, embedder)
    else:  # auto, no index yet: the model of the corpus's main language, as `uca ingest` would choose it
        settings = model_choice.resolve_for_texts(settings, corpus_texts(settings).values())
    embedder = embedder or Embedder(settings)
    report = run_ingest(settings, embedder=embedder).as_dict() if ingest else {}
    bot = bot or Assistant(settings, embedder=embedder, thresholds=thresholds)
    bot.retriever.retrieve("warm-up", k=1)  # load the model and open Chroma outside the timed questions
    if ingest:
        bot.fit_corpus_threshold()  # as `uca ingest` does (assistant.corpus_threshold; a one-page corpus has none)
    items = load_dataset(dataset)
    gold = locate_spans(items, corpus_texts(settings))
    manifest = Manifest(settings.resolved_index_dir() / MANIFEST_FILE)
    try:
        chunks = manifest.chunks()
    finally:
        manifest.close()
    split, origin = resolve_split(items)
    ingest_info = {k: report[k] for k in ("documents", "chunks", "added", "removed", "embedded") if k in report}
    return EvalContext(settings, bot, items, gold, qrels_for(gold, chunks), split, origin, Path(dataset),
                       ingest_info)


def _fold(text: str) -> str:
    """Lower case, curly quotes straightened, accents kept, whitespace collapsed (for must_include)."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).lower()


def ask_items(ctx: EvalContext, items: Sequence[EvalItem], k: int | None = None, mode: str | None = None,
              llm: str | None = None, progress: Progress | None = None) -> list[dict]:
    """Run the questions and build one record per question (answer, citations, ranking, labels)."""
    bot = ctx.bot
    k = k or ctx.settings.top_k
    records = []
    for i, item in enumerate(items, start=1):
        answer = bot.ask(item.question, history=list(item.history), k=k, mode=mode, llm=llm)
        ranking = bot.retriever.retrieve(answer.dense_query or answer.query, k=max(DEPTH, k),
                                         lang=answer.dense_lang or None,
                                         lexical_query=answer.lexical_query or None)
        ranges = ctx.gold[item.id]
        used = {p.id for p in answer.passages}
        text = _fold(answer.text)
        missing = [s for s in item.must_include if _fold(s) not in text]
        records.append({
            "id": item.id, "question": item.question, "category": item.category, "answerable": item.answerable,
            "history": [list(t) for t in item.history], "query": answer.query, "refused": answer.refused,
            "small_talk": answer.small_talk, "answer": answer.text, "confidence": answer.confidence,
            "signals": dict(answer.signals),
            "retrieved": [{
                "rank": r, "id": p.id, "source": p.source, "section": p.section, "start": p.start, "end": p.end,
                "score": round(p.score, 6), "relevant": overlaps(p.source, p.start, p.end, ranges),
                "used": p.id in used,
            } for r, p in enumerate(ranking, start=1)],
            "passages_used": [p.id for p in answer.passages],
            "citations": [{
                "n": c.n, "source": c.source, "section": c.section, "start": c.start, "end": c.end,
                "sentence": c.sentence, "supported": c.supported,
                "relevant": overlaps(c.source, c.start, c.end, ranges),
            } for c in answer.citations],
            "cited_sentences": _cited_sentences(answer, ranges),
            "claims": len(answer.claims), "flagged": answer.flagged,
            "flagged_claims": [{"text": c.text, "reason": c.reason} for c in answer.claims if not c.supported],
            "must_include": list(item.must_include), "missing": missing,
            "must_include_ok": (not answer.refused and not missing) if item.answerable else None,
            "decision_ok": answer.refused != item.answerable,
            "latency": float(answer.timings.get("total", 0.0)),
            "timings": dict(answer.timings),
        })
        if progress:
            progress(i, len(items))
    _score_retrieval(ctx, records)
    return records


def _cited_sentences(answer, ranges: list[GoldRange]) -> list[dict]:
    """Each distinct sentence the answer quotes (a supported claim's best sentence): its label, its answer
    span, and whether it holds (overlaps) a gold span."""
    out, seen = [], set()
    for c in answer.claims:
        if not c.supported or c.source_n <= 0:
            continue
        p = answer.passages[c.source_n - 1]
        key = (p.id, c.sentence_start)
        if key in seen:
            continue
        seen.add(key)
        a, b = p.start + c.sentence_start, p.start + c.sentence_end
        out.append({"n": c.source_n, "label": c.label, "kind": c.answer_kind,
                    "span": c.text[c.answer_start:c.answer_end] if c.answer_start >= 0 else "",
                    "sentence": p.text[c.sentence_start:c.sentence_end].strip(),
                    "gold": overlaps(p.source, a, b, ranges)})
    return out


def _score_retrieval(ctx: EvalContext, records: list[dict]) -> None:
    qrels = {r["id"]: ctx.qrels[r["id"]] for r in records if r["id"] in ctx.qrels}
    per_q = evaluate(qrels, {r["id"]: [p["id"] for p in r["retrieved"]] for r in records}, RETRIEVAL)
    for r in records:
        r["retrieval"] = {m: round(v, 4) for m, v in per_q.get(r["id"], {}).items()}
        r["hit"] = bool(r["retrieval"].get("hit@5")) if r["retrieval"] else None


def _mean(values: list) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(records: Sequence[dict]) -> dict:
    """The metrics of a set of records (None when a metric has no question to be computed on)."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    judged = {r["id"]: r["retrieval"] for r in answerable if r.get("retrieval")}
    out: dict = {m: (round(v, 4) if (v := mean_of(judged, m)) is not None else None) for m in RETRIEVAL}
    cited = [c for r in answerable if not r["refused"] for c in r["citations"]]
    quoted = [c for r in answerable if not r["refused"] for c in r.get("cited_sentences", [])]
    answered = [r for r in records if not r["refused"]]
    claims = sum(r["claims"] for r in answered)
    latencies = [r["latency"] for r in records]
    out.update({
        "must_include_accuracy": _mean([bool(r["must_include_ok"]) for r in answerable]),
        "refusal_accuracy": _mean([r["refused"] for r in unanswerable]),
        "false_refusal_rate": _mean([r["refused"] for r in answerable]),
        "citation_precision": _mean([c["relevant"] for c in cited]),
        "flagged_claim_rate": round(sum(r["flagged"] for r in answered) / claims, 4) if claims else None,
        "decision_accuracy": _mean([r["decision_ok"] for r in records]),
        # of the quoted sentences labelled "answers", the share that holds a gold span; and of all quoted ones
        "answer_relevance": _mean([c["gold"] for c in quoted if c["label"] == "answers"]),
        "cited_sentence_relevance": _mean([c["gold"] for c in quoted]),
        "latency_p50": round(float(np.percentile(latencies, 50)), 4) if latencies else None,
        "latency_p95": round(float(np.percentile(latencies, 95)), 4) if latencies else None,
        "n_questions": len(records), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable),
    })
    return out


def failures(records: Sequence[dict]) -> dict[str, list[str]]:
    """Question ids per kind of failure."""
    return {
        "retrieval_miss@5": [r["id"] for r in records if r["answerable"] and r["hit"] is False],
        "missing_must_include": [r["id"] for r in records if r["answerable"] and not r["refused"] and r["missing"]],
        "false_refusal": [r["id"] for r in records if r["answerable"] and r["refused"]],
        "answered_unanswerable": [r["id"] for r in records if not r["answerable"] and not r["refused"]],
        "irrelevant_citation": [r["id"] for r in records if r["answerable"] and not r["refused"]
                                and any(not c["relevant"] for c in r["citations"])],
        "flagged_claims": [r["id"] for r in records if r["flagged"]],
        "answers_label_without_gold": [r["id"] for r in records if r["answerable"] and not r["refused"]
                                       and any(c["label"] == "answers" and not c["gold"]
                                               for c in r.get("cited_sentences", []))],
    }


def run_eval(ctx: EvalContext, split: str = "test", k: int | None = None, mode: str | None = None,
             llm: str | None = None, progress: Progress | None = None) -> tuple[dict, list[dict]]:
    """Run split ``split`` of the eval set: ``(results, per-question records)``."""
    items = select(ctx.items, split, ctx.split)
    t0 = time.perf_counter()
    records = ask_items(ctx, items, k=k, mode=mode, llm=llm, progress=progress)
    summary = summarize(records)
    categories = sorted({r["category"] for r in records})
    thresholds = {key: ctx.bot.thresholds.get(key) for key in
                  ("refusal_threshold", "refusal_weight", "support_cos", "support_lex")}
    calibrated = ctx.bot.thresholds.get("calibration", {})
    results = {
        **summary,
        "split": split,
        "split_note": _split_note(split, calibrated),
        "split_source": ctx.split_origin,
        "dataset": str(ctx.dataset),
        "mode": mode or ctx.settings.answer_mode,
        "k": k or ctx.settings.top_k,
        "embedding_model": ctx.settings.embedding_model,
        "index": str(ctx.settings.resolved_index_dir()),
        "ingest": ctx.ingest,
        "thresholds": thresholds,
        "thresholds_calibrated_on": calibrated.get("split"),
        "per_category": {c: summarize([r for r in records if r["category"] == c]) for c in categories},
        "failures": failures(records),
        "seconds": round(time.perf_counter() - t0, 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return results, records


def _split_note(split: str, calibrated: dict) -> str:
    on = calibrated.get("split")
    if split == "test":
        return "figures from the test split; thresholds were calibrated on the calibration split" if on \
            else "figures from the test split (the thresholds are not from `uca eval --calibrate`)"
    if split == "calibration":
        return "figures from the calibration split: the thresholds were fitted on these questions (optimistic)"
    return "figures from all questions, including the calibration split the thresholds were fitted on"

