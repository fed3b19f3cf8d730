"""Step ``language``: the question's language, and the queries of both retrieval sides.

A French question over English documents keeps its own words for BM25, with the glossary's English keywords
added (never replaced); the dense side gets the keywords only when the corpus has no document in the
question's language (``assistant.multilingual.plan_queries``). ``UCA_TRANSLATE_QUERIES=false`` searches the
question as asked."""

from __future__ import annotations

from assistant.multilingual import plan_queries
from assistant.pipeline import Context, Step, register_step
from common.lang import available


@register_step("language")
class Language(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        s = self.bot.settings
        view = self.bot.retriever.view
        corpus_langs = view.languages
        # a question too short for the detector is taken to be in the corpus's main language (a French corpus:
        # "Qui mange Elaphomyces"), else in the default language
        main = view.main_language()
        default = main if main in available() else s.default_language
        q = plan_queries(ctx.query, corpus_langs, default, s.translate_queries)
        ctx.language, ctx.dense_query, ctx.lexical_query = q.lang, q.dense, q.lexical
        decided.update({"language": q.lang, "corpus_languages": list(corpus_langs), "corpus_main_language": main})
        if q.dense != ctx.query:
            decided["dense_query"] = q.dense
        if q.lexical != ctx.query:
            decided["lexical_query"] = q.lexical
