"""The extractive answerer: the passages' best sentences quoted verbatim, each with its [n] (no LLM)."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answerers.base import Answerer, register_answerer
from assistant.answering import extractive_answer, score_sentences
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
        raw = extractive_answer(query, ctx.passages, ctx.scored, s.max_answer_sentences, scorer, tuning=s)
        yield from _chunks_of(raw, s.stream_words)


def _chunks_of(text: str, size: int) -> Iterator[str]:
    """Visible streaming of a ready answer, ``size`` words at a time."""
    words = text.split(" ")
    for i in range(size, len(words), size):
        yield " ".join(words[:i])
    yield text
