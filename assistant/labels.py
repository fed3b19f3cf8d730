"""Badges that mean something: each supported claim and each citation is labelled ``answers`` only when its
sentence holds an answer span of the question's type (``assistant.reader``), otherwise ``context``.

The extractive answerer's picks carry their label and span; a claim of another answerer (an LLM) is labelled
here from its best supporting sentence: for a typed question, whether that sentence holds a span of the type;
for an untyped one, whether the sentence scores within ``answer_close_margin`` of the best sentence.
"""

from __future__ import annotations

from assistant.answering import Scored, sub_questions
from assistant.citations import passage_sentences
from assistant.compose import ANSWERS, CONTEXT, Pick
from assistant.reader import Span, answer_kind, bare_kind, find_span
from assistant.results import Citation, Claim, Passage


def _sentence_offset(passage: Passage, start: int, end: int, text: str) -> int:
    """Where the (stripped) sentence text starts inside the passage."""
    at = passage.text.find(text, start, max(end, start + len(text)))
    return at if at >= 0 else start


def _read(question: str, text: str, n: int, start: int, scored: list[Scored], close: float
          ) -> tuple[str, Span | None]:
    """The label and span of a sentence that no pick describes."""
    parts = sub_questions(question)
    for i, part in enumerate(parts):
        kind = (bare_kind(part) if i else None) or answer_kind(part)
        if kind:
            span = find_span(text, kind, part)
            if span:
                return ANSWERS, span
    if all(((bare_kind(p) if i else None) or answer_kind(p)) for i, p in enumerate(parts)):
        return CONTEXT, None  # every part is typed and the sentence holds none of the types
    best = max((x.score for x in scored), default=0.0)
    mine = next((x for x in scored if x.n == n and x.sentence.start == start), None)
    if mine is not None and mine.score >= best - close:
        return ANSWERS, find_span(text, None, question)
    return CONTEXT, None


def label_answer(question: str, claims: list[Claim], citations: list[Citation], passages: list[Passage],
                 picks: list[Pick] | None, scored: list[Scored], close: float) -> None:
    """Set ``label`` and the answer span on every supported claim and on every citation (in place)."""
    by_key = {(p.n, p.sentence.start): p for p in picks or []}
    sentences: dict[int, dict[int, str]] = {}
    best_of: dict[int, tuple[int, Claim, int, Span | None, str]] = {}  # n -> (answers?, claim, offset, span, text)
    for claim in claims:
        n = claim.source_n
        if not claim.supported or n <= 0:
            continue
        p = passages[n - 1]
        texts = sentences.setdefault(n, {s.start: s.text for s in passage_sentences(p.text)})
        text = texts.get(claim.sentence_start, p.text[claim.sentence_start : claim.sentence_end].strip())
        pick = by_key.get((n, claim.sentence_start))
        if pick is not None:
            label, span = pick.label, pick.span
        else:
            label, span = _read(question, text, n, claim.sentence_start, scored, close)
        claim.label = label
        if span is not None:
            claim.answer_kind = span.kind
            answer = text[span.start : span.end]
            from_ = max(0, claim.text.find(text[:30]))
            at = claim.text.find(answer, from_)
            if at >= 0:
                claim.answer_start, claim.answer_end = at, at + len(answer)
        offset = _sentence_offset(p, claim.sentence_start, claim.sentence_end, text)
        rank = 1 if label == ANSWERS else 0
        if n not in best_of or rank > best_of[n][0]:
            best_of[n] = (rank, claim, offset, span, text)
    for c in citations:
        if c.n not in best_of:
            c.label = CONTEXT
            continue
        rank, claim, offset, span, text = best_of[c.n]
        c.label = ANSWERS if rank else CONTEXT
        if rank:  # the sources panel shows the sentence that answers
            c.sentence, c.sentence_start, c.sentence_end = text, claim.sentence_start, claim.sentence_end
        if span is not None and c.sentence_start == claim.sentence_start:
            c.answer_start, c.answer_end = offset + span.start, offset + span.end
            c.answer = c.text[c.answer_start : c.answer_end]
