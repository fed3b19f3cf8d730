"""Answer-text metrics of the public QA evals: SQuAD token F1, "the answer contains the gold answer", and the
question's language.

SQuAD normalisation (the official ``evaluate-v2.0.py``): lower case, punctuation removed, articles removed,
whitespace collapsed; the articles follow the answer's language (:data:`ARTICLES`, English ones for an
unknown language); French elided articles (``l'``, ``d'``) are removed before the punctuation goes.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

# Articles stripped by the SQuAD normalisation, per language; ``elided``: forms written with an apostrophe
# (French ``l'avion``), removed first. FQuAD's and PIAF's evaluations strip the French articles the same way.
ARTICLES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"articles": ("a", "an", "the"), "elided": ()},
    "fr": {"articles": ("le", "la", "les", "un", "une", "des", "du", "au", "aux"), "elided": ("l", "d")},
}
FALLBACK_LANGUAGE = "en"  # the official SQuAD script's articles, for a language without an entry
UNKNOWN_LANGUAGE = "und"  # ISO 639 "undetermined"
DETECTED_LANGUAGES = ("en", "fr")  # the languages question detection chooses among (the product's)
_PUNCT = frozenset(string.punctuation) | {"\u2019", "\u2018", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u2013",
                                          "\u2014", "\u2026"}
_APOSTROPHES = "'\u2019"


def _articles(lang: str) -> dict[str, tuple[str, ...]]:
    return ARTICLES.get(lang) or ARTICLES[FALLBACK_LANGUAGE]


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


@cache
def _detector():
    """The lingua detector over :data:`DETECTED_LANGUAGES` (built once; its models ship with the package)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in DETECTED_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code of each text among :data:`DETECTED_LANGUAGES` (``und`` when undecided)."""
    if not texts:
        return []
    found = _detector().detect_languages_in_parallel_of(list(texts))
    return [lang.iso_code_639_1.name.lower() if lang is not None else UNKNOWN_LANGUAGE for lang in found]


def majority(langs: Iterable[str]) -> str:
    """The most common language (ties: the first seen); ``und`` for none."""
    counts = Counter(x for x in langs if x != UNKNOWN_LANGUAGE)
    return counts.most_common(1)[0][0] if counts else UNKNOWN_LANGUAGE
