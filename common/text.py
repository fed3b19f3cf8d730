"""The text kernel: folding, word tokenising, lines, and THE sentence splitter.

One splitter serves ingest (the sentence vectors stored for each chunk, keyed by their spans) and answering
(the sentences a passage is quoted and cited by): ``text_units`` walks a text line by line (bullet items,
a heading-shaped first line, paragraphs split into sentences) and ``sentence_spans`` is its list of spans.
Offsets are exact: ``text[a:b]`` is the sentence. Abbreviations that do not end a sentence ("e.g.", "Mme",
"p. ex.") are those of every supported language (``common.lang``), so the split never depends on a
language guess and ingest and answering always agree.

Why not pysbd (checked again for issue 12, pysbd 0.3.4 from the registry, installs offline): its last release
is from 2021 (not a well-kept dependency), it is slow here (525 ms for the 8.5k-character Unicancer page, about
60 ms per 1,000 characters: hours over a 150k-chunk ingest, where this splitter takes a few ms per page), it
splits French "p. ex." ("Mme Durand, p. | ex. la directrice") that the language modules list, and its character
offsets were wrong in earlier releases (pySBD issues #49, #53: it re-finds its sentences in the original text
after rewriting it). One regex pass plus per-language abbreviation lists (``common.lang``) keeps offsets exact
by construction. wtpsplit needs a model download (not offline here).

Hard-wrapped lines are one sentence stream: ``text_units`` splits the lines of a paragraph together, so only a
blank line, a heading, a list item or a real sentence end ends a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"[0-9a-z]+(?:[-'][0-9a-z]+)*")  # a word of folded text (hyphens and apostrophes inside)
BULLET_RE = re.compile(r"^\s*(?:[•◦▪‣·●○■□–—*+-]|\d{1,3}[.)]|\(?[a-z]\))\s+")
_TERMINAL = tuple(".!?:;,…")
MARKDOWN_HEADING = re.compile(r" {0,3}#{1,6}[ \t]+\S")  # an ATX heading line: a heading even without a blank after
# Sentence end: . ! ? (optionally closing quote/bracket), then whitespace, then a likely sentence start.
# French guillemets may have a space inside: « Oui. » Il part.
_SENT_END = re.compile(r"(?<=[.!?…])(?:[\"'”’)\]]|\s?»)*\s+(?=(?:[\"'“‘(\[]|«\s?)?[A-Z0-9À-ÖØ-Þ•])")
_ABBREV_WINDOW = 12  # characters before a sentence end searched for an abbreviation


def fold(text: str) -> str:
    """Lower case, accents removed, typographic apostrophe made plain: "L’Hôpital" -> "l'hopital"."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of the folded text, in order (``WORD``)."""
    return WORD.findall(fold(text))


_NAME_PART = re.compile(r"[^\W\d_][^\W_]*")  # a word of the original text, case kept (digits inside)
_HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen


def _mixed_case(word: str) -> bool:
    """Two capitals or more and a lower-case letter: "PeBS", "CraNE", "EUonQoL" (not "METHODS", not "Lyon")."""
    return sum(c.isupper() for c in word) >= 2 and any(c.islower() for c in word)


def compound_forms(text: str) -> list[str]:
    """Joined forms of the names a text writes in parts, lower-cased (accents kept), so that spellings
    differing by spacing or hyphens match: "My PeBS" -> "mypebs" (as "MyPeBS"), "Léon-Bérard" -> "léon",
    "bérard" (as "Léon Bérard") and "léonbérard". Two words are joined when they are separated by one hyphen
    or one space and both start with a capital; across a space one of them must be written in mixed case like
    a project acronym ("My PeBS", "Onco BiOME") and the second no stop word. Title-case and all-caps pairs
    ("Beating Cancer Plan", "MATERIALS AND METHODS") are not joined: every added token lengthens its chunk for
    BM25, and accents and case are folded anyway ("Leon Berard" = "Léon Bérard"). Lexical analysis (BM25,
    answer scoring) adds the joined forms beside the words themselves."""
    from common.lang import words as lang_words

    stop = lang_words("stop_words")
    out: list[str] = []
    prev: re.Match | None = None
    parted = -1  # end offset of the last word given as a part of a hyphenated name
    for m in _NAME_PART.finditer(text):
        if prev is not None:
            a, b = prev.group(0), m.group(0)
            gap = text[prev.end() : m.start()]
            if a[0].isupper() and b[0].isupper():
                if gap in tuple(_HYPHENS):  # "Paoli-Calmettes": its parts too, as "Paoli Calmettes" gives them
                    out += ([a.lower()] if parted != prev.end() else []) + [b.lower(), (a + b).lower()]
                    parted = m.end()
                elif gap == " " and fold(b) not in stop and (_mixed_case(a) or _mixed_case(b)):
                    out.append((a + b).lower())
        prev = m
    return out


@dataclass(frozen=True)
class Line:
    """A line of a text: ``start`` and ``end`` offsets, the newline excluded."""

    start: int
    end: int

    def text(self, doc: str) -> str:
        return doc[self.start : self.end]


def line_spans(text: str) -> list[Line]:
    """The lines of ``text`` as (start, end) offsets, newline excluded."""
    out, pos = [], 0
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip("\r\n")
        out.append(Line(pos, pos + len(content)))
        pos += len(raw)
    return out


def is_continuation(line: str) -> bool:
    """An indented line that is not itself a bullet: directly under a bullet item, the item wrapped."""
    return line[:1] in (" ", "\t") and bool(line.strip()) and not BULLET_RE.match(line)


def looks_like_heading(line: str) -> bool:
    """Shape of a heading in scraped text: short, no final punctuation, not a bullet or a footnote."""
    s = line.strip()
    if not (2 <= len(s) <= 120) or len(s.split()) > 15:
        return False
    if s.endswith(_TERMINAL) or BULLET_RE.match(s) or s.startswith(("(", "[", "|", ">")):
        return False
    return any(c.isalpha() for c in s)


@lru_cache(maxsize=1)
def _abbreviation() -> re.Pattern:
    from common.lang import union

    alts = "|".join(re.escape(a).replace(r"\ ", r"\s*") for a in union("abbreviations"))
    return re.compile(rf"(?:\b(?:{alts})\.|\b[A-Z]\.)$")  # a listed abbreviation, or an initial ("J. Smith")


_DOTTED = re.compile(r"(?:\b\w\.){2,}$")  # a dotted acronym, any case ("a.a.p.", "U.S.")


def ends_with_abbreviation(text: str) -> bool:
    """Whether ``text`` ends with an abbreviation of a supported language ("M.", "et al.", "p. ex."), an
    initial ("W.") or a dotted acronym ("a.a.p."): its final dot does not end a sentence."""
    tail = text[-_ABBREV_WINDOW:]
    return bool(_abbreviation().search(tail) or _DOTTED.search(tail))


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` (absolute offsets, whitespace trimmed)."""
    abbrev = _abbreviation()
    spans, cur = [], start
    segment = text[start:end]
    for m in _SENT_END.finditer(segment):
        cut = start + m.start()
        if abbrev.search(text[max(cur, cut - _ABBREV_WINDOW) : cut]):
            continue
        spans.append((cur, cut))
        cur = start + m.end()
    spans.append((cur, end))
    out = []
    for a, b in spans:
        piece = text[a:b]
        a2 = a + (len(piece) - len(piece.lstrip()))
        b2 = a + len(piece.rstrip())
        if b2 > a2:
            out.append((a2, b2))
    return out


@dataclass(frozen=True)
class Unit:
    """A sentence, bullet item or heading line of a text: its span and what it is."""

    start: int
    end: int
    kind: str  # heading, bullet, intro (the sentence before a bullet list), sentence, fragment (heading-shaped)
    group: int  # list group number (an intro and its bullets share it); -1 for none


def text_units(text: str) -> list[Unit]:
    """The sentences and bullet items of a text (a chunk, a passage); the first line is a heading when it is
    shaped like one and stands alone, and a Markdown ``#`` line is one.

    Hard-wrapped lines are one sentence stream: the lines of a paragraph (a run of non-blank lines that are
    neither bullet items nor headings) are split into sentences together, an indented line right under a
    bullet item continues the item, so a sentence wrapped at "the
    Agence française" goes on to "de la recherche" on the next line. Only a blank line, a heading, a list item
    or a real sentence end splits (as chunking's paragraphs, ``ingest.chunking``)."""
    out: list[Unit] = []
    lines = [(ln.start, ln.end, ln.text(text)) for ln in line_spans(text)]
    state = {"group": 0, "prev": ""}
    para: list[int] = []  # line numbers of the open paragraph

    def close(next_line: int) -> None:
        if not para:
            return
        spans = split_sentences(text, lines[para[0]][0], lines[para[-1]][1])
        j = next_line  # does a bullet list follow this paragraph?
        while j < len(lines) and not lines[j][2].strip():
            j += 1
        list_follows = j < len(lines) and bool(BULLET_RE.match(lines[j][2]))
        for k, (s, e) in enumerate(spans):
            if k == len(spans) - 1 and list_follows:
                state["group"] += 1
                out.append(Unit(s, e, "intro", state["group"]))
            elif looks_like_heading(text[s:e]):
                out.append(Unit(s, e, "fragment", -1))
            else:
                out.append(Unit(s, e, "sentence", -1))
        state["prev"] = "intro" if list_follows else "sentence"
        para.clear()

    for i, (a, b, body) in enumerate(lines):
        if not body.strip():
            close(i)
            continue
        under_bullet = i > 0 and bool(lines[i - 1][2].strip()) and bool(out) and out[-1].kind == "bullet"
        m = BULLET_RE.match(body)
        if m:
            close(i)
            if state["prev"] not in ("bullet", "intro"):
                state["group"] += 1
            out.append(Unit(a + m.end(), b, "bullet", state["group"]))
            state["prev"] = "bullet"
            continue
        if under_bullet and not para and is_continuation(body):
            last = out[-1]  # an indented line right under a bullet item continues it (a wrapped item)
            out[-1] = Unit(last.start, b, "bullet", last.group)
            continue
        next_blank = i + 1 >= len(lines) or not lines[i + 1][2].strip()
        if (i == 0 and next_blank and looks_like_heading(body)) or MARKDOWN_HEADING.match(body):
            close(i)
            lead = len(body) - len(body.lstrip())
            out.append(Unit(a + lead, a + len(body.rstrip()), "heading", -1))
            state["prev"] = "heading"
            continue
        para.append(i)
    close(len(lines))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences, bullet items and heading line of a text: what ingest stores a vector for and
    what the assistant quotes (``text_units``)."""
    return [(u.start, u.end) for u in text_units(text)]
