"""Eval building blocks without a model: pytrec_eval metrics on hand-made rankings, span-overlap relevance on
the real corpus and its real chunks, the seeded split, the answer metrics, the threshold fits and the gate."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from evals.baseline import BASELINE_FILE, GATED, compare, load_baseline
from evals.calibrate import (
    answer_claim,
    fit_refusal,
    fit_support,
    perturb_name,
    perturb_number,
    refusal_rates,
    support_pairs,
)
from evals.dataset import DEFAULT_DATASET, GoldRange, load_dataset, locate_spans, overlaps, qrels_for
from evals.metrics import as_run, evaluate
from evals.runner import _fold, summarize
from evals.split import SPLIT_FILE, make_split, resolve_split, select, stratum
from ingest.chunking import chunk_document
from ingest.loaders import load_document

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "corpus" / "unicancer-international.txt"
ALL = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5", "recall@100")


# -- retrieval metrics (pytrec_eval)

def test_one_relevant_at_rank_two():
    m = evaluate({"q": {"b": 1}}, {"q": ["a", "b", "c"]}, ALL)["q"]
    assert m["mrr@10"] == pytest.approx(0.5)
    assert (m["hit@1"], m["hit@3"], m["hit@5"]) == (0.0, 1.0, 1.0)
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert m["recall@5"] == 1.0


def test_two_relevant_recall_and_ndcg():
    m = evaluate({"q": {"a": 1, "z": 1}}, {"q": ["a", "b", "c", "d", "e", "f", "z"]}, ALL)["q"]
    assert m["recall@5"] == pytest.approx(0.5)
    assert m["recall@100"] == pytest.approx(1.0)
    ideal = 1 + 1 / math.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(8)) / ideal)
    assert m["mrr@10"] == 1.0


def test_mrr_is_cut_at_ten():
    ranking = [f"d{i}" for i in range(1, 12)]  # the relevant document is 11th
    m = evaluate({"q": {"d11": 1}}, {"q": ranking}, ("mrr@10", "recall@100"))["q"]
    assert m["mrr@10"] == 0.0
    assert m["recall@100"] == 1.0


def test_our_order_is_kept_whatever_the_ids():
    # trec_eval breaks score ties by doc id; as_run gives strictly decreasing scores so our order stands
    assert list(as_run(["b", "a", "c"])) == ["b", "a", "c"]
    assert len(set(as_run(["b", "a", "c"]).values())) == 3
    m = evaluate({"q": {"a": 1}}, {"q": ["z", "a"]}, ("mrr@10",))["q"]
    assert m["mrr@10"] == pytest.approx(0.5)


def test_queries_without_relevant_documents_are_not_judged_and_missing_runs_score_zero():
    per_q = evaluate({"q1": {"a": 1}, "q2": {}, "q3": {"x": 1}}, {"q1": ["a"]}, ("hit@5", "mrr@10"))
    assert set(per_q) == {"q1", "q3"}
    assert per_q["q1"]["hit@5"] == 1.0
    assert per_q["q3"] == {"hit@5": 0.0, "mrr@10": 0.0}


# -- span-overlap relevance

def test_overlap_is_half_open_and_per_source():
    span = [GoldRange("doc.txt", 10, 20)]
    assert overlaps("doc.txt", 0, 11, span)
    assert overlaps("doc.txt", 19, 30, span)
    assert overlaps("doc.txt", 12, 15, span)
    assert not overlaps("doc.txt", 0, 10, span)  # ends where the span starts
    assert not overlaps("doc.txt", 20, 30, span)  # starts where the span ends
    assert not overlaps("other.txt", 12, 15, span)


@pytest.fixture(scope="module")
def real_chunks():
    doc = load_document(SOURCE, SOURCE.name)
    return doc.text, chunk_document(doc, 700, 100)


def test_gold_spans_located_and_relevant_chunks_contain_them(real_chunks):
    text, chunks = real_chunks
    items = load_dataset()
    gold = locate_spans(items, {SOURCE.name: text})
    qrels = qrels_for(gold, chunks)
    for item in items:
        ranges = gold[item.id]
        assert len(ranges) >= len(item.gold_spans)
        for r in ranges:
            assert text[r.start:r.end] in item.gold_spans
        if not item.answerable:
            assert item.id not in qrels
            continue
        relevant = [c for c in chunks if c.id in qrels[item.id]]
        assert relevant, item.id
        for c in relevant:  # every relevant chunk shares text with a gold span...
            assert any(max(c.start, r.start) < min(c.end, r.end) for r in ranges)
        for c in chunks:  # ...and no other chunk does
            if c.id not in qrels[item.id]:
                assert not any(max(c.start, r.start) < min(c.end, r.end) for r in ranges)


def test_rechunking_keeps_labels_valid(real_chunks):
    # labels are spans: a different chunking gives different chunk ids but still one relevant chunk or more
    text, _ = real_chunks
    small = chunk_document(load_document(SOURCE, SOURCE.name), 300, 50)
    items = [it for it in load_dataset() if it.answerable]
    qrels = qrels_for(locate_spans(items, {SOURCE.name: text}), small)
    assert set(qrels) == {it.id for it in items}


def test_a_span_not_in_the_corpus_is_an_error(real_chunks):
    from evals.dataset import EvalItem

    item = EvalItem("x", "q?", "fact", ("Unicancer was founded on Mars.",), ("Mars",), ())
    with pytest.raises(ValueError, match="not found"):
        locate_spans([item], {SOURCE.name: real_chunks[0]})


# -- the split

def test_committed_split_is_the_seeded_split_of_the_dataset():
    items = load_dataset()
    committed = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    assert committed == make_split(items), "dataset changed: run `uca eval --write-split` and commit evals/split.json"
    split, origin = resolve_split(items)
    assert origin == str(SPLIT_FILE) and split == committed


def test_split_is_deterministic_disjoint_and_complete():
    items = load_dataset()
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    a, b = make_split(items), make_split(shuffled)
    assert a == b
    assert not set(a["calibration"]) & set(a["test"])
    assert set(a["calibration"]) | set(a["test"]) == {it.id for it in items}
    assert make_split(items, seed=14) != a


def test_split_is_stratified():
    items = load_dataset()
    split = make_split(items)
    cal = set(split["calibration"])
    strata = Counter(stratum(it) for it in items)
    in_cal = Counter(stratum(it) for it in items if it.id in cal)
    for key, n in strata.items():
        assert in_cal[key] == round(0.4 * n), key
    assert {stratum(it) for it in select(items, "test", split)} == set(strata)
    assert len(select(items, "all", split)) == len(items)


# -- answer metrics

def _record(id_, answerable, refused, category="fact", citations=(), claims=0, flagged=0, hit=True, missing=()):
    return {
        "id": id_, "category": category, "answerable": answerable, "refused": refused,
        "citations": [{"relevant": r} for r in citations], "claims": claims, "flagged": flagged,
        "must_include_ok": (not refused and not missing) if answerable else None, "missing": list(missing),
        "retrieval": {"hit@1": float(hit), "hit@3": float(hit), "hit@5": float(hit), "mrr@10": float(hit),
                      "ndcg@10": float(hit), "recall@5": float(hit)} if answerable else {},
        "hit": hit if answerable else None, "decision_ok": refused != answerable, "latency": 0.1,
    }


def test_summary_of_hand_made_records():
    records = [
        _record("a1", True, False, citations=(True, False), claims=2, flagged=1),
        _record("a2", True, False, citations=(True,), claims=1, missing=("x",), hit=False),
        _record("a3", True, True),
        _record("a4", True, False, citations=(True,), claims=1),
        _record("u1", False, True),
        _record("u2", False, False, citations=(False,), claims=1, flagged=1),
    ]
    s = summarize(records)
    assert s["must_include_accuracy"] == 0.5  # a1 and a4 of four answerable
    assert s["false_refusal_rate"] == 0.25
    assert s["refusal_accuracy"] == 0.5
    assert s["citation_precision"] == 0.75  # answered answerable questions only: 3 relevant of 4
    assert s["flagged_claim_rate"] == 0.4  # 2 flagged of 5 claims in answered questions
    assert s["hit@5"] == 0.75
    assert s["decision_accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    assert (s["n_questions"], s["n_answerable"], s["n_unanswerable"]) == (6, 4, 2)


def test_must_include_matching_ignores_case_quotes_and_spacing():
    assert _fold("World’s  Best\nHospitals") == _fold("world's best hospitals")
    assert _fold("Brussels") != _fold("Bruxelles")


# -- threshold fits

def test_refusal_fit_separates_separable_signals():
    signals = [{"best_cos": 0.8, "coverage": 0.9}, {"best_cos": 0.7, "coverage": 0.8},
               {"best_cos": 0.3, "coverage": 0.4}, {"best_cos": 0.2, "coverage": 0.5}]
    fit = fit_refusal(signals, [True, True, False, False])
    assert fit["balanced_accuracy"] == 1.0 and fit["false_refusal_rate"] == 0.0
    w, t = fit["refusal_weight"], fit["refusal_threshold"]
    conf = [w * s["best_cos"] + (1 - w) * s["coverage"] for s in signals]
    assert min(conf[:2]) > t > max(conf[2:])


def test_refusal_fit_prefers_fewer_false_refusals_on_ties():
    # confidences 0.2 (unanswerable), 0.5 (answerable), 0.6 (unanswerable), 0.9 (answerable): refusing below
    # 0.35 or below 0.55 both give balanced accuracy 0.75; the first refuses no answerable question
    signals = [{"best_cos": c, "coverage": c} for c in (0.2, 0.5, 0.6, 0.9)]
    fit = fit_refusal(signals, [False, True, False, True])
    assert fit["balanced_accuracy"] == 0.75
    assert fit["false_refusal_rate"] == 0.0
    assert 0.2 < fit["refusal_threshold"] < 0.5
    assert refusal_rates(np.array([0.2, 0.5]), np.array([False, True]), 0.3) == (1.0, 1.0, 0.0)


def test_refusal_fit_with_a_false_refusal_cap():
    conf = [0.2, 0.5, 0.6, 0.9, 0.95, 0.97]
    answerable = [False, True, False, True, True, True]
    signals = [{"best_cos": c, "coverage": c} for c in conf]
    free = fit_refusal(signals, answerable)  # refusing below ~0.75 catches both, refuses one of four answerable
    assert (free["balanced_accuracy"], free["false_refusal_rate"]) == (0.875, 0.25)
    capped = fit_refusal(signals, answerable, max_false_refusal=0.05)
    assert (capped["refusal_accuracy"], capped["false_refusal_rate"]) == (0.5, 0.0)
    assert 0.2 < capped["refusal_threshold"] < 0.5


def test_refusal_fit_counts_questions_refused_for_want_of_a_count():
    # the unanswerable 0.6 is a counting question with no count in its passages: refused whatever the
    # threshold, so the fit no longer has to refuse the answerable 0.5 to catch it
    conf = [0.2, 0.5, 0.6, 0.9]
    answerable = [False, True, False, True]
    signals = [{"best_cos": c, "coverage": c} for c in conf]
    signals[2]["quantity_evidence"] = False
    fit = fit_refusal(signals, answerable)
    assert (fit["refusal_accuracy"], fit["false_refusal_rate"]) == (1.0, 0.0)
    assert 0.2 < fit["refusal_threshold"] < 0.5


def test_support_fit_on_labelled_pairs():
    pairs = [
        {"cos": 0.9, "lex": 0.9, "grounded": True, "label": True, "kind": "gold"},
        {"cos": 0.75, "lex": 0.4, "grounded": True, "label": True, "kind": "gold"},
        {"cos": 0.5, "lex": 0.85, "grounded": True, "label": True, "kind": "gold"},
        {"cos": 0.55, "lex": 0.3, "grounded": True, "label": False, "kind": "other chunk"},
        {"cos": 0.95, "lex": 0.95, "grounded": False, "label": False, "kind": "number changed"},
    ]
    fit = fit_support(pairs)
    assert fit["accuracy"] == 1.0 and fit["false_support_rate"] == 0.0
    assert 0.55 < fit["support_cos"] <= 0.75
    assert 0.3 < fit["support_lex"] <= 0.85
    assert fit["by_kind"]["number changed"]["accuracy"] == 1.0


def test_support_fit_keeps_cos_and_lex_meaningful_when_grounding_alone_separates():
    pairs = [
        {"cos": 1.0, "lex": 1.0, "grounded": True, "label": True, "kind": "gold"},
        {"cos": 0.8, "lex": 0.7, "grounded": True, "label": True, "kind": "gold clause"},
        {"cos": 0.6, "lex": 0.25, "grounded": False, "label": False, "kind": "other chunk"},
        {"cos": 0.97, "lex": 0.95, "grounded": False, "label": False, "kind": "number changed"},
    ]
    fit = fit_support(pairs)
    assert fit["accuracy"] == 1.0 and fit["content_accuracy"] == 1.0
    # the other chunk's sentence would pass a looser rule if it happened to be grounded: the fit rejects it
    assert fit["support_cos"] > 0.6 and fit["support_lex"] > 0.25
    assert fit["support_cos"] <= 0.8 or fit["support_lex"] <= 0.7


def test_support_pairs_from_gold_spans_and_real_chunks(real_chunks):
    text, chunks = real_chunks
    items = load_dataset()
    split = make_split(items)
    cal = select(items, "calibration", split)
    gold = locate_spans(items, {SOURCE.name: text})
    queries = {it.id: it.question for it in cal}
    pairs = support_pairs(cal, gold, chunks, queries=queries)
    assert pairs == support_pairs(cal, gold, chunks, queries=queries)  # seeded
    kinds = Counter(p["kind"] for p in pairs)
    assert set(kinds) == {"gold", "gold clause", "other chunk", "number changed", "name swapped", "reworded answer",
                          "reworded answer, other chunk"}
    by_id = {it.id: it for it in cal}
    for p in pairs:
        chunk = p["chunk"]
        if p["kind"] in ("gold", "gold clause"):
            assert p["label"] and p["claim"] in chunk.text
        elif p["kind"] in ("number changed", "name swapped"):
            assert not p["label"] and p["claim"] not in chunk.text
        else:
            assert p["label"] == (p["kind"] == "reworded answer")
    # the unrelated chunk of an "other chunk" pair overlaps no gold span of that question
    for p in (p for p in pairs if p["kind"] == "reworded answer, other chunk"):
        item = next(it for it in cal if p["claim"] == answer_claim(queries[it.id], it.must_include))
        assert not overlaps(p["chunk"].source, p["chunk"].start, p["chunk"].end, gold[item.id])
    reworded = [p["claim"] for p in pairs if p["kind"] == "reworded answer"]
    assert not any(by_id[i].category == "french" and answer_claim(q, by_id[i].must_include) in reworded
                   for i, q in queries.items())
    assert answer_claim("When did it start?", ["October 2022"]) == "When did it start: October 2022."


def test_perturbations_change_the_claim_to_something_the_passage_does_not_say():
    rng = random.Random(13)
    context = "Unicancer is a member of UICC since 2015. HOPE is based in Brussels."
    changed = perturb_number("Unicancer is a member of UICC since 2015.", context, rng)
    assert changed and changed != "Unicancer is a member of UICC since 2015." and "2015" not in changed
    swapped = perturb_name("Unicancer is a member of UICC since 2015.", context, ["UICC", "HOPE", "EORTC"], rng)
    assert swapped == "Unicancer is a member of EORTC since 2015."
    assert perturb_number("No digits here.", context, rng) is None


# -- the gate

def test_committed_baseline_is_complete_and_the_comparison_fails_below_tolerance():
    base = load_baseline(BASELINE_FILE)
    assert set(GATED) <= set(base["gated"]) and base["split"] == "test" and base["mode"] == "extractive"
    for m in GATED:
        assert 0.0 <= base["metrics"][m] <= 1.0
    same = {**base["metrics"], "split": base["split"], "mode": base["mode"], "k": base["k"]}
    assert compare(same, base) == []
    tol = base["tolerance"]
    within = {**same, "hit@5": base["metrics"]["hit@5"] - tol / 2}
    assert compare(within, base) == []
    below = {**same, "mrr@10": base["metrics"]["mrr@10"] - tol - 0.01}
    assert [p for p in compare(below, base) if p.startswith("mrr@10")]
    # false refusals: lower is better, so the gate fails above the baseline plus the tolerance
    more_refused = {**same, "false_refusal_rate": base["metrics"]["false_refusal_rate"] + tol + 0.01}
    assert [p for p in compare(more_refused, base) if p.startswith("false_refusal_rate")]
    assert compare({**same, "false_refusal_rate": 0.0}, base) == []
    other_split = {**same, "split": "all"}
    assert any("not comparable" in p for p in compare(other_split, base))


def test_dataset_default_path_is_the_packaged_set():
    assert DEFAULT_DATASET == ROOT / "evals" / "datasets" / "unicancer.jsonl"


# -- the corpus threshold's quantile (evals.refusal_calibrate)

def _half(corpus: str, answerable: list[float], unanswerable: list[float], pseudo: list[float]):
    from evals.refusal_calibrate import Half
    from evals.refusal_fit import Record

    records = ([Record(corpus, {"best_cos": x}, True) for x in answerable]
               + [Record(corpus, {"best_cos": x}, False) for x in unanswerable])
    return Half(records, [{"best_cos": x} for x in pseudo])


IDENTITY = {"features": ["best_cos"], "mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0,
            "threshold": 0.01}  # probability = logistic(best_cos)


def test_each_half_is_judged_under_its_own_pseudo_questions_threshold():
    from evals.refusal_calibrate import corpus_rates

    # pseudo-questions (unanswerable by construction) at -4..-0.1: their median sits near -2
    pseudo = [-4 + 0.1 * i for i in range(40)]
    half = _half("a", answerable=[1.0, 2.0, 3.0, -3.0], unanswerable=[-3.5, -1.0, -2.5, -0.5], pseudo=pseudo)
    f = corpus_rates(half, IDENTITY, 0.5, cap=0.9)
    t = np.quantile(1 / (1 + np.exp(-np.array(pseudo))), 0.5)
    assert f["threshold"] == pytest.approx(t, abs=1e-6)
    # refused: the unanswerable -3.5 and -2.5 (below -2.05), and the answerable -3.0
    assert (f["refusal_accuracy"], f["false_refusal_rate"]) == (0.5, 0.25)
    assert corpus_rates(_half("b", [1.0], [-1.0], []), IDENTITY, 0.5, 0.9) is None  # no pseudo-questions


def test_the_quantile_is_the_best_that_keeps_false_refusals_under_the_cap_everywhere():
    from evals.refusal_calibrate import QUANTILES, choose_quantile

    pseudo = [-4 + 0.1 * i for i in range(40)]  # quantile q sits at about -4 + 4q
    # corpus a: answerable questions from -1.5 up, one in ten at -1.5: a threshold above -1.5 refuses it
    a = _half("a", answerable=[-1.5] + [2.0] * 9, unanswerable=[-3.5, -2.5, -1.8, -1.6], pseudo=pseudo)
    b = _half("b", answerable=[3.0] * 10, unanswerable=[-3.0, -2.0, -1.0, 1.0], pseudo=pseudo)
    q = choose_quantile(IDENTITY, [a, b], cap=0.999, max_false_refusal=0.0)
    probs = 1 / (1 + np.exp(-np.array(pseudo)))
    keeps_a = [float(x) for x in QUANTILES if np.quantile(probs, x) <= 1 / (1 + np.exp(1.5))]
    assert q == max(keeps_a)  # the highest that refuses no answerable question of a (b has none to lose)
    looser = choose_quantile(IDENTITY, [a, b], cap=0.999, max_false_refusal=0.1, margin_se=0.0)
    assert looser > q  # one false refusal in ten allowed on a: a higher quantile refuses more of b
    # with one standard error to spare (the default), one in ten of ten questions is not under a cap of 0.1...
    assert choose_quantile(IDENTITY, [a, b], cap=0.999, max_false_refusal=0.1) == q
    # ...but one in twenty of two hundred is (0.05 + 0.015 <= 0.1)
    big = _half("a", answerable=[-1.5] * 10 + [2.0] * 190, unanswerable=[-3.5, -2.5, -1.8, -1.6], pseudo=pseudo)
    assert choose_quantile(IDENTITY, [big, b], cap=0.999, max_false_refusal=0.1) > q
