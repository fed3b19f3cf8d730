"""``--out DIR``: ``results.json`` (summary + per-question records), PNG charts and ``report.md`` embedding them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

CATEGORY_METRICS = ("hit@5", "mrr@10", "must_include_accuracy", "decision_accuracy")
SUMMARY_ROWS = [
    ("hit@1", "Hit@1"), ("hit@3", "Hit@3"), ("hit@5", "Hit@5"), ("mrr@10", "MRR@10"), ("ndcg@10", "nDCG@10"),
    ("recall@5", "Recall@5"), ("must_include_accuracy", "must_include accuracy (answerable)"),
    ("refusal_accuracy", "refusal accuracy (unanswerable)"), ("false_refusal_rate", "false-refusal rate (answerable)"),
    ("citation_precision", "citation precision"), ("flagged_claim_rate", "flagged (unsupported) claims"),
    ("decision_accuracy", "answer/refuse decision accuracy"), ("latency_p50", "latency p50 (s)"),
    ("latency_p95", "latency p95 (s)"),
]


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def category_chart(results: dict, path: Path) -> None:
    """Grouped bars: the main metrics of each category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = list(results["per_category"])
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 * len(cats) + 3.5), 4.2))
    width = 0.8 / len(CATEGORY_METRICS)
    for j, metric in enumerate(CATEGORY_METRICS):
        values = [results["per_category"][c].get(metric) for c in cats]
        xs = [i + (j - (len(CATEGORY_METRICS) - 1) / 2) * width for i in range(len(cats))]
        ax.bar([x for x, v in zip(xs, values, strict=True) if v is not None],
               [v for v in values if v is not None], width, label=metric)
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels([f"{c}\n(n={results['per_category'][c]['n_questions']})" for c in cats], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"Metrics per category ({results['split']} split)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_chart(records: Sequence[dict], results: dict, path: Path) -> None:
    """Histogram of per-question answer latency, with p50 and p95."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat = [r["latency"] for r in records]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)), color="#4c72b0")
    for key, style in (("latency_p50", "--"), ("latency_p95", ":")):
        if results.get(key) is not None:
            ax.axvline(results[key], color="black", linestyle=style, label=f"{key[8:]} = {results[key]:.2f} s")
    ax.set_xlabel("seconds per question (Assistant.ask)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(results: dict, records: Sequence[dict], charts: dict[str, str]) -> str:
    """The report text."""
    r = results
    lines = [
        "# Unicancer eval report", "",
        f"**{r['split_note']}.** Split `{r['split']}` ({r['n_questions']} questions: {r['n_answerable']} answerable, "
        f"{r['n_unanswerable']} to refuse); split from {r['split_source']}.", "",
        f"Dataset `{r['dataset']}`, answer mode `{r['mode']}`, k = {r['k']}, embedding model `{r['embedding_model']}`, "
        f"{r['date']}. Thresholds: " + ", ".join(f"{k} = {v}" for k, v in r["thresholds"].items()) +
        (f" (calibrated on the `{r['thresholds_calibrated_on']}` split)." if r["thresholds_calibrated_on"] else "."),
        "",
        "Retrieval metrics come from pytrec_eval over the answerable questions; a passage is relevant when its "
        "character range overlaps a gold span. Citation precision counts the citations of answered, answerable "
        "questions.", "",
        "| metric | value |", "|---|---|",
        *(f"| {label} | {_fmt(r.get(key))} |" for key, label in SUMMARY_ROWS),
        "", "## Per category", "",
        "| category | n | Hit@5 | MRR@10 | nDCG@10 | must_include | refusal acc. | false refusal | citation prec. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cat, m in r["per_category"].items():
        lines.append(f"| {cat} | {m['n_questions']} | {_fmt(m['hit@5'])} | {_fmt(m['mrr@10'])} | "
                     f"{_fmt(m['ndcg@10'])} | {_fmt(m['must_include_accuracy'])} | {_fmt(m['refusal_accuracy'])} | "
                     f"{_fmt(m['false_refusal_rate'])} | {_fmt(m['citation_precision'])} |")
    lines += ["", f"![metrics per category]({charts['categories']})", "",
              f"![latency histogram]({charts['latency']})", "", "## Failures", ""]
    for kind, ids in r["failures"].items():
        lines.append(f"- **{kind}** ({len(ids)}): {', '.join(ids) if ids else 'none'}")
    lines += ["", "## Questions", "",
              "| id | category | hit@5 | refused | must_include | query (rewritten) | answer |",
              "|---|---|---|---|---|---|---|"]
    for rec in records:
        hit = "–" if rec["hit"] is None else ("hit" if rec["hit"] else "**miss**")
        ok = "–" if rec["must_include_ok"] is None else ("ok" if rec["must_include_ok"] else "**missing**")
        refused = "yes" if rec["refused"] else "no"
        if rec["refused"] == rec["answerable"]:
            refused = f"**{refused}**"
        answer = rec["answer"].replace("\n", " ").replace("|", "\\|")
        query = rec["query"].replace("|", "\\|")
        lines.append(f"| {rec['id']} | {rec['category']} | {hit} | {refused} | {ok} | {query[:90]} | "
                     f"{answer[:140]}{'…' if len(answer) > 140 else ''} |")
    lines += ["", "Full records (retrieved passages, citations, signals, timings) are in `results.json`.", ""]
    return "\n".join(lines)


def write_report(results: dict, records: Sequence[dict], out_dir: Path) -> dict[str, Path]:
    """Write ``results.json``, ``categories.png``, ``latency.png`` and ``report.md`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json", "categories": out_dir / "categories.png",
             "latency": out_dir / "latency.png", "report": out_dir / "report.md"}
    paths["results"].write_text(json.dumps({**results, "records": list(records)}, indent=2, ensure_ascii=False)
                                + "\n", encoding="utf-8")
    category_chart(results, paths["categories"])
    latency_chart(records, results, paths["latency"])
    charts = {k: paths[k].name for k in ("categories", "latency")}
    paths["report"].write_text(markdown(results, records, charts), encoding="utf-8")
    return paths
