"""Step ``retrieve``: dense (Chroma) and BM25 lists fused, near-duplicates dropped (``assistant.retrieval``);
then the query the answerer scores sentences with, chosen by the passages' languages. A question that collects
items ("Which organisations ..., and since when?": ``assistant.compose.collects_items``) asked with the default
k gets ``list_top_k`` passages: its items are often spread over sections."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from assistant.citations import instruction_spans
from assistant.compose import collects_items
from assistant.multilingual import answer_query
from assistant.pipeline import Context, Step, register_step
from assistant.retrieval import dense_weight_for, query_language


@register_step("retrieve")
class Retrieve(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        dense = ctx.dense_query or ctx.query
        if ctx.k == self.bot.settings.top_k and collects_items(ctx.query):
            ctx.k = max(ctx.k, self.bot.settings.list_top_k)  # its items may be spread over more passages
        # the dense weight follows the language of what the embedding model reads: the question's own (the
        # detector's, which knows "Quel montant en 2003" is French) when it reads the question, else (glossary
        # keywords) the keywords' language, which retrieval tells from their words
        ctx.dense_lang = ctx.language if ctx.language and dense == ctx.query else None
        ctx.passages = self.bot.retriever.retrieve(dense, k=ctx.k, source=ctx.source, lang=ctx.dense_lang,
                                                   lexical_query=ctx.lexical_query or dense, exclude=ctx.exclude)
        ctx.dense_lang = ctx.dense_lang or query_language(dense)
        decided["dense_language"] = ctx.dense_lang
        decided["dense_weight"] = round(dense_weight_for(self.bot.settings, ctx.dense_lang), 4)
        # planted instructions: flagged wherever the passage is shown
        ctx.passages = [replace(p, instructions=tuple(instruction_spans(p.text))) for p in ctx.passages]
        langs = [p.lang for p in ctx.passages]
        ctx.answer_query = answer_query(ctx.query, ctx.language or self.bot.settings.default_language, langs)
        decided["k"] = ctx.k
        if ctx.source:
            decided["source"] = ctx.source
        if ctx.exclude:
            decided["left_out"] = ctx.exclude
        decided["passage_languages"] = dict(Counter(lang or "?" for lang in langs))
        if ctx.answer_query != ctx.query:
            decided["answer_query"] = ctx.answer_query
        planted = [p.id for p in ctx.passages if p.instructions]
        if planted:
            decided["instruction_like"] = planted
        decided["passages"] = [
            {"id": p.id, "source": p.source, "lang": p.lang, "score": round(p.score, 5), "dense_rank": p.dense_rank,
             "bm25_rank": p.bm25_rank}
            for p in ctx.passages
        ]
