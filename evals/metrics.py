"""IR metrics through pytrec_eval (the trec_eval measures), with our names for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id -> {doc id: relevance}
Ranking = Sequence[str]  # doc ids, best first

# our name -> (trec_eval measure to request, key in pytrec_eval's output, ranking depth evaluated)
RETRIEVAL_MEASURES: dict[str, tuple[str, str, int | None]] = {
    "hit@1": ("success.1", "success_1", None),
    "hit@3": ("success.3", "success_3", None),
    "hit@5": ("success.5", "success_5", None),
    "mrr@10": ("recip_rank", "recip_rank", 10),  # trec_eval's recip_rank has no cut-off: truncate the run
    "ndcg@10": ("ndcg_cut.10", "ndcg_cut_10", None),
    "recall@5": ("recall.5", "recall_5", None),
    "recall@100": ("recall.100", "recall_100", None),
}


def as_run(ranking: Ranking, depth: int | None = None) -> dict[str, float]:
    """A ranking as a trec run: strictly decreasing scores, so pytrec_eval keeps our order (no tie-breaks)."""
    ids = list(dict.fromkeys(ranking))[:depth]
    return {doc: float(len(ids) - i) for i, doc in enumerate(ids)}


def evaluate(qrels: Qrels, rankings: Mapping[str, Ranking], names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per-query values of the measures ``names`` (keys of :data:`RETRIEVAL_MEASURES`).

    Only queries with at least one relevant document are evaluated (as trec_eval does); a query without a
    ranking counts as retrieving nothing.
    """
    import pytrec_eval

    judged = {q: {d: int(r) for d, r in docs.items()} for q, docs in qrels.items() if any(docs.values())}
    out: dict[str, dict[str, float]] = {q: {} for q in judged}
    by_depth: dict[int | None, list[str]] = {}
    for name in names:
        by_depth.setdefault(RETRIEVAL_MEASURES[name][2], []).append(name)
    for depth, group in by_depth.items():
        evaluator = pytrec_eval.RelevanceEvaluator(judged, {RETRIEVAL_MEASURES[n][0] for n in group})
        # pytrec_eval skips queries absent from the run: give those an empty-ish run that retrieves nothing
        run = {q: as_run(rankings.get(q, ()), depth) or {"\u2205": 0.0} for q in judged}
        scores = evaluator.evaluate(run)
        for q in judged:
            for n in group:
                out[q][n] = float(scores[q][RETRIEVAL_MEASURES[n][1]])
    return out


def mean_of(per_query: Mapping[str, Mapping[str, float]], name: str, queries: Sequence[str] | None = None
            ) -> float | None:
    """Mean of one measure over ``queries`` (default all); None when there is none."""
    keys = list(per_query) if queries is None else [q for q in queries if q in per_query]
    if not keys:
        return None
    return sum(per_query[q][name] for q in keys) / len(keys)
