"""Answer builders behind one interface: extractive (default, offline, deterministic) and LLM (LangChain).

Both return the raw answer text with [n] markers referring to the numbered passages; the assistant then
verifies every marker and claim with :class:`assistant.citations.CitationChecker`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.citations import Sentence, passage_sentences
from assistant.reader import Span, answer_kind, find_span
from assistant.results import Passage
from common.lang import DEFAULT_LANGUAGE, alternation, get
from common.lang import words as lang_words
from common.text import split_sentences
from ingest.lexical import content_words, tokenize
from ingest.settings import Settings

# The word lists and question patterns are those of every language (common.lang), joined.
STOP_WORDS = lang_words("stop_words")
REFUSAL_TEXT = get(DEFAULT_LANGUAGE).texts["refusal"]
LLM_REFUSAL = re.compile(rf"^\W*({alternation('llm_refusals')})\W*$", re.I)
_LIST_Q = re.compile(
    rf"^\s*({alternation('list_question_starts')})\b|\b({alternation('list_question_words')})\b",
    re.I,
)


def is_list_question(question: str) -> bool:
    """Questions whose answer is naturally a list ("Which partnerships...", "List the projects...")."""
    return bool(_LIST_Q.search(question))


@dataclass
class Scored:
    """A candidate sentence of a retrieved passage with its score against the question."""

    n: int  # passage number (1-based)
    sentence: Sentence
    cos: float  # embedding similarity to the question
    lex: float  # IDF-weighted share of the question's words found in the sentence
    coverage: float  # IDF-weighted share of the question's words found in the sentence's passage
    score: float  # ranking score of the sentence as an answer
    span: Span | None = None  # the answer span of the question's type inside the sentence (typed questions)


def _weighted_share(qtoks: set[str], found: set[str], idf: Callable[[str], float]) -> float:
    total = sum(idf(t) for t in qtoks)
    return sum(idf(t) for t in qtoks & found) / total if total > 0 else 0.0


def score_sentences(question: str, passages: list[Passage], embed: Callable[[list[str]], np.ndarray],
                    query_vec: np.ndarray, idf: Callable[[str], float] = lambda t: 1.0,
                    stored: dict[str, dict[tuple[int, int], np.ndarray]] | None = None,
                    tuning: Settings | None = None) -> list[Scored]:
    """Every answer-worthy sentence of the passages, scored by embedding similarity and word overlap.

    ``stored``: sentence vectors that ingest computed ({chunk id: {(start, end): vector}}); a sentence
    without one is embedded here, with its heading path. ``tuning``: the settings' sentence-score weights."""
    t = tuning or _defaults()
    # the question is analysed as each passage's language is (its stems are the index's, so the IDF finds them)
    by_lang: dict[str | None, list[str]] = {}

    def question_tokens(lang: str | None) -> list[str]:
        if lang not in by_lang:
            by_lang[lang] = tokenize(question, lang)
        return by_lang[lang]

    cands: list[tuple[int, Sentence]] = []
    coverage: dict[int, float] = {}
    for n, p in enumerate(passages, start=1):
        qtoks = set(question_tokens(p.lang))
        coverage[n] = _weighted_share(qtoks, set(tokenize(f"{p.title} {p.section} {p.text}", p.lang)), idf)
        for s in passage_sentences(p.text):
            if s.kind in ("heading", "instruction") or s.text.rstrip().endswith("?"):
                continue
            if len(s.text.split()) < 4 and not any(ch.isdigit() for ch in s.text):
                continue
            if s.kind == "fragment" and len(s.text.split()) < 5:
                continue
            cands.append((n, s))
    if not cands:
        return []
    # a sentence is embedded with its heading path, so that "Its head office is located in Brussels."
    # knows it is about HOPE
    stored = stored or {}
    found = [stored.get(passages[n - 1].id, {}).get((s.start, s.end)) for n, s in cands]
    todo = [i for i, v in enumerate(found) if v is None]
    if todo:
        fresh = embed([_in_context(passages[cands[i][0] - 1], cands[i][1]) for i in todo])
        for i, v in zip(todo, fresh, strict=True):
            found[i] = v
    vecs = np.vstack(found)
    cos = vecs @ query_vec
    kind = answer_kind(question)
    out = []
    for (n, s), c in zip(cands, cos, strict=True):
        p = passages[n - 1]
        lex = _weighted_share(set(question_tokens(p.lang)), set(tokenize(f"{p.section} {s.text}", p.lang)), idf)
        span = find_span(s.text, kind, question) if kind else None
        bonus = t.answer_type_bonus if span else 0.0
        score = t.sentence_cos_weight * float(c) + (1 - t.sentence_cos_weight) * lex + bonus
        out.append(Scored(n, s, float(c), lex, coverage[n], score, span))
    return out


def _defaults() -> Settings:
    """The settings' default tuning, for callers that pass none (tests, tools)."""
    return Settings.model_construct()


def _in_context(p: Passage, s: Sentence) -> str:
    return f"{p.section}: {s.text}" if p.section else s.text


_SUBQ = re.compile(rf",?\s+(?:{alternation('and_words')})\s+(?=(?:{alternation('subquestion_words')})\b)", re.I)


def sub_questions(question: str) -> list[str]:
    """The parts of a multi-part question ("Where is X, and what seat does Y hold?")."""
    parts = [p.strip(" ,?") for p in _SUBQ.split(question) if p.strip(" ,?")]
    return parts if len(parts) > 1 else [question]


def soft_coverage(question: str, passages: list[Passage], embed: Callable[[list[str]], np.ndarray],
                  idf: Callable[[str], float], top: int = 3) -> float:
    """IDF-weighted mean, over the question's content words, of each word's best embedding similarity to a
    word of the top passages: low when a key concept of the question (a budget, a CEO) is absent."""
    from ingest.lexical import tokenize as _tok

    qwords = content_words(question)
    pwords = content_words(" ".join(f"{p.title} {p.section} {p.text}" for p in passages[:top]))
    if not qwords or not pwords:
        return 0.0
    sims = embed(qwords) @ embed(pwords).T
    best = sims.max(axis=1)
    weights = np.array([max((idf(t) for t in _tok(w)), default=0.0) for w in qwords])
    if weights.sum() <= 0:
        return float(best.mean())
    return float((best * weights).sum() / weights.sum())


_QUANTITY_Q = re.compile(rf"\b(?:{alternation('quantity_questions')})\s+(.*)", re.I | re.S)
_NP_END = lang_words("np_end_words")
_PRONOUNS = lang_words("pronouns")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_NUMBER_WORD = lang_words("number_words")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_][\w'-]*")


def quantity_head(question: str, french: bool = False) -> str | None:
    """The noun a "how many / how much" question counts ("How many Unicancer centers are..." -> "centers"),
    or None when the question does not count anything nameable ("How many of them...", not a count).

    English noun phrases end with their head, so the last word before a verb or preposition is taken; French
    questions arrive as English keywords in French word order ("how many experts Unicancer..."), whose head
    comes first."""
    m = _QUANTITY_Q.search(question)
    if not m:
        return None
    words: list[str] = []
    for w in re.findall(r"[^\W\d_][\w'-]*", m.group(1).lower()):
        if w in _NP_END or w in _PRONOUNS or len(words) == 4:
            break
        if words and len(w) > 5 and w.endswith("ed"):  # "patients treated", "trials promoted"
            break
        words.append(w)
        if french:
            break
    words = [w for w in words if w not in STOP_WORDS]
    return words[-1] if words else None


def _is_quantity(token: str) -> bool:
    if token[0].isdigit():
        return not _YEAR.match(token)  # a year is a date, not a count
    return token.lower() in _NUMBER_WORD


def quantity_evidence(question: str, passages: list[Passage], embed: Callable[[list[str]], np.ndarray],
                      french: bool = False, window: int = 8, min_sim: float = 0.75) -> bool | None:
    """For a counting question, whether some passage gives a number within ``window`` words of the counted
    noun (or a word whose embedding similarity to it is at least ``min_sim``: "organisations" for
    "organizations"). None when the question counts nothing. A multi-part question has evidence when any of
    its counting parts has: "How many employees..." over a page that counts projects and experts has none."""
    heads = [h for h in (quantity_head(part, french) for part in sub_questions(question)) if h]
    if not heads:
        return None
    near: set[str] = set()
    for p in passages:
        tokens = _TOKEN.findall(p.text)
        for i, tok in enumerate(tokens):
            if _is_quantity(tok):
                near.update(t.lower() for t in tokens[max(0, i - window) : i + window + 1]
                            if not t[0].isdigit() and t.lower() not in STOP_WORDS)
    if not near:
        return False
    words = sorted(near)
    sims = embed(heads) @ embed(words).T
    return bool((sims.max(axis=1) >= min_sim).any())


def answerability(scored: list[Scored], coverage: float, weight: float = 0.5) -> float:
    """How well the documents answer the question: ``weight * best sentence similarity + (1 - weight) *
    soft coverage`` (compared with the calibrated refusal threshold)."""
    best = max((s.cos for s in scored), default=0.0)
    return weight * best + (1 - weight) * coverage


def cite_each_sentence(text: str, n: int) -> str:
    """``text`` with the marker [n] after each of its sentences (a bullet item may hold several)."""
    spans = split_sentences(text, 0, len(text)) or [(0, len(text))]
    return " ".join(f"{text[a:b]} [{n}]" for a, b in spans)
