"""The reader: what kind of answer a question asks for, and where that answer is inside a sentence.

``answer_kind`` maps a question to an answer type from the language modules' question words (``common.lang``):

  * ``duration`` ("how long"): a number of time units ("2 years");
  * ``date`` ("when", "since when", "what year"): a year, a month, a day or a century;
  * ``count`` ("how many", "how much", "what percentage"): a number, with its qualifier ("nearly 50");
  * ``place`` ("where"): a capitalised name after a place preposition ("in Brussels");
  * ``acronym`` ("what does X stand for"): the expansion written next to the acronym;
  * ``name`` ("who", "under whose"): a capitalised name that the question does not contain;
  * ``reason`` ("why"): the clause after a reason marker ("in order to...", "aims at...");
  * None: no type (what is X, what does X aim to do): the answer is the sentence's words that are not the
    question's, next to those that are (``novel_span``).

``find_span`` returns the answer span of one type inside a sentence, the candidate nearest to the question's
words when there are several; the span's kind is the answer type, or ``"sentence"`` for an untyped question.
A typed question whose passages hold no span of its type is refused (``assistant.steps.gate``, rule
``no_typed_answer``); a cited sentence is labelled ``answers`` only when it holds a span of the question's
type (``label_claims``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from common.lang import alternation
from common.lang import words as lang_words
from common.text import fold

# the types whose presence can be checked in a sentence: a question of one of them is refused when no
# retrieved passage holds such a span (a duration may be written as dates, a place or a name in lower case)
STRICT_KINDS = ("date", "count")
OPENING_WORDS = 3  # words an opening phrase may have before its comma and the question word


@dataclass(frozen=True)
class Span:
    """An answer span inside a sentence text: ``text[start:end]``, of answer type ``kind``."""

    start: int
    end: int
    kind: str


def _at_start(attr: str) -> re.Pattern:
    # at the start of the question or of one of its sentences, or after an opening phrase of a few words and its
    # comma ("Now, since when...", "Selon Tacite, où...", "En 2016, quelle capitale...")
    return re.compile(rf"(?:^|[.!?:;]\s+|^\W*(?:[\w'’-]+\s+){{0,{OPENING_WORDS - 1}}}[\w'’-]+,\s+)"
                      rf"(?:{alternation(attr)})\b", re.I)


_KIND_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("acronym", re.compile(rf"\b(?:{alternation('acronym_questions')})\b", re.I)),
    ("duration", _at_start("duration_questions")),
    ("date", _at_start("date_questions")),
    ("count", re.compile(rf"\b(?:{alternation('count_questions')})\b", re.I)),
    ("place", _at_start("place_questions")),
    ("name", _at_start("who_questions")),
    ("reason", _at_start("reason_questions")),
]


def answer_kind(question: str) -> str | None:
    """The answer type ``question`` asks for (see the module doc), or None."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(question):
            return kind
    return None


def bare_kind(part: str) -> str | None:
    """The answer type of a question part that asks nothing else ("..., and since when?"): the type applies to
    every item the other part asks for. None when the part has words of its own."""
    for kind, pattern in _KIND_PATTERNS:
        m = pattern.search(part)
        if m:
            rest = part[: m.start()] + " " + part[m.end() :]
            return kind if not question_keys(rest) else None
    return None


_POLITE = alternation("polite_prefixes")


def _request_patterns() -> list[tuple[str, re.Pattern]]:
    from common.lang import languages

    kinds: dict[str, list[str]] = {}
    for lang in languages():
        for kind, frags in lang.offline_requests.items():
            kinds.setdefault(kind, []).extend(frags)
    return [(k, re.compile(rf"^\W*(?:(?:{_POLITE})\s+)*(?:{'|'.join(v)})\b", re.I)) for k, v in kinds.items()]


_REQUESTS = _request_patterns()


def offline_request(question: str) -> str | None:
    """The kind of request the question opens with that quoting passages cannot do (summarise, compare,
    translate, write; ``common.lang`` ``offline_requests``), or None."""
    for kind, pattern in _REQUESTS:
        if pattern.search(question):
            return kind
    return None


_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’&.-]*\w|[A-ZÀ-ÖØ-Þ]"
_CONNECT = alternation("name_connectors")
NAME = re.compile(rf"(?:{_CAP})(?:\s+(?:(?:{_CONNECT})\s+)*(?:{_CAP}))*")
_MONTH = alternation("month_names")
_CENTURY = alternation("century_words")
_YEAR = r"(?<![\d.,])(?:1\d{3}|20\d\d)(?![\d.,]?\d)"
DATE = re.compile(
    rf"(?:\b\d{{1,2}}(?:st|nd|rd|th|er)?\s+)?\b(?:{_MONTH})\b(?:\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d),?)?(?:\s+{_YEAR})?"
    rf"|\b(?:\d{{1,2}}(?:st|nd|rd|th|e|ème)|[IVXL]+e)\s+(?:{_CENTURY})\b"
    rf"|{_YEAR}",
    re.I,
)
_NUMBER_WORDS = "|".join(sorted(lang_words("number_words"), key=len, reverse=True))
_NUMBER = rf"(?<![\w.,(])\d+(?:[.,\u202f\u00a0 ]\d{{3}})*(?:[.,]\d+)?(?:\s?%|(?![\w]))|\b(?:{_NUMBER_WORDS})\b"
_QUALIFIER = alternation("count_qualifiers")
COUNT = re.compile(rf"(?:\b(?:{_QUALIFIER})\s+)?(?:{_NUMBER})(?:\s+(?:{_NUMBER_WORDS})\b)?", re.I)
DURATION = re.compile(rf"(?:\b(?:{_QUALIFIER})\s+)?(?:{_NUMBER})\s+(?:[\w-]+\s+)?(?:{alternation('time_units')})\b",
                      re.I)
_ARTICLE = rf"(?:(?:{alternation('articles')})\s+|(?:{alternation('elided_articles')})['’])"
PLACE = re.compile(rf"\b(?:{alternation('place_prepositions')})\s+{_ARTICLE}?(?P<name>{NAME.pattern})")
REASON = re.compile(rf"\b(?:{alternation('reason_markers')})\s+(?P<clause>[^.;!?]+)", re.I)
ACRONYM_TOKEN = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b")
_WORD = re.compile(r"[^\W_][\w'’-]*")
_YEAR_ONLY = re.compile(rf"^{_YEAR}$")
STOP = lang_words("stop_words") | lang_words("frame_words")
_COMMON_CAPS = lang_words("common_capitalised")
MAX_SPAN_WORDS = 12  # an untyped answer span is cut after this many words
SPAN_LENGTH_PULL = 0.3  # an untyped candidate phrase counts this many words nearer the question's words per word...
SPAN_LENGTH_CAP = 8  # ...up to this many words
_PHRASE_BREAK = re.compile(r"[,;:()«»\"“”\[\]]")


_ELIDED = re.compile(rf"^(?:{alternation('elisions')})['’](?=\w)|['’]s$", re.I)
_QUESTION_WORD = re.compile(rf"\b(?:{alternation('question_words')})\w*\b|\b(?:{alternation('count_questions')})\b",
                            re.I)


@lru_cache(maxsize=65536)
def _bare(word: str) -> str:
    """The word folded, without an elided article or a possessive: "d'habitants" -> "habitants"."""
    return fold(_ELIDED.sub("", word))


def _key(word: str) -> str:
    """A cross-language match key: bare, first five letters ("organisations" ~ "organizations", "members" ~
    "member")."""
    return _bare(word)[:5]


@lru_cache(maxsize=65536)
def _content(word: str) -> bool:
    return _bare(word) not in STOP and not word.isdigit()


@lru_cache(maxsize=4096)
def question_keys(question: str) -> frozenset[str]:
    return frozenset(_key(w) for w in _WORD.findall(question) if _content(w))


@lru_cache(maxsize=4096)
def focus_key(question: str) -> str | None:
    """The first content word after the question word ("Under whose *coordination*...", "Who *launched*..."):
    the answer stands next to it when the sentence has it."""
    m = _QUESTION_WORD.search(question)
    if not m:
        return None
    for w in _WORD.findall(question[m.end():]):
        if _content(w):
            return _key(w)
    return None


def _anchors(text: str, question: str) -> list[int]:
    """Offsets of the sentence's words that the question uses; only the focus word's when the sentence has it."""
    keys, focus = question_keys(question), focus_key(question)
    found = [(m.start(), _key(m.group(0))) for m in _WORD.finditer(text) if _content(m.group(0))
             and _key(m.group(0)) in keys]
    near_focus = [a for a, k in found if k == focus]
    return near_focus or [a for a, _ in found]


def _nearest(cands: list[tuple[int, int]], anchors: list[int]) -> tuple[int, int] | None:
    if not cands:
        return None
    if not anchors:
        return cands[0]
    return min(cands, key=lambda c: (min(abs(c[0] - a) for a in anchors), c[0]))


_fold_cached = lru_cache(maxsize=4096)(fold)


def _in_question(name: str, question: str) -> bool:
    fq = _fold_cached(question)
    words = [fold(w) for w in _WORD.findall(name) if fold(w) not in STOP]
    return bool(words) and all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", fq) for w in words)


def _names(text: str, question: str) -> list[tuple[int, int]]:
    out = []
    for m in NAME.finditer(text):
        a, b = m.start(), m.end()
        first = m.group(0).split()[0]
        if a == 0 and fold(first) in _COMMON_CAPS | STOP:
            sub = NAME.search(text, a + len(first))
            if sub is None or sub.start() != a + len(first) + 1:
                continue
            a = sub.start()
        name = text[a:b]
        if len(name) < 2 or _in_question(name, question) or fold(name) in _COMMON_CAPS:
            continue
        out.append((a, b))
    return out


def _counts(text: str, question: str) -> list[tuple[int, int]]:
    out = []
    keys = question_keys(question)
    asked = set(re.findall(r"\d+", question))
    for m in COUNT.finditer(text):
        number = m.group(0).strip()
        digits = re.findall(r"\d+", number)
        if _YEAR_ONLY.match(number) or (digits and set(digits) <= asked):  # a year; a number the question gives
            continue
        a, b = m.start(), len(text[: m.end()].rstrip())
        # the counted noun, when it follows ("7 European networks", "thirty experts")
        tail = list(islice(_WORD.finditer(text, b), 3))
        end = b
        for i, w in enumerate(tail):
            if w.start() - (tail[i - 1].end() if i else b) > 2:
                break
            if _key(w.group(0)) in keys:
                end = w.end()
        out.append((a, end))
    return out


def _acronym(text: str, question: str) -> list[tuple[int, int]]:
    out = []
    for acr in {m.group(0) for m in ACRONYM_TOKEN.finditer(question)}:
        a = re.escape(acr)
        for m in re.finditer(rf"\b{a}\s*\((?P<x>[^)]{{4,}})\)|\b{a},\s+(?P<y>{NAME.pattern})", text):
            g = "x" if m.group("x") else "y"
            out.append((m.start(g), m.end(g)))
        for m in re.finditer(rf"(?P<x>{NAME.pattern})\s*\(\s*{a}\s*\)", text):
            out.append((m.start("x"), m.end("x")))
    return out


def novel_span(text: str, question: str) -> tuple[int, int] | None:
    """The phrase of the sentence's words that the question does not use, next to those it does: the likely
    answer of an untyped question ("What kind of association is HOPE?" -> "non-profit and non-governmental
    international"). None when the sentence shares no word with the question.

    Candidates are the runs of words the question does not use, split at commas, colons, semicolons, brackets
    and quotes (a phrase does not cross them), without stop words at their ends. The one chosen follows a
    question word (declarative sentences give the answer after the subject or the verb), then is the nearest
    to the question's focus word (``focus_key``), a longer phrase counting as nearer by ``SPAN_LENGTH_PULL``
    words per word (up to ``SPAN_LENGTH_CAP`` words: a phrase of one word rarely holds the whole answer); it is
    cut after ``MAX_SPAN_WORDS`` words."""
    keys, focus = question_keys(question), focus_key(question)
    toks = list(_WORD.finditer(text))
    content = [_content(t.group(0)) for t in toks]
    used = [c and _key(t.group(0)) in keys for c, t in zip(content, toks, strict=True)]
    if not any(used):
        return None
    anchors = [i for i, t in enumerate(toks) if used[i] and _key(t.group(0)) == focus] or \
        [i for i in range(len(toks)) if used[i]]
    first_used = used.index(True)
    cands: list[tuple[bool, float, int, int]] = []  # (before any used word, pulled distance, first, end)
    i = 0
    while i < len(toks):
        if used[i]:
            i += 1
            continue
        j = i
        while j < len(toks) and not used[j]:
            j += 1
        starts = [i] + [k for k in range(i + 1, j) if _PHRASE_BREAK.search(text, toks[k - 1].end(), toks[k].start())]
        for lo, hi in zip(starts, starts[1:] + [j], strict=True):
            while lo < hi and not content[lo]:
                lo += 1
            while hi > lo and not content[hi - 1]:
                hi -= 1
            if hi > lo:
                dist = min(min(abs(lo - a), abs(hi - 1 - a)) for a in anchors)
                pulled = dist - SPAN_LENGTH_PULL * min(hi - lo, SPAN_LENGTH_CAP)
                cands.append((lo < first_used, pulled, lo, hi))
        i = j
    if not cands:
        return None
    _, _, lo, hi = min(cands)
    hi = min(hi, lo + MAX_SPAN_WORDS)
    return toks[lo].start(), toks[hi - 1].end()


def find_span(text: str, kind: str | None, question: str) -> Span | None:
    """The answer span of type ``kind`` in the sentence ``text`` (the candidate nearest to the question's
    words), or None when the sentence holds none. ``kind`` None: the untyped ``novel_span``."""
    cands: list[tuple[int, int]]
    if kind == "date":
        cands = [(m.start(), m.end()) for m in DATE.finditer(text) if m.group(0).strip()]
    elif kind == "duration":
        cands = [(m.start(), m.end()) for m in DURATION.finditer(text)]
    elif kind == "count":
        cands = _counts(text, question)
    elif kind == "place":
        cands = [(m.start("name"), m.end("name")) for m in PLACE.finditer(text)
                 if not _in_question(m.group("name"), question)]
    elif kind == "name":
        cands = _names(text, question)
    elif kind == "acronym":
        cands = _acronym(text, question)
    elif kind == "reason":
        cands = [(m.start("clause"), m.end("clause")) for m in REASON.finditer(text)]
    else:
        span = novel_span(text, question)
        return Span(*span, "sentence") if span else None
    best = _nearest(cands, _anchors(text, question))
    return Span(best[0], best[1], kind) if best else None


def kinds_of(parts: list[str]) -> list[str | None]:
    """The answer type of each part of a (multi-part) question."""
    return [answer_kind(p) for p in parts]
