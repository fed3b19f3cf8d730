"""Citations: sentences of passages, [n] markers, and the check that each cited claim is supported.

A claim (one sentence of an answer) is supported by a cited passage when
  * every number and every name (capitalised word or acronym) of the claim appears in the passage, and
  * its best sentence in the passage is close enough to the claim: embedding similarity >= ``cos`` or
    share of the claim's content words found in that sentence >= ``lex`` (thresholds calibrated by
    ``uca eval --calibrate`` and committed in ``assistant/calibration.json``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.results import Citation, Claim, Passage
from common.lang import alternation, words
from common.text import BULLET_RE, fold, text_units
from ingest.lexical import tokenize

MARKER = re.compile(r"\s?\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _common_caps() -> frozenset[str]:
    """Capitalised words that are not names at the start of a clause ("The", "Il"), every language."""
    return words("common_capitalised")


# Sentences of documents that address the assistant rather than the reader (every language's patterns):
# never used as support.
INJECTION = re.compile(alternation("instruction_patterns"), re.I)


@dataclass(frozen=True)
class Sentence:
    """A sentence (or bullet item) of a passage: its span in the passage text and what it is."""

    start: int
    end: int
    kind: str  # heading, bullet, intro, sentence, fragment, instruction (an injection attempt)
    group: int  # list group number (intro and its bullets share it); -1 for none
    text: str


def passage_sentences(text: str) -> list[Sentence]:
    """Split a passage into sentences and bullet items (``common.text.text_units``, the splitter ingest stored
    the sentence vectors with); a sentence that addresses the assistant is marked ``instruction``."""
    out = []
    for u in text_units(text):
        body = text[u.start : u.end].strip() if u.kind in ("bullet", "heading") else text[u.start : u.end]
        kind = "instruction" if INJECTION.search(body) else u.kind
        out.append(Sentence(u.start, u.end, kind, -1 if kind == "instruction" else u.group, body))
    return out


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a passage that give instructions to the assistant or the reader."""
    return [(s.start, s.end) for s in passage_sentences(text) if s.kind == "instruction"]


_HEADING_CUT = re.compile(r",\s|:\s|\s[–—-]\s")


def names_something(heading: str) -> bool:
    """Whether a (cut) heading names an entity, with an acronym or a capitalised word after its first ("HOPE",
    "French Healthcare", "Maria Kirilenko", "CraNE and JANE"), rather than a topic ("Partners and funding",
    "Carrière", "Unicancer's action on the international scene")."""
    words = _WORD.findall(heading)
    return any(len(w) > 1 and w.isupper() for w in words) or any(w[:1].isupper() for w in words[1:])


def heading_subject(passage: Passage) -> str:
    """What a passage's section is about, in short: the nearest heading of its path, then its title, that names
    something (:func:`names_something`), up to a comma or colon ("HOPE, European Hospital and Healthcare
    Federation" -> "HOPE"; "HOPE > Members" -> "HOPE"); when none does, its last heading (or the title)."""
    heads = [h.strip() for h in re.split(r"\s+>\s+", passage.section or "") if h.strip()]
    cut = [_HEADING_CUT.split(h, maxsplit=1)[0].strip() for h in [*reversed(heads), (passage.title or "").strip()]]
    cut = [c for c in cut if c]
    return next((c for c in cut if names_something(c)), cut[0] if cut else "")


def without_subject(claim: str, passage: Passage) -> str:
    """The claim without the "Subject: " an answer put before a quoted sentence (``heading_subject``)."""
    head = heading_subject(passage)
    if head and claim.startswith(head + ": "):
        return claim[len(head) + 2 :]
    return claim


def salient_terms(text: str) -> set[str]:
    """Numbers and names of a claim, lower-cased and accent-free (what must be found in the source)."""
    terms = {m.group(0).replace(",", ".").rstrip(".") for m in _NUMBER.finditer(text)}
    sentence_start = True
    for m in _WORD.finditer(text):
        word = re.sub(r"['’]s$", "", m.group(0)).strip("'’-")
        before = text[: m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;•-*\n(\"“"
        uppers = sum(c.isupper() for c in word)
        if uppers >= 2 or (uppers == 1 and word[0].isupper() and not sentence_start
                           and word.lower() not in _common_caps() and len(word) > 1):
            terms.add(word.lower())
    return terms


def _present(term: str, haystack: str) -> bool:
    if term[0].isdigit():
        return re.search(rf"(?<![\d.,]){re.escape(term)}(?![\d]|[.,]\d)", haystack.replace(",", ".")) is not None
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", haystack) is not None


def strip_markers(text: str) -> str:
    """The text without [n] markers."""
    return MARKER.sub("", text).strip()


def split_claims(answer: str) -> list[tuple[int, int]]:
    """Spans of the claims of an answer: each line, split into sentences after their [n] markers."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for raw in answer.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        if body.strip():
            # a sentence ends after its markers: cut after "...text. [1] " / "...text [1]. "
            cuts = [m.end() for m in re.finditer(r"(?:[.!?](?:\s*\[[\d,; ]+\])+|(?:\[[\d,; ]+\])+[.!?]?|[.!?])"
                                                 r"(?=\s+(?!\[)\S)", body)]
            prev = 0
            for c in cuts:
                spans.append((pos + prev, pos + c))
                prev = c
            spans.append((pos + prev, pos + len(body)))
        pos += len(raw)
    return [(a, b) for a, b in spans if answer[a:b].strip()]


class CitationChecker:
    """Checks claims against passages; embeds with the assistant's embedder (cached per text)."""

    def __init__(self, embed, cos_threshold: float, lex_threshold: float) -> None:
        self.embed = embed  # callable: list[str] -> np.ndarray (normalised)
        self.cos_threshold = cos_threshold
        self.lex_threshold = lex_threshold

    def support(self, claim: str, passage: Passage, sentences: list[Sentence] | None = None,
                claim_vec: np.ndarray | None = None) -> tuple[float, float, Sentence | None, bool]:
        """(cosine, lexical, best sentence, grounded) of ``claim`` against ``passage``."""
        sentences = [s for s in (sentences or passage_sentences(passage.text))
                     if s.kind not in ("heading", "instruction")]
        if not sentences:
            return 0.0, 0.0, None, False
        claim_plain = strip_markers(claim)
        ctoks = set(tokenize(claim_plain))
        haystack = _fold(passage.title + "\n" + passage.section + "\n" + " ".join(s.text for s in sentences))
        grounded = all(_present(_fold(t), haystack) for t in salient_terms(claim_plain))
        # a claim that is one of the passage's sentences word for word (extractive answers, maybe with the
        # section's subject before it) is supported by it: no embedding needed
        flat = " ".join(without_subject(claim_plain, passage).split())
        for s in sentences:
            if " ".join(s.text.split()) == flat:
                lex = len(ctoks & set(tokenize(s.text))) / len(ctoks) if ctoks else 0.0
                return 1.0, lex, s, grounded
        if claim_vec is None:
            claim_vec = self.embed([claim_plain])[0]
        svecs = self.embed([s.text for s in sentences])
        cos = svecs @ claim_vec
        best_i, best_key, best_lex = 0, -1.0, 0.0
        for i, s in enumerate(sentences):
            lex = len(ctoks & set(tokenize(s.text))) / len(ctoks) if ctoks else 0.0
            key = 0.5 * float(cos[i]) + 0.5 * lex
            if key > best_key:
                best_i, best_key, best_lex = i, key, lex
        return float(cos[best_i]), best_lex, sentences[best_i], grounded

    def is_supported(self, cos: float, lex: float, grounded: bool) -> bool:
        return grounded and (cos >= self.cos_threshold or lex >= self.lex_threshold)

    def verify(self, answer: str, passages: list[Passage]) -> tuple[str, list[Claim], list[Citation], list[str]]:
        """Remove markers that point to no passage, check every claim, and build the citations."""
        removed: list[str] = []

        def fix(m: re.Match) -> str:
            nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
            ok = [n for n in nums if 1 <= n <= len(passages)]
            removed.extend(f"[{n}]" for n in nums if n not in ok)
            if not ok:
                return ""
            return (" " if m.group(0).startswith(" ") else "") + "".join(f"[{n}]" for n in dict.fromkeys(ok))

        text = MARKER.sub(fix, answer).strip()
        claims: list[Claim] = []
        best: dict[int, tuple[float, Sentence, bool]] = {}
        sent_cache: dict[int, list[Sentence]] = {}
        for a, b in split_claims(text):
            raw = text[a:b].strip()
            nums = [int(x) for m in MARKER.finditer(raw) for x in re.split(r"\s*[,;]\s*", m.group(1))]
            nums = list(dict.fromkeys(nums))
            plain = strip_markers(raw)
            plain_body = BULLET_RE.sub("", plain)
            if not nums:
                substantive = len(tokenize(plain_body)) >= 3 or bool(salient_terms(plain_body))
                if substantive and not plain_body.rstrip().endswith(":"):
                    claims.append(Claim(plain_body, [], False, "uncited", 0.0))
                continue
            claim_vec = None  # embedded on first need (cached by the embed callable)
            supported_any, top = False, 0.0
            mine: tuple[tuple[bool, float], int, Sentence] | None = None
            for n in nums:
                p = passages[n - 1]
                sents = sent_cache.setdefault(n, passage_sentences(p.text))
                cos, lex, sent, grounded = self.support(plain_body, p, sents, claim_vec)
                ok = self.is_supported(cos, lex, grounded)
                score = max(cos, lex) if grounded else 0.0
                supported_any = supported_any or ok
                top = max(top, score)
                if sent is not None and (n not in best or (ok, score) > (best[n][2], best[n][0])):
                    best[n] = (score, sent, ok)
                if sent is not None and (mine is None or (ok, score) > mine[0]):
                    mine = ((ok, score), n, sent)
            reason = "" if supported_any else "unsupported"
            claim = Claim(plain_body, nums, supported_any, reason, round(top, 4))
            if mine is not None:
                claim.source_n, claim.sentence_start, claim.sentence_end = mine[1], mine[2].start, mine[2].end
            claims.append(claim)
        citations = []
        for n in sorted(best):
            score, sent, ok = best[n]
            p = passages[n - 1]
            citations.append(Citation(
                n=n, source=p.source, section=p.section, title=p.title, text=p.text, start=p.start, end=p.end,
                chunk_id=p.id, sentence=sent.text, sentence_start=sent.start, sentence_end=sent.end,
                support=round(score, 4), supported=ok, page=p.page, instructions=list(p.instructions),
            ))
        return text, claims, citations, removed


_fold = fold  # accent-free lower case (common.text)
