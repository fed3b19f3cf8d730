"""The refusal model: a logistic regression over corpus-relative signals (``assistant.signals``), fitted on the
questions of several corpora at once so that one threshold holds on corpora it was not fitted on.

Each corpus weighs the same in the fit, and within a corpus answerable and unanswerable questions weigh the
same (a corpus with many questions, or few unanswerable ones, does not dominate). The threshold on the
predicted probability is the one with the best mean balanced accuracy over the corpora among those whose
false-refusal rate is at most ``max_false_refusal`` on every corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.signals import logistic

MAX_FALSE_REFUSAL = 0.05  # the product target: at most 1 answerable question in 20 refused, on every corpus
# the signals the model uses: the best sentence's cosine, the best document's share of the question's IDF mass,
# the share of it the corpus never uses, and how far the best document stands above the next (words, cosine);
# chosen on the fit halves (the raw margins alone, or all eight signals, did worse on the check halves)
MODEL_FEATURES = ("best_cos", "lex_doc", "oov", "lex_margin", "dense_doc_margin")
REGULARISATION = 1.0  # inverse L2 strength of the logistic regression (sklearn's C)
THRESHOLD_STEPS = 400  # candidate thresholds tried between the lowest and highest probability


@dataclass(frozen=True)
class Record:
    """One question: its corpus, the gate's signals, and whether the corpus answers it."""

    corpus: str
    signals: dict
    answerable: bool

    @property
    def forced(self) -> bool:
        """Refused by a rule whatever the model says (a count the passages do not give)."""
        return self.signals.get("quantity_evidence") is False


def _matrix(records: Sequence[Record], features: Sequence[str]) -> np.ndarray:
    return np.array([[float(r.signals.get(f, 0.0)) for f in features] for r in records], dtype=float)


def _weights(records: Sequence[Record]) -> np.ndarray:
    corpora = sorted({r.corpus for r in records})
    w = np.zeros(len(records))
    for c in corpora:
        for ans in (True, False):
            idx = [i for i, r in enumerate(records) if r.corpus == c and r.answerable == ans]
            if idx:
                w[idx] = 1.0 / (len(corpora) * 2 * len(idx))
    return w * len(records)


def rates(records: Sequence[Record], probs: np.ndarray, threshold: float) -> dict[str, dict[str, float]]:
    """Per corpus: refusal accuracy on unanswerable questions, false-refusal rate, balanced accuracy, counts."""
    out: dict[str, dict[str, float]] = {}
    refused = np.array([r.forced for r in records]) | (probs < threshold)
    for c in sorted({r.corpus for r in records}):
        ans = np.array([r.corpus == c and r.answerable for r in records])
        una = np.array([r.corpus == c and not r.answerable for r in records])
        ra = float(refused[una].mean()) if una.any() else 1.0
        fr = float(refused[ans].mean()) if ans.any() else 0.0
        out[c] = {"refusal_accuracy": round(ra, 4), "false_refusal_rate": round(fr, 4),
                  "balanced_accuracy": round((ra + 1 - fr) / 2, 4), "answerable": int(ans.sum()),
                  "unanswerable": int(una.sum())}
    return out


def fit(records: Sequence[Record], features: Sequence[str] = MODEL_FEATURES,
        max_false_refusal: float = MAX_FALSE_REFUSAL) -> dict:
    """A ``refusal_model`` for ``assistant/calibration.json`` (see :func:`assistant.signals.logistic`)."""
    from sklearn.linear_model import LogisticRegression

    usable = [r for r in records if not r.forced]
    if len({r.answerable for r in usable}) < 2:
        raise ValueError("the refusal model needs answerable and unanswerable questions")
    x = _matrix(usable, features)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    y = np.array([r.answerable for r in usable], dtype=int)
    clf = LogisticRegression(C=REGULARISATION, max_iter=1000)
    clf.fit((x - mean) / scale, y, sample_weight=_weights(usable))
    model = {"name": "logistic", "features": list(features), "mean": [round(float(v), 6) for v in mean],
             "scale": [round(float(v), 6) for v in scale], "coef": [round(float(v), 6) for v in clf.coef_[0]],
             "intercept": round(float(clf.intercept_[0]), 6), "threshold": 0.5}
    probs = np.array([logistic(r.signals, model) for r in records])
    best = None
    for t in np.linspace(probs.min(), probs.max(), THRESHOLD_STEPS):
        per = rates(records, probs, float(t))
        if any(v["false_refusal_rate"] > max_false_refusal + 1e-12 for v in per.values()):
            continue
        key = float(np.mean([v["balanced_accuracy"] for v in per.values()]))
        if best is None or key > best[0] + 1e-12:
            best = (key, float(t), per)
    if best is None:  # no threshold meets the cap everywhere: refuse nothing but the forced ones
        t = float(probs.min()) - 1e-6
        best = (0.0, t, rates(records, probs, t))
    model["threshold"] = round(best[1], 6)
    model["fitted_on"] = {"corpora": best[2], "max_false_refusal": max_false_refusal,
                          "mean_balanced_accuracy": round(best[0], 4)}
    return model


def evaluate(records: Sequence[Record], model: dict) -> dict[str, dict[str, float]]:
    """Per-corpus refusal figures of a fitted model on (other) records."""
    probs = np.array([logistic(r.signals, model) for r in records])
    return rates(records, probs, float(model["threshold"]))
