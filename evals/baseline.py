"""The regression gate: committed figures (``evals/baseline.json``) that an eval must not fall below."""

from __future__ import annotations

import json
from pathlib import Path

BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
GATED = ("hit@5", "mrr@10", "must_include_accuracy", "refusal_accuracy", "false_refusal_rate")
LOWER_IS_BETTER = frozenset({"false_refusal_rate"})
TOLERANCE = 0.02
RECORDED = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5", "must_include_accuracy", "refusal_accuracy",
            "false_refusal_rate", "citation_precision", "flagged_claim_rate", "decision_accuracy", "n_questions")


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
    tol = float(baseline.get("tolerance", TOLERANCE))
    for metric in baseline.get("gated", GATED):
        base, value = baseline["metrics"].get(metric), results.get(metric)
        if base is None:
            continue
        if metric in LOWER_IS_BETTER:
            if value is None or value > base + tol + 1e-9:
                problems.append(f"{metric} = {value} is above the baseline {base} + {tol}")
        elif value is None or value < base - tol - 1e-9:
            problems.append(f"{metric} = {value} is below the baseline {base} - {tol}")
    return problems
