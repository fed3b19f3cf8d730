"""The regression gate: committed figures (``evals/baseline.json``) that an eval must not fall below."""

from __future__ import annotations

import json
from pathlib import Path

BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
GATED = ("hit@5", "mrr@10", "must_include_accuracy", "refusal_accuracy", "false_refusal_rate", "answer_relevance")
LOWER_IS_BETTER = frozenset({"false_refusal_rate"})
TOLERANCE = 0.02
RECORDED = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5", "must_include_accuracy", "refusal_accuracy",
            "false_refusal_rate", "citation_precision", "flagged_claim_rate", "decision_accuracy", "answer_relevance",
            "cited_sentence_relevance", "n_questions")


def make_baseline(results: dict, tolerance: float = TOLERANCE) -> dict:
    """The baseline object for ``results`` (what ``uca eval --update-baseline`` writes)."""
    return {
        "split": results["split"], "mode": results["mode"], "k": results["k"],
        "dataset": Path(results["dataset"]).name, "embedding_model": results["embedding_model"],
        "thresholds": results["thresholds"], "date": results["date"][:10],
        "tolerance": tolerance, "gated": list(GATED),
        "metrics": {m: results.get(m) for m in RECORDED},
        "note": "updated deliberately with `uca eval --update-baseline`, in the commit that moved the figures",
    }


def load_baseline(path: Path = BASELINE_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_baseline(baseline: dict, path: Path = BASELINE_FILE) -> None:
    Path(path).write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def compare(results: dict, baseline: dict) -> list[str]:
    """Regressions: each gated metric below its baseline value minus the tolerance (above plus the tolerance
    for a rate where lower is better: false refusals); an empty list is a pass."""
    problems = []
    for key in ("split", "mode", "k"):
        if results.get(key) != baseline.get(key):
            problems.append(f"not comparable: {key} is {results.get(key)!r}, the baseline's is {baseline.get(key)!r}")
    return problems + _below(results, baseline, baseline.get("gated", GATED))


# -- the public QA samples (``uca eval --squad/--pubmedqa ... --check-baseline``), one entry per dataset name
PUBLIC_BASELINE_FILE = Path(__file__).resolve().parent / "baseline_public.json"
PUBLIC_GATED = ("hit@1", "hit@5", "mrr@10", "doc_hit@1", "answer_contains_gold", "f1", "span_f1", "cites_gold_document",
                "false_refusal_rate", "refusal_accuracy")
PUBLIC_RUN_KEYS = ("sample", "seed", "holdout_frac", "k", "mode")  # what makes two runs comparable


def make_public_entry(results: dict, tolerance: float = TOLERANCE) -> dict:
    """The baseline entry of a public QA run (``--update-baseline`` with ``--squad``/``--pubmedqa``)."""
    return {
        **{k: results[k] for k in PUBLIC_RUN_KEYS}, "file": Path(results["path"]).name,
        "file_sha256": results["file_sha256"], "embedding_model": results["embedding_model"],
        "date": results["date"][:10], "tolerance": tolerance, "gated": list(PUBLIC_GATED),
        "metrics": {m: results.get(m) for m in PUBLIC_GATED},
        "baselines": {s: results["systems"][s] for s in ("bm25", "dense")},  # recorded, not gated
        "note": "updated deliberately with `uca eval --squad/--pubmedqa PATH --sample N --update-baseline`",
    }


def load_public_entry(name: str, path: Path = PUBLIC_BASELINE_FILE) -> dict | None:
    path = Path(path)
    if not path.exists():
        return None
    return load_baseline(path).get(name)


def write_public_entry(name: str, entry: dict, path: Path = PUBLIC_BASELINE_FILE) -> None:
    path = Path(path)
    data = load_baseline(path) if path.exists() else {}
    data[name] = entry
    write_baseline(dict(sorted(data.items())), path)


def compare_public(results: dict, entry: dict) -> list[str]:
    """Regressions of a public QA run against its baseline entry (same rules as :func:`compare`)."""
    problems = [f"not comparable: {k} is {results.get(k)!r}, the baseline's is {entry.get(k)!r}"
                for k in PUBLIC_RUN_KEYS if results.get(k) != entry.get(k)]
    if entry.get("file_sha256") and results.get("file_sha256") != entry["file_sha256"]:
        problems.append("not comparable: the dataset file differs from the one the baseline was measured on")
    return problems + _below(results, entry, entry.get("gated", PUBLIC_GATED))


def _below(results: dict, baseline: dict, gated) -> list[str]:
    problems = []
    tol = float(baseline.get("tolerance", TOLERANCE))
    for metric in gated:
        base, value = baseline["metrics"].get(metric), results.get(metric)
        if base is None:
            continue
        if metric in LOWER_IS_BETTER:
            if value is None or value > base + tol + 1e-9:
                problems.append(f"{metric} = {value} is above the baseline {base} + {tol}")
        elif value is None or value < base - tol - 1e-9:
            problems.append(f"{metric} = {value} is below the baseline {base} - {tol}")
    return problems
