"""The Unicancer eval end to end (real corpus, real model, real Chroma, fresh temp index): the regression gate
against ``evals/baseline.json``, the per-question records, the report files, calibration and ``uca eval``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from common.lang import available, get
from evals.baseline import GATED, compare, load_baseline
from evals.calibrate import write_thresholds
from evals.report import write_report
from evals.runner import open_context, run_eval
from evals.split import select
from ingest.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "corpus" / "unicancer-international.txt"
DATASET = ROOT / "evals" / "datasets" / "unicancer.jsonl"
PNG = b"\x89PNG\r\n\x1a\n"


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    base = tmp_path_factory.mktemp("evals")
    (base / "corpus").mkdir()
    shutil.copy(SOURCE, base / "corpus" / SOURCE.name)
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index")
    context = open_context(settings)  # ingests into the fresh index, committed thresholds
    assert context.ingest["embedded"] == context.ingest["chunks"] > 0
    return context


@pytest.fixture(scope="module")
def gate_run(ctx):
    base = load_baseline()
    return run_eval(ctx, base["split"], k=base["k"], mode=base["mode"])


def test_no_regression_against_the_committed_baseline(gate_run):
    results, _ = gate_run
    base = load_baseline()
    problems = compare(results, base)
    figures = {m: results[m] for m in GATED}
    assert not problems, f"eval regressed: {problems}; figures {figures}; if intended, run " \
                         "`uca eval --update-baseline` and commit evals/baseline.json with the change"


def test_records_are_consistent_with_labels_and_answers(ctx, gate_run):
    results, records = gate_run
    assert results["split"] == "test" and results["n_questions"] == len(records) == len(ctx.split["test"])
    assert {r["id"] for r in records}.isdisjoint(ctx.split["calibration"])
    for r in records:
        ranked = [p["id"] for p in r["retrieved"]]
        assert len(ranked) == 10
        assert ranked[: len(r["passages_used"])] == r["passages_used"]  # the answer's passages head the ranking
        relevant = ctx.qrels.get(r["id"], {})
        assert [p["relevant"] for p in r["retrieved"]] == [p in relevant for p in ranked]
        if r["answerable"]:
            assert r["hit"] == any(p["relevant"] for p in r["retrieved"][:5])
            assert r["retrieval"]["hit@5"] == float(r["hit"])
        refusals = {get(code).texts["refusal"] for code in available()}  # in the question's language
        assert r["refused"] == (r["answer"] in refusals)
        if r["must_include_ok"]:
            assert all(_plain(s) in _plain(r["answer"]) for s in r["must_include"])
        assert r["latency"] > 0
    # per-category figures are the same metrics on the category's questions
    cats = results["per_category"]
    assert sum(c["n_questions"] for c in cats.values()) == results["n_questions"]
    unanswerable = [r for r in records if not r["answerable"]]
    assert results["refusal_accuracy"] == pytest.approx(sum(r["refused"] for r in unanswerable) / len(unanswerable),
                                                        abs=1e-4)


def test_report_files_with_charts(gate_run, tmp_path):
    results, records = gate_run
    paths = write_report(results, records, tmp_path / "out")
    for name in ("categories", "latency"):
        assert paths[name].read_bytes()[:8] == PNG and paths[name].stat().st_size > 5000
    md = paths["report"].read_text(encoding="utf-8")
    assert "![metrics per category](categories.png)" in md and "![latency histogram](latency.png)" in md
    assert "figures from the test split" in md
    for r in records:
        assert f"| {r['id']} |" in md
    saved = json.loads(paths["results"].read_text(encoding="utf-8"))
    assert saved["hit@5"] == results["hit@5"] and len(saved["records"]) == len(records)
    assert {"question", "query", "retrieved", "answer", "citations", "hit"} <= set(saved["records"][0])


def test_calibration_on_the_calibration_split(ctx, tmp_path):
    from evals.calibrate import calibrate

    out = calibrate(ctx)
    cal = out["calibration"]
    assert cal["split"] == "calibration" and cal["seed"] == 13
    assert set(cal["question_ids"]) == {it.id for it in select(ctx.items, "calibration", ctx.split)}
    assert 0 <= out["refusal_weight"] <= 1 and 0 < out["refusal_threshold"] < 1
    assert 0 <= out["support_cos"] <= 1 and 0 <= out["support_lex"] <= 1
    ref = cal["refusal"]
    assert ref["balanced_accuracy"] >= 0.8, ref
    assert ref["unanswerable"] >= 5 and ref["answerable"] >= 20
    sup = cal["support"]
    assert sup["positives"] >= 20 and sup["negatives"] >= sup["positives"]
    assert sup["accuracy"] >= 0.9 and sup["false_support_rate"] == 0.0, sup
    for kind in ("gold", "number changed", "name swapped", "other chunk"):  # verbatim and perturbed: all right
        assert sup["by_kind"][kind]["accuracy"] == 1.0, (kind, sup)
    path = tmp_path / "thresholds.json"
    write_thresholds(out, path)
    # the assistant reads the written file: refusal decisions follow the fitted rule
    from assistant.core import Assistant

    bot = Assistant(ctx.settings.model_copy(update={"thresholds_file": path}), embedder=ctx.bot.embedder)
    assert bot.thresholds["refusal_threshold"] == out["refusal_threshold"]
    for question in ("Who is the CEO of Unicancer?", "Where is HOPE's head office?"):
        a = bot.ask(question)
        w = out["refusal_weight"]
        conf = w * a.signals["best_cos"] + (1 - w) * a.signals["coverage"]
        assert a.refused == (conf < out["refusal_threshold"]), (question, conf)


def test_cli_json_out_and_a_failing_gate(ctx, tmp_path, capsys):
    from uca.cli import main

    subset = tmp_path / "subset.jsonl"
    wanted = {"fact-16", "follow-02", "unans-01"}
    subset.write_text("".join(line for line in DATASET.read_text(encoding="utf-8").splitlines(keepends=True)
                              if json.loads(line)["id"] in wanted), encoding="utf-8")
    common = ["eval", "--corpus", str(ctx.settings.corpus_dir), "--index", str(ctx.settings.index_dir),
              "--dataset", str(subset), "--split", "all", "--quiet"]
    assert main([*common, "--json", "--out", str(tmp_path / "out")]) == 0
    out = json.loads(capsys.readouterr().out)
    keys = {"hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5", "must_include_accuracy", "refusal_accuracy",
            "false_refusal_rate", "citation_precision", "flagged_claim_rate", "latency_p50", "latency_p95",
            "per_category", "n_questions", "split"}
    assert keys <= set(out) and out["n_questions"] == 3 and out["split"] == "all"
    assert set(out["per_category"]) == {"fact", "follow-up", "unanswerable"}
    assert (tmp_path / "out" / "report.md").exists() and (tmp_path / "out" / "categories.png").exists()
    # a baseline this run cannot reach: the gate fails with exit code 1 and names the metric
    high = {"split": "all", "mode": "extractive", "k": 5, "tolerance": 0.02, "gated": list(GATED),
            "metrics": {m: 1.0 for m in GATED} | {"mrr@10": 1.5}}
    (tmp_path / "high.json").write_text(json.dumps(high), encoding="utf-8")
    assert main([*common, "--check-baseline", "--baseline", str(tmp_path / "high.json")]) == 1
    assert "REGRESSION: mrr@10" in capsys.readouterr().err
