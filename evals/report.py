"""``--out DIR``: ``results.json`` (summary + per-question records), PNG charts and ``report.md`` embedding them,
for the Unicancer eval and for the public QA sets (``--squad`` / ``--pubmedqa``)."""

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
    ("answer_relevance", "answer relevance (quoted sentences labelled answers that hold a gold span)"),
    ("cited_sentence_relevance", "quoted sentences that hold a gold span (all labels)"),
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
        "| category | n | Hit@5 | MRR@10 | nDCG@10 | must_include | refusal acc. | false refusal | citation prec. "
        "| answer relevance |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cat, m in r["per_category"].items():
        lines.append(f"| {cat} | {m['n_questions']} | {_fmt(m['hit@5'])} | {_fmt(m['mrr@10'])} | "
                     f"{_fmt(m['ndcg@10'])} | {_fmt(m['must_include_accuracy'])} | {_fmt(m['refusal_accuracy'])} | "
                     f"{_fmt(m['false_refusal_rate'])} | {_fmt(m['citation_precision'])} | "
                     f"{_fmt(m.get('answer_relevance'))} |")
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


# -- public QA sets (``uca eval --squad`` / ``--pubmedqa``)
QA_SYSTEM_METRICS = ("hit@1", "hit@5", "mrr@10", "doc_hit@1")
QA_ROWS = [
    ("answer_contains_gold", "answer contains the gold answer (answerable)"),
    ("f1", "SQuAD token F1 of the answer (answerable)"),
    ("span_f1", "SQuAD token F1 of the marked answer span (answerable)"),
    ("cites_gold_document", "answer cites the gold document (answered, answerable)"),
    ("false_refusal_rate", "false refusals (answerable refused)"),
    ("refusal_accuracy", "refusals of unanswerable questions"),
    ("latency_p50", "ask latency p50 (s)"), ("latency_p95", "ask latency p95 (s)"),
]
SYSTEM_NAMES = {"ours": "this assistant (fused, as answered)", "bm25": "plain BM25 (Retriever.lexical)",
                "dense": "dense only (Retriever.dense)"}


def format_qa(r: dict) -> str:
    """Plain-text summary of a public QA run."""
    lines = [f"{r['dataset']}: {r['n_questions']} questions ({r['n_answerable']} answerable, {r['n_unanswerable']} "
             f"unanswerable), {r['documents_indexed']} documents indexed, {r['documents_held_out']} held out, "
             f"k {r['k']}, {r['embedding_model']}",
             f"  {'system':<8} " + " ".join(f"{m:>9}" for m in QA_SYSTEM_METRICS)]
    for name, m in r["systems"].items():
        lines.append(f"  {name:<8} " + " ".join(f"{_fmt(m.get(x)):>9}" for x in QA_SYSTEM_METRICS))
    for key, label in QA_ROWS:
        lines.append(f"  {label:<58} {_fmt(r.get(key))}")
    if r.get("per_language"):
        lines.append("per language: n / hit@5 / false refusals / refusals of unanswerable")
        for lang, m in r["per_language"].items():
            lines.append(f"  {lang:<4} {m['n_questions']:<5} {_fmt(m['hit@5'])} / {_fmt(m['false_refusal_rate'])} / "
                         f"{_fmt(m['refusal_accuracy'])}")
    return "\n".join(lines)


def systems_chart(results: dict, path: Path) -> None:
    """Grouped bars: the retrieval figures of the assistant, plain BM25 and dense-only on the same index."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(results["systems"])
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    width = 0.8 / len(systems)
    for j, name in enumerate(systems):
        vals = [results["systems"][name].get(m) or 0.0 for m in QA_SYSTEM_METRICS]
        xs = [i + (j - (len(systems) - 1) / 2) * width for i in range(len(QA_SYSTEM_METRICS))]
        ax.bar(xs, vals, width, label=name)
    ax.set_xticks(range(len(QA_SYSTEM_METRICS)))
    ax.set_xticklabels(QA_SYSTEM_METRICS)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (answerable questions)")
    ax.set_title(f"Retrieval on {results['dataset']} (same index)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def qa_markdown(results: dict, records: Sequence[dict], charts: dict[str, str]) -> str:
    r = results
    sample = f", a seeded sample of {r['sample']} questions" if r.get("sample") else ""
    relevance = "overlaps the gold answer span" if r["relevance"] == "gold answer span" else \
        "is any part of it (document level)"
    lines = [
        f"# Public QA eval: {r['dataset']}", "",
        f"`{r['path']}` (sha256 {r['file_sha256'][:12]}…){sample}: {r['n_questions']} questions, "
        f"{r['n_answerable']} answerable and {r['n_unanswerable']} unanswerable (their article is one of the "
        f"{r['documents_held_out']} held out of the index, seed {r['seed']}, holdout {r['holdout_frac']}); "
        f"{r['documents_indexed']} documents indexed ({r['index'].get('chunks')} chunks). Answer mode `{r['mode']}`, "
        f"k = {r['k']}, embedding model `{r['embedding_model']}` ({r['embedding_backend']}), {r['date']}.", "",
        f"Relevance: a passage is relevant when it comes from the gold article and {relevance}; "
        "retrieval figures are over the answerable questions. The three systems search the same index: the "
        "assistant's ranking for the query it answered, BM25 alone and dense alone on the raw question.", "",
        "| system | " + " | ".join(QA_SYSTEM_METRICS) + " |", "|---" * (len(QA_SYSTEM_METRICS) + 1) + "|",
    ]
    for name, m in r["systems"].items():
        lines.append(f"| {SYSTEM_NAMES.get(name, name)} | " + " | ".join(_fmt(m.get(x)) for x in QA_SYSTEM_METRICS)
                     + " |")
    lines += ["", "| answer metric | value |", "|---|---|", *(f"| {label} | {_fmt(r.get(key))} |"
                                                            for key, label in QA_ROWS)]
    if r.get("per_language"):
        lines += ["", "## Per language of the question", "",
                  "| language | n | Hit@1 | Hit@5 | MRR@10 | contains gold | false refusals | refusals (unanswerable) "
                  "|",
                  "|---|---|---|---|---|---|---|---|"]
        for lang, m in r["per_language"].items():
            lines.append(f"| {lang} | {m['n_questions']} | {_fmt(m['hit@1'])} | {_fmt(m['hit@5'])} | "
                         f"{_fmt(m['mrr@10'])} | {_fmt(m['answer_contains_gold'])} | "
                         f"{_fmt(m['false_refusal_rate'])} | {_fmt(m['refusal_accuracy'])} |")
    lines += ["", f"![retrieval per system]({charts['systems']})", "", f"![latency histogram]({charts['latency']})",
              "", "## Questions", "", "| id | lang | answerable | hit@5 (ours / bm25 / dense) | refused | answer |",
              "|---|---|---|---|---|---|"]
    for rec in records:
        hits = " / ".join(("hit" if any(p["relevant"] for p in rec["rankings"][s][:5]) else "miss")
                          if rec["answerable"] else "–" for s in rec["rankings"])
        refused = "yes" if rec["refused"] else "no"
        if rec["refused"] == rec["answerable"]:
            refused = f"**{refused}**"
        answer = rec["answer"].replace("\n", " ").replace("|", "\\|")
        lines.append(f"| {rec['id']} | {rec['lang']} | {'yes' if rec['answerable'] else 'no'} | {hits} | {refused} "
                     f"| {answer[:120]}{'…' if len(answer) > 120 else ''} |")
    lines += ["", "Full records (rankings of the three systems, answers, citations, signals) are in `results.json`.",
              ""]
    return "\n".join(lines)


def write_qa_report(results: dict, records: Sequence[dict], out_dir: Path) -> dict[str, Path]:
    """``results.json``, ``systems.png``, ``latency.png`` and ``report.md`` of a public QA run."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json", "systems": out_dir / "systems.png",
             "latency": out_dir / "latency.png", "report": out_dir / "report.md"}
    paths["results"].write_text(json.dumps({**results, "records": list(records)}, indent=2, ensure_ascii=False)
                                + "\n", encoding="utf-8")
    systems_chart(results, paths["systems"])
    latency_chart(records, results, paths["latency"])
    paths["report"].write_text(qa_markdown(results, records, {k: paths[k].name for k in ("systems", "latency")}),
                               encoding="utf-8")
    return paths
