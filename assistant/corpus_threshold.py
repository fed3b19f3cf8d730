"""The refusal threshold fitted to the indexed corpus, from the corpus's own pseudo-questions.

The refusal model (``refusal_model`` in ``assistant/calibration.json``) gives each question the probability
that the documents answer it. Its threshold was fitted on a few corpora, but where the probabilities of
unanswerable questions lie moves from corpus to corpus (measured: the threshold that refuses 80% of them is
0.16-0.20 on PIAF halves and 0.20-0.35 on PubMedQA halves), so one threshold refuses too little on some.

Here each corpus gets its own. Pseudo-questions are drawn from its sentences (a sentence with a run of its words
and a few others dropped; nothing language-specific) and each is asked with its own document left out of the
search, as if that document were not indexed (``Retriever.retrieve(exclude=...)``; its own words count as
unknown to the corpus). Its answer is then not in the corpus: these are unanswerable questions with this
corpus's vocabulary, document lengths and near neighbours. A pseudo-question whose passage has a near-duplicate
in another document is dropped (it is answerable there). The threshold is the ``UCA_CORPUS_THRESHOLD_QUANTILE``
quantile of their probabilities (refuse that share of the corpus's unanswerable questions), never below the
model's own threshold and never above ``UCA_CORPUS_THRESHOLD_MAX``.

A corpus of fewer than ``UCA_CORPUS_THRESHOLD_MIN_DOCUMENTS`` documents keeps the model's threshold (leaving a
document out of one or two leaves nothing like the questions people ask). The fit is stored beside the index
(``corpus_threshold.json``) with the index it was made on (generation and chunk ids), the refusal model and the
settings it used; a stale one is not used (the model's threshold is, and the trace says which).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.retrieval import _jaccard  # the same near-duplicate measure as retrieval's dedup
from assistant.signals import FEATURES, logistic
from common.text import split_sentences
from ingest.lexical import tokenize

if TYPE_CHECKING:
    from assistant.core import Assistant

FILE = "corpus_threshold.json"
# how a sentence becomes a pseudo-question: a run of this share of its words dropped (the answer a question
# leaves out), then each other word dropped with this probability (a question does not repeat every word)
DROP_RUN = 0.4
DROP_WORD = 0.2
SENTENCE_WORDS = (8, 45)  # sentences of this many words make pseudo-questions (not headings, not walls)
MIN_WORDS = 3  # fewer words left: not a question
TRIES_PER_QUESTION = 5  # draws allowed per wanted pseudo-question (short chunks, twins, small talk)


DEFAULT_QUANTILE = 0.75  # when neither the refusal model nor UCA_CORPUS_THRESHOLD_QUANTILE gives one


def quantile_of(bot: Assistant) -> float:
    """The share of the pseudo-questions to refuse: the setting, else the one --calibrate-refusal chose with
    the refusal model (``corpus_quantile``), else the default."""
    if bot.settings.corpus_threshold_quantile is not None:
        return float(bot.settings.corpus_threshold_quantile)
    model = bot.thresholds.refusal_model or {}
    return float(model.get("corpus_quantile", DEFAULT_QUANTILE))


def threshold_at(probs, quantile: float, floor: float, cap: float) -> float:
    """The ``quantile`` of the pseudo-questions' probabilities, kept within [floor, max(floor, cap)]."""
    import numpy as np

    at = float(np.quantile(np.asarray(probs, dtype=float), quantile))
    return round(min(max(at, floor), max(floor, cap)), 6)


def index_key(view) -> str:
    """What the fit was made on: the generation and a hash of the live chunk ids (a chunk id hashes its
    document and text), so a rebuilt index that starts its generations again is not taken for the old one."""
    digest = hashlib.sha256("\n".join(sorted(view.live)).encode()).hexdigest()[:16]
    return f"{view.generation}:{digest}"


def _fingerprint(model: dict) -> str:
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:16]


def _wanted(bot: Assistant) -> dict:
    s = bot.settings
    return {"questions": s.corpus_threshold_questions, "quantile": quantile_of(bot),
            "max": s.corpus_threshold_max, "min_documents": s.corpus_threshold_min_documents,
            "seed": s.corpus_threshold_seed}


def pseudo_question(rng: random.Random, text: str) -> str | None:
    """A question-like fragment of one of ``text``'s sentences, or None when it has no usable sentence."""
    sentences = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    sentences = [x for x in sentences if SENTENCE_WORDS[0] <= len(x.split()) <= SENTENCE_WORDS[1]]
    if not sentences:
        return None
    words = rng.choice(sentences).split()
    run = max(1, int(DROP_RUN * len(words)))
    at = rng.randrange(0, len(words) - run + 1)
    kept = [w for w in words[:at] + words[at + run:] if rng.random() >= DROP_WORD]
    return " ".join(kept) if len(kept) >= MIN_WORDS else None


def fit(bot: Assistant) -> dict:
    """Fit the corpus threshold of ``bot``'s committed index (see the module docstring); the record stored."""
    t0 = time.perf_counter()
    s = bot.settings
    model = bot.thresholds.refusal_model
    view = bot.retriever.view
    record = {"generation": view.generation, "index": index_key(view), "model": _fingerprint(model) if model else None,
              "settings": _wanted(bot), "documents": len(view.sources), "threshold": None}
    if not model:
        record["reason"] = "no refusal model"
    elif len(view.sources) < s.corpus_threshold_min_documents:
        record["reason"] = f"fewer than {s.corpus_threshold_min_documents} documents"
    else:
        rng = random.Random(s.corpus_threshold_seed)
        probs: list[float] = []
        signals: list[dict] = []
        for _ in range(s.corpus_threshold_questions * TRIES_PER_QUESTION):
            if len(probs) >= s.corpus_threshold_questions:
                break
            source = rng.choice(view.sources)
            chunks = bot.retriever.manifest.chunks(source=source)
            if not chunks:
                continue
            chunk = rng.choice(chunks)
            question = pseudo_question(rng, chunk.text)
            if question is None:
                continue
            answer = bot.ask(question, mode="extractive", exclude=source)
            if not answer.signals:  # small talk, or nothing retrieved: the gate never weighed it
                continue
            own = frozenset(tokenize(chunk.text, chunk.lang or None))
            if any(_jaccard(own, frozenset(tokenize(p.text, p.lang or None))) >= s.dedup_threshold
                   for p in answer.passages):
                continue  # its passage is in another document too: answerable
            probs.append(logistic(answer.signals, model))
            signals.append({k: answer.signals[k] for k in FEATURES if k in answer.signals})
        record["questions"] = len(probs)
        floor = float(model["threshold"])
        record["model_threshold"] = floor
        if len(probs) < s.corpus_threshold_min_questions:
            record["reason"] = f"only {len(probs)} pseudo-questions could be asked"
        else:
            quantile = quantile_of(bot)
            record["quantile"] = quantile
            record["quantile_value"] = threshold_at(probs, quantile, 0.0, 1.0)
            record["threshold"] = threshold_at(probs, quantile, floor, s.corpus_threshold_max)
        record["pseudo_signals"] = signals  # what --calibrate-refusal chooses the quantile from
    record["seconds"] = round(time.perf_counter() - t0, 2)
    return record


def path_of(bot: Assistant) -> Path:
    return bot.settings.resolved_index_dir() / FILE


def save(bot: Assistant, record: dict) -> None:
    path = path_of(bot)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    tmp.replace(path)


def load(bot: Assistant) -> dict | None:
    """The stored record when it was fitted on the committed index with this model and these settings."""
    try:
        record = json.loads(path_of(bot).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    model = bot.thresholds.refusal_model
    fresh = (isinstance(record, dict) and record.get("index") == index_key(bot.retriever.view)
             and record.get("model") == (_fingerprint(model) if model else None)
             and record.get("settings") == _wanted(bot))
    return record if fresh else None
