"""The extractive answerer: the passages' answering sentences quoted verbatim, each with its [n] (no LLM).

``assistant.compose`` chooses them (the reader's answer spans and labels); the picks and the notices are left
on the context (``ctx.extras["picks"]``, ``["notices"]``) for the verify step, which labels the citations."""

from __future__ import annotations

import math
from collections.abc import Iterator

from assistant.answerers.base import Answerer, register_answerer
from assistant.answering import score_sentences
from assistant.compose import compose_answer, compose_limit
from assistant.pipeline import Context


@register_answerer("extractive")
class Extractive(Answerer):
    def answer_stream(self, ctx: Context) -> Iterator[str]:
        bot, s = self.bot, self.bot.settings
        idf = bot.retriever.view.lexical.idf

        def scorer(part: str) -> list:
            vec = bot.vectors([part])[0]
            return score_sentences(part, ctx.passages, bot.vectors, vec, idf, ctx.stored, tuning=s)

        query = ctx.answer_query or ctx.query
        limit = ctx.extras.get("limit")
        if limit:
            composed = compose_limit(limit, query, ctx.passages, ctx.scored, s.max_answer_sentences, ctx.language)
        else:
            composed = compose_answer(query, ctx.passages, ctx.scored, s.max_answer_sentences, scorer, tuning=s,
                                      lang=ctx.language)
        ctx.extras["picks"] = composed.picks
        ctx.extras["notices"] = (composed.lead, composed.tail)
        raw = "\n\n".join(x for x in (composed.lead, composed.text, composed.tail) if x)
        yield from chunks_of(raw, s.stream_words, s.stream_steps)


def chunks_of(text: str, size: int, steps: int) -> Iterator[str]:
    """Visible streaming of a ready answer: growing prefixes, about ``steps`` of them (a short answer too) and
    at most ``size`` words apart, the last one the whole text."""
    words = text.split(" ")
    step = max(1, min(size, math.ceil(len(words) / max(1, steps))))
    for i in range(step, len(words), step):
        yield " ".join(words[:i])
    yield text
