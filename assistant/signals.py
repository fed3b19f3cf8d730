"""Answerability signals that mean the same on any corpus: shares of the question's IDF mass (the corpus's own
word statistics), not raw similarities whose scale depends on the embedding model.

  * ``lex_best``: the best retrieved passage's share of the question's IDF mass (stemmed words found in it,
    its title and heading path);
  * ``lex_doc``: the same over all the retrieved passages of the best document together (an abstract whose
    question words are spread over its sections);
  * ``oov``: the share of the question's IDF mass on words the corpus never uses (a name it does not know);
  * ``dense_margin``: how far the best passage's cosine stands above the others retrieved (the scale of the
    model's cosines cancels out in a difference);
  * ``lex_margin``, ``dense_doc_margin``: how far the best document stands above the best other document
    retrieved (by ``lex_doc``, by cosine): a question the corpus answers singles out its document, one it
    does not answer matches several documents alike. With one document retrieved, the margin over its other
    passages.

They are inputs of the refusal model fitted by ``uca eval --calibrate-refusal`` over several corpora
(``assistant/calibration.json``, ``refusal_model``); see ``assistant.steps.gate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence

from assistant.results import Passage

_EXP_GUARD = 60.0  # logits clipped to +-this before exp() (no overflow)
FEATURES = ("best_cos", "coverage", "lex_best", "lex_doc", "oov", "dense_margin", "lex_margin", "dense_doc_margin")


def _share(qtoks: Sequence[str], found: Collection[str], idf: Callable[[str], float]) -> float:
    total = sum(idf(t) for t in qtoks)
    return sum(idf(t) for t in qtoks if t in found) / total if total > 0 else 0.0


def lexical_signals(query_tokens: Sequence[str], passages: Sequence[Passage], passage_tokens: Callable[[Passage], set],
                    idf: Callable[[str], float], vocabulary: Collection[str]) -> dict[str, float]:
    """``lex_best``, ``lex_doc`` and ``oov`` of a question against its retrieved passages."""
    qtoks = list(dict.fromkeys(query_tokens))
    if not qtoks:
        return {"lex_best": 0.0, "lex_doc": 0.0, "oov": 0.0}
    per_passage = [passage_tokens(p) for p in passages]
    by_doc: dict[str, set] = {}
    for p, toks in zip(passages, per_passage, strict=True):
        by_doc.setdefault(p.source, set()).update(toks)
    doc_shares = sorted((_share(qtoks, t, idf) for t in by_doc.values()), reverse=True)
    passage_shares = sorted((_share(qtoks, t, idf) for t in per_passage), reverse=True)
    runner_up = doc_shares[1] if len(doc_shares) > 1 else (passage_shares[1] if len(passage_shares) > 1 else 0.0)
    return {
        "lex_best": round(passage_shares[0] if passage_shares else 0.0, 4),
        "lex_doc": round(doc_shares[0] if doc_shares else 0.0, 4),
        "oov": round(_share(qtoks, {t for t in qtoks if t not in vocabulary}, idf), 4),
        "lex_margin": round((doc_shares[0] if doc_shares else 0.0) - runner_up, 4),
    }


def dense_margin(passages: Sequence[Passage]) -> float:
    """Best cosine minus the mean of the other retrieved passages' cosines (0 with fewer than two)."""
    cos = sorted((p.dense_score for p in passages if p.dense_score is not None), reverse=True)
    if len(cos) < 2:
        return 0.0
    return round(cos[0] - sum(cos[1:]) / (len(cos) - 1), 4)


NAME_PREFIX = 4  # a name is known when a corpus token starts like it ("Belgian" / "belgium", "EU" / "europ")


def name_prefixes(vocabulary: Collection[str]) -> frozenset[str]:
    """The first 1..NAME_PREFIX characters of every corpus token (built once per index)."""
    return frozenset(t[:n] for t in vocabulary for n in range(1, NAME_PREFIX + 1))


def unknown_names(question: str, prefixes: Collection[str], tokens: Callable[[str], list[str]]) -> list[str]:
    """Names of the question (acronyms, capitalised words; not numbers) that no corpus token even starts like:
    a question about something the documents never name cannot be answered from them. The prefix back-off
    forgives inflections, demonyms and abbreviations ("Belgian" for "Belgium", "EU" for "European")."""
    from assistant.citations import salient_terms

    out = []
    for term in sorted(salient_terms(question)):
        if term[0].isdigit():
            continue
        toks = tokens(term)
        if toks and not any(t[:NAME_PREFIX] in prefixes for t in toks):
            out.append(term)
    return out


def dense_doc_margin(passages: Sequence[Passage]) -> float:
    """Best cosine of the best document minus that of the best other document retrieved (one document: the
    margin over its other passages)."""
    best: dict[str, float] = {}
    for p in passages:
        if p.dense_score is not None:
            best[p.source] = max(best.get(p.source, -1.0), p.dense_score)
    tops = sorted(best.values(), reverse=True)
    if len(tops) > 1:
        return round(tops[0] - tops[1], 4)
    return dense_margin(passages)


def logistic(signals: dict[str, float], model: dict) -> float:
    """Probability that the question is answerable under a fitted ``refusal_model``
    (``{"features": [...], "mean": [...], "scale": [...], "coef": [...], "intercept": x}``)."""
    z = float(model["intercept"])
    for name, mean, scale, coef in zip(model["features"], model["mean"], model["scale"], model["coef"], strict=True):
        z += coef * (float(signals.get(name, 0.0)) - mean) / (scale or 1.0)
    return 1.0 / (1.0 + math.exp(-max(-_EXP_GUARD, min(_EXP_GUARD, z))))
