"""``uca eval --calibrate``: fit the assistant's refusal and citation-support thresholds on the calibration split.

Refusal: the assistant refuses when ``w * best_cos + (1 - w) * coverage < threshold``. The signals of every
calibration question are collected once; ``w`` runs over 0..1 (step 0.05) and the threshold over the midpoints
between observed confidences; the pair with the best balanced accuracy (refusal accuracy on unanswerable
questions, 1 - false-refusal rate on answerable ones) among those that refuse at most ``MAX_FALSE_REFUSAL``
(5 %) of the answerable calibration questions wins, ties going to the lower false-refusal rate, then to the
widest margin between the threshold and the nearest question. A counting question ("How many employees...")
whose passages give no number near the counted noun is refused whatever the threshold (see
``assistant.answering.quantity_evidence``), and is counted so here.

Support: labelled (claim, passage) pairs, built from the calibration questions' gold spans and the index's
chunks: positives are each sentence of a gold span (and its first clause) with the chunk containing it;
negatives are the same sentence with a random chunk overlapping no gold span of the question, and perturbed
sentences (a number changed, a name swapped) with the correct chunk. Those positives are verbatim, as extractive
answers are; LLM answers reword, so each (non-French) question also gives a reworded answer, its rewritten query
with its must_include strings, paired with its gold chunk (positive) and with an unrelated chunk (negative).
``support_cos`` and ``support_lex`` are grid-searched for accuracy (see :func:`fit_support` for the tie-breaks).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.dataset import EvalItem, overlaps
from evals.runner import EvalContext, Progress, ask_items
from evals.split import SEED, select

MAX_FALSE_REFUSAL = 0.05  # the product's target: at most 1 answerable question in 20 refused
WEIGHT_GRID = [round(0.05 * i, 2) for i in range(21)]
COS_GRID = [round(0.01 * i, 2) for i in range(101)]
LEX_GRID = [round(0.05 * i, 2) for i in range(21)]
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])")
CONTENT_KINDS = ("gold", "gold clause", "reworded answer", "other chunk", "reworded answer, other chunk")
_NAME = re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b")  # acronyms and CamelCase names: HOPE, UICC, CraNE


# -- refusal

def refusal_rates(conf: np.ndarray, answerable: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """(balanced accuracy, refusal accuracy, false-refusal rate) of refusing below ``threshold``."""
    refused = conf < threshold
    ra = float(refused[~answerable].mean()) if (~answerable).any() else 1.0
    fr = float(refused[answerable].mean()) if answerable.any() else 0.0
    return (ra + 1.0 - fr) / 2.0, ra, fr


def fit_refusal(signals: Sequence[dict], answerable: Sequence[bool], max_false_refusal: float | None = None) -> dict:
    """Grid search of ``refusal_weight`` and ``refusal_threshold`` on ``{"best_cos", "coverage"}`` signals.

    ``max_false_refusal`` (optional) only admits thresholds whose false-refusal rate on these questions is at
    most that value; the balanced-accuracy criterion then applies among them.
    """
    cos = np.array([s["best_cos"] for s in signals], dtype=float)
    cov = np.array([s["coverage"] for s in signals], dtype=float)
    ans = np.array(answerable, dtype=bool)
    # refused whatever the threshold: a counting question with no number near the counted noun
    forced = np.array([s.get("quantity_evidence") is False for s in signals], dtype=bool)
    if not len(cos):
        raise ValueError("no calibration questions with signals")
    best: tuple | None = None
    for w in WEIGHT_GRID:
        conf = np.where(forced, -1.0, w * cos + (1 - w) * cov)
        values = np.unique(conf[~forced]) if (~forced).any() else np.array([0.0])
        cands = np.concatenate([[values[0] - 0.01], (values[:-1] + values[1:]) / 2, [values[-1] + 0.01]])
        for t in cands:
            bal, ra, fr = refusal_rates(conf, ans, float(t))
            if max_false_refusal is not None and fr > max_false_refusal + 1e-12:
                continue
            margin = float(np.min(np.abs(conf[~forced] - t))) if (~forced).any() else 0.0
            key = (round(bal, 9), -round(fr, 9), margin)
            if best is None or key > best[0]:
                best = (key, w, float(t), bal, ra, fr, margin)
    _, w, t, bal, ra, fr, margin = best
    objective = "balanced accuracy" + (f", false refusals <= {max_false_refusal}" if max_false_refusal is not None
                                       else "")
    return {"refusal_weight": w, "refusal_threshold": round(t, 4), "objective": objective,
            "balanced_accuracy": round(bal, 4),
            "refusal_accuracy": round(ra, 4), "false_refusal_rate": round(fr, 4), "margin": round(margin, 4),
            "questions": int(len(ans)), "answerable": int(ans.sum()), "unanswerable": int((~ans).sum())}


# -- support

def _passage(chunk):
    from assistant.results import Passage

    return Passage.of(chunk)


def _sentences(span: str) -> list[str]:
    from ingest.chunking import split_sentences

    out = [span[a:b].strip() for a, b in split_sentences(span, 0, len(span))]
    return [s for s in out if len(s.split()) >= 4]


def perturb_number(claim: str, context: str, rng: random.Random) -> str | None:
    """The claim with one number replaced by a number that ``context`` does not contain."""
    nums = list(_NUMBER.finditer(claim))
    if not nums:
        return None
    m = rng.choice(nums)
    value = int(float(m.group(0).replace(",", ".")))
    for _ in range(50):
        new = str(value + rng.choice([-1, 1]) * rng.randint(1, 9))
        if new.lstrip("-") and not re.search(rf"(?<![\d]){re.escape(new)}(?![\d])", context):
            return claim[: m.start()] + new + claim[m.end():]
    return None


def perturb_name(claim: str, context: str, pool: Sequence[str], rng: random.Random) -> str | None:
    """The claim with one name (acronym) replaced by another name of the corpus that ``context`` lacks."""
    names = list(_NAME.finditer(claim))
    choices = [n for n in pool if not re.search(rf"\b{re.escape(n)}\b", context)]
    if not names or not choices:
        return None
    m = rng.choice(names)
    return claim[: m.start()] + rng.choice(choices) + claim[m.end():]


def answer_claim(query: str, must_include: Sequence[str]) -> str:
    """A reworded answer, as an LLM would state it: the (rewritten) question with its key answer strings."""
    return f"{query.strip().rstrip('?').strip()}: {', '.join(must_include)}."


def support_pairs(items: Sequence[EvalItem], gold: dict, chunks: Sequence, seed: int = SEED,
                  queries: dict[str, str] | None = None) -> list[dict]:
    """Labelled ``{"claim", "chunk", "label", "kind"}`` pairs (see the module docstring); with ``queries``
    (question id -> rewritten query) also the reworded answers of :func:`answer_claim`."""
    rng = random.Random(seed)
    pool = sorted({m.group(0) for c in chunks for m in _NAME.finditer(c.text)})
    pairs: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(claim: str, chunk, label: bool, kind: str) -> None:
        if (claim, chunk.id) not in seen:
            seen.add((claim, chunk.id))
            pairs.append({"claim": claim, "chunk": chunk, "label": label, "kind": kind})

    for item in items:
        ranges = gold[item.id]
        if not ranges:
            continue
        unrelated = [c for c in chunks if not overlaps(c.source, c.start, c.end, ranges)]
        for r in ranges:
            holders = [c for c in chunks if c.source == r.source and c.start <= r.start and r.end <= c.end]
            if not holders:
                continue  # the span straddles two chunks: no single passage supports it
            span = holders[0].text[r.start - holders[0].start: r.end - holders[0].start]
            for claim in _sentences(span):
                for chunk in holders:
                    add(claim, chunk, True, "gold")
                    clause = claim.split(", ")[0].rstrip(" ,;:")
                    if clause != claim and len(clause.split()) >= 5:  # part of a sentence, as answers often state
                        add(clause, chunk, True, "gold clause")
                if unrelated:
                    add(claim, rng.choice(unrelated), False, "other chunk")
                if (changed := perturb_number(claim, holders[0].text, rng)) is not None:
                    add(changed, holders[0], False, "number changed")
                if (changed := perturb_name(claim, holders[0].text, pool, rng)) is not None:
                    add(changed, holders[0], False, "name swapped")
    rng = random.Random(seed + 1)
    for item in items:  # French questions are left out: the claim would be French, the passages are English
        query = (queries or {}).get(item.id)
        if not query or not item.answerable or item.category == "french":
            continue
        ranges = gold[item.id]
        claim = answer_claim(query, item.must_include)
        relevant = [c for c in chunks if overlaps(c.source, c.start, c.end, ranges)]
        best = max(relevant, key=lambda c: sum(m.lower() in c.text.lower() for m in item.must_include))
        add(claim, best, True, "reworded answer")
        unrelated = [c for c in chunks if not overlaps(c.source, c.start, c.end, ranges)]
        if unrelated:
            add(claim, rng.choice(unrelated), False, "reworded answer, other chunk")
    return pairs


def score_pairs(checker, pairs: list[dict]) -> list[dict]:
    """``(cos, lex, grounded)`` of every pair from the assistant's own citation checker."""
    out = []
    for p in pairs:
        cos, lex, _, grounded = checker.support(p["claim"], _passage(p["chunk"]))
        out.append({**p, "cos": float(cos), "lex": float(lex), "grounded": bool(grounded)})
    return out


def fit_support(scored: Sequence[dict]) -> dict:
    """Grid search of ``support_cos`` and ``support_lex``.

    First criterion: accuracy of the assistant's full rule (grounded and (cos or lex)) on all pairs, then fewer
    false supports. The grounding check alone rejects most negatives (their numbers or names are absent), so
    the next criterion is the accuracy of the cos/lex part alone on gold versus other-chunk pairs (what still
    protects claims without numbers or names); remaining ties go to the middle of the tied region.
    """
    if not scored:
        raise ValueError("no support pairs")
    cos = np.array([p["cos"] for p in scored])
    lex = np.array([p["lex"] for p in scored])
    grounded = np.array([p["grounded"] for p in scored], dtype=bool)
    label = np.array([p["label"] for p in scored], dtype=bool)
    content = np.array([p["kind"] in CONTENT_KINDS for p in scored], dtype=bool)
    keys = []
    for tc in COS_GRID:
        for tl in LEX_GRID:
            close = (cos >= tc) | (lex >= tl)
            pred = grounded & close
            acc = float((pred == label).mean())
            fsr = float(pred[~label].mean()) if (~label).any() else 0.0
            content_acc = float((close[content] == label[content]).mean()) if content.any() else 0.0
            keys.append(((round(acc, 9), -round(fsr, 9), round(content_acc, 9)), tc, tl))
    top = max(k for k, _, _ in keys)
    ties = np.array([(tc, tl) for k, tc, tl in keys if k == top])
    centre = ties.mean(axis=0)
    tc, tl = (float(x) for x in ties[int(np.argmin(((ties - centre) ** 2).sum(axis=1)))])
    pred = grounded & ((cos >= tc) | (lex >= tl))
    by_kind = {}
    for kind in sorted({p["kind"] for p in scored}):
        idx = np.array([p["kind"] == kind for p in scored])
        by_kind[kind] = {"pairs": int(idx.sum()), "accuracy": round(float((pred[idx] == label[idx]).mean()), 4),
                         "grounded": int(grounded[idx].sum()), "cos_min": round(float(cos[idx].min()), 4),
                         "cos_max": round(float(cos[idx].max()), 4), "lex_max": round(float(lex[idx].max()), 4)}
    return {"support_cos": round(tc, 2), "support_lex": round(tl, 2), "accuracy": round(top[0], 4),
            "false_support_rate": round(-top[1], 4), "content_accuracy": round(top[2], 4),
            "missed_support_rate": round(float((~pred[label]).mean()) if label.any() else 0.0, 4),
            "pairs": len(scored), "positives": int(label.sum()), "negatives": int((~label).sum()), "by_kind": by_kind}


# -- the command

def calibrate(ctx: EvalContext, progress: Progress | None = None, max_false_refusal: float | None = None) -> dict:
    """Fit all four thresholds on the calibration split; the thresholds object to write (not yet written)."""
    from ingest.index import MANIFEST_FILE, Manifest

    items = select(ctx.items, "calibration", ctx.split)
    records = [r for r in ask_items(ctx, items, mode="extractive", progress=progress) if r["signals"]]
    refusal = fit_refusal([r["signals"] for r in records], [r["answerable"] for r in records], max_false_refusal)
    manifest = Manifest(ctx.settings.resolved_index_dir() / MANIFEST_FILE)
    try:
        chunks = manifest.chunks()
    finally:
        manifest.close()
    queries = {r["id"]: r["query"] for r in records}
    scored = score_pairs(ctx.bot.checker, support_pairs(items, ctx.gold, chunks, SEED, queries))
    support = fit_support(scored)
    return {
        "refusal_threshold": refusal["refusal_threshold"], "refusal_weight": refusal["refusal_weight"],
        "support_cos": support["support_cos"], "support_lex": support["support_lex"],
        "calibration": {
            "split": "calibration", "seed": ctx.split.get("seed", SEED), "date": time.strftime("%Y-%m-%d"),
            "dataset": ctx.dataset.name, "dataset_digest": ctx.split.get("dataset_digest"),
            "question_ids": [r["id"] for r in records],
            "embedding_model": ctx.settings.embedding_model, "chunk_size": ctx.settings.chunk_size,
            "refusal": refusal, "support": support,
        },
        "note": "written by `uca eval --calibrate` (fitted on the calibration split only; the eval report's "
                "figures come from the test split)",
    }


def write_thresholds(thresholds: dict, path: Path) -> None:
    tmp = Path(path).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(thresholds, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
