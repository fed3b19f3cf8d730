"""Cross-language questions: a French question over English documents (the Unicancer page) gets English
keywords from the French glossary (``common.lang.fr``) added to it, for retrieval and answer selection.

Why a glossary and not a model: the default embedding model (all-MiniLM-L6-v2, the only one shipped for
offline use here) is English-only, and no offline translation model is available. Names, acronyms and
numbers pass through unchanged. ``expand_query`` keeps the question's own words (the corpus may have
documents in its language too); ``to_english_keywords`` is the keywords alone. Turn translation off with
``UCA_TRANSLATE_QUERIES=false``.

For the answer path (question ``q`` in language ``l = question_language(q)``, corpus languages ``C =
retriever.view.languages``): BM25 searches ``expand_query(q, l, C)``, the dense side ``dense_query(q, l, C)``
(``Retriever.retrieve(dense_q, lexical_query=expanded)``), and the answerer scores sentences with
``answer_query(q, l, [p.lang for p in passages])``. On the eval set this gives the committed figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.reader import answer_kind
from common.lang import DEFAULT_LANGUAGE, alternation, detect, get
from common.text import fold

_ELISION = re.compile(rf"^(?:{alternation('elisions')})['’]", re.I)
_WORDS = re.compile(r"[\w'’%-]+")


def looks_like(text: str, lang: str) -> bool:
    """True for a question that is probably in ``lang`` by its marker words, elisions and letters (two
    marker words, or one and a typical letter): a rule that needs no detector."""
    language = get(lang)
    words = re.findall(r"[\w'’-]+", text.lower())
    if not words or not language.markers:
        return False
    elision = re.compile(rf"^(?:{'|'.join(language.elisions)})['’]", re.I) if language.elisions else None
    hits = sum(1 for w in words if w in language.markers or (elision is not None and elision.match(w)))
    letters = bool(language.marker_letters) and any(c in language.marker_letters for c in text.lower())
    return hits >= 2 or (hits >= 1 and letters)


def looks_french(text: str) -> bool:
    """True for a question that is probably French (accents, elisions, French function words)
    (``question_language`` uses the detector first)."""
    return looks_like(text, "fr")


def question_language(question: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The language of a question: the detector's answer, else (too short to tell) French when it looks
    French, else ``default``."""
    lang = detect(question, default="")
    if lang:
        return lang
    return "fr" if looks_french(question) else default


def to_keywords(text: str, lang: str) -> str:
    """Keywords in ``lang``'s glossary target language for a question in ``lang``: glossary words translated;
    names, acronyms, numbers kept; other words dropped. Empty when ``lang`` has no glossary."""
    language = get(lang)
    glossary, markers = language.glossary, language.markers
    # a capitalised word that is one of the language's function, frame or document words opens the question
    # ("Selon la page, quand..."); it is not a name to keep
    not_names = language.stop_words | language.frame_words | language.document_words
    out: list[str] = []
    for raw in _WORDS.findall(text):
        word = _ELISION.sub("", raw)
        if not word:
            continue
        key = fold(word)
        if key in glossary:
            out.append(glossary[key])
            continue
        base = key.split("-")[0]
        if base in glossary:
            out.append(glossary[base])
        elif any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 1 and raw != raw.lower() \
                and key not in markers and key not in not_names:
            out.append(word)
    return " ".join(dict.fromkeys(out))


def to_english_keywords(text: str) -> str:
    """English keywords for a French question: glossary words translated; names, acronyms, numbers kept."""
    return to_keywords(text, "fr")


def expand_query(query: str, question_lang: str, corpus_langs: Iterable[str]) -> str:
    """The query for retrieval over a corpus in ``corpus_langs``: the question itself, followed by the
    glossary's keywords when the corpus has documents in the glossary's target language (French question,
    English documents). Never a replacement: the question's own words stay, for documents in its language.
    Keywords the question already has (names, acronyms, numbers) are not repeated."""
    try:
        language = get(question_lang)
    except ValueError:
        return query
    target = language.glossary_target
    if not language.glossary or not target or target == language.code or target not in set(corpus_langs):
        return query
    have = {fold(w) for w in _WORDS.findall(query)}
    extra: list[str] = []
    for w in to_keywords(query, language.code).split():
        key = fold(w)
        if key not in have:
            have.add(key)
            extra.append(w)
    return f"{query.rstrip()} {' '.join(extra)}" if extra else query


def dense_query(query: str, question_lang: str, corpus_langs: Iterable[str]) -> str:
    """The query for the dense (embedding) side: the glossary keywords alone when the corpus has no document
    in the question's language but has some in the glossary's target (French question, English-only corpus:
    the English-only embedding model ranks the keywords better), else the question as asked (the corpus has
    documents in its language: English keywords would pull the English ones first).

    Measured on the eval set (English corpus, 10 French questions): dense on the French question as asked
    gave Hit@1 0.7 where the keywords give 0.8."""
    try:
        language = get(question_lang)
    except ValueError:
        return query
    corpus = set(corpus_langs)
    target = language.glossary_target
    if not language.glossary or not target or language.code in corpus or target not in corpus:
        return query
    return to_keywords(query, language.code) or query


def answer_query(question: str, question_lang: str, passage_langs: Iterable[str]) -> str:
    """The question as the answerer should score the passages' sentences with: the glossary keywords alone
    when most passages are in the glossary's target language and the question is not (French question,
    English passages), else the question itself.

    Why not the expanded query here too: French words that English passages cannot contain lower the soft
    coverage and the sentence scores. Measured on the eval set (French category, 10 questions): answering
    with ``expand_query``'s output refused 1 question and citation precision fell from 1.0 to 0.69; with
    retrieval on ``expand_query`` and answering on this, the figures equal the committed ones."""
    try:
        language = get(question_lang)
    except ValueError:
        return question
    langs = [lang or DEFAULT_LANGUAGE for lang in passage_langs]
    target = language.glossary_target
    if not language.glossary or not target or target == language.code or not langs:
        return question
    if sum(1 for lang in langs if lang == target) * 2 <= len(langs):
        return question
    keywords = to_keywords(question, language.code)
    if not keywords:
        return question
    kind = answer_kind(question)  # the type the question asks for, read in its own language
    word = get(target).type_words.get(kind or "")
    if word and answer_kind(keywords) != kind:  # "Comment s'appelle..." -> "how ...": "who how ..."
        keywords = f"{word} {keywords}"
    return keywords


@dataclass(frozen=True)
class Queries:
    """What the retrieval step searches with, and why (for the answer's trace)."""

    lang: str  # the question's language
    dense: str  # for the embedding side
    lexical: str  # for BM25
    expanded: bool  # glossary keywords were added


def plan_queries(question: str, corpus_langs: Iterable[str], default: str = DEFAULT_LANGUAGE,
                 translate: bool = True) -> Queries:
    """The question's language and the queries of both retrieval sides (``translate=False``, i.e.
    ``UCA_TRANSLATE_QUERIES=false``: the question as asked for both). Then
    ``Retriever.retrieve(q.dense, lexical_query=q.lexical)`` and, for the answerer, ``answer_query``."""
    corpus = list(corpus_langs)
    lang = question_language(question, default)
    if not translate:
        return Queries(lang, question, question, False)
    lexical = expand_query(question, lang, corpus)
    return Queries(lang, dense_query(question, lang, corpus), lexical, lexical != question)
