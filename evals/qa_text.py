"""Answer-text metrics of the public QA evals: SQuAD token F1, "the answer contains the gold answer", and the
question's language.

SQuAD normalisation (the official ``evaluate-v2.0.py``): lower case, punctuation removed, articles removed,
whitespace collapsed; the articles follow the answer's language (each language module's ``articles``, English
ones for an unknown language); French elided articles (``l'``, ``d'``) are removed before the punctuation goes.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

FALLBACK_LANGUAGE = "en"  # the official SQuAD script's articles, for a language without a module
UNKNOWN_LANGUAGE = "und"  # ISO 639 "undetermined"
_PUNCT = frozenset(string.punctuation) | {"\u2019", "\u2018", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u2013",
                                          "\u2014", "\u2026"}
_APOSTROPHES = "'\u2019"


def _articles(lang: str) -> dict[str, tuple[str, ...]]:
    """The articles the normalisation strips (from the language's module, ``common.lang``)."""
    from common.lang import get

    try:
        language = get(lang)
    except ValueError:
        language = get(FALLBACK_LANGUAGE)
    return {"articles": language.articles, "elided": language.elided_articles}


def squad_normalize(text: str, lang: str = FALLBACK_LANGUAGE) -> str:
    """The SQuAD answer normalisation, with the articles of ``lang``."""
    arts = _articles(lang)
    text = text.lower()
    if arts["elided"]:
        text = re.sub(r"\b(" + "|".join(arts["elided"]) + r")[" + _APOSTROPHES + "]", " ", text)
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = re.sub(r"\b(" + "|".join(arts["articles"]) + r")\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str, lang: str = FALLBACK_LANGUAGE) -> float:
    """SQuAD token F1 of one prediction against one gold answer (both normalised)."""
    pred, ref = squad_normalize(prediction, lang).split(), squad_normalize(gold, lang).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_f1(prediction: str, golds: Sequence[str], lang: str = FALLBACK_LANGUAGE) -> float:
    """The best F1 over the gold answers (SQuAD's rule for several references); 0 without gold."""
    return max((token_f1(prediction, g, lang) for g in golds), default=0.0)


def fold(text: str) -> str:
    """Lower case, accents folded, punctuation replaced by spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    return " ".join(text.split())


def contains_gold(answer: str, golds: Iterable[str]) -> bool:
    """Whether the folded answer contains one folded gold answer as whole words."""
    hay = f" {fold(answer)} "
    return any(g and f" {g} " in hay for g in (fold(x) for x in golds))


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code of each text, detected as the product detects a question's language (``und``: empty)."""
    from common.lang import detect

    return [detect(t) if t.strip() else UNKNOWN_LANGUAGE for t in texts]


def majority(langs: Iterable[str]) -> str:
    """The most common language (ties: the first seen); ``und`` for none."""
    counts = Counter(x for x in langs if x != UNKNOWN_LANGUAGE)
    return counts.most_common(1)[0][0] if counts else UNKNOWN_LANGUAGE
