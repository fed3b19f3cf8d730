"""Step ``language``: the question's language; a French question gets English keywords for retrieval when
``UCA_TRANSLATE_QUERIES`` is on (``assistant.multilingual``)."""

from __future__ import annotations

from assistant.multilingual import looks_french, to_english_keywords
from assistant.pipeline import Context, Step, register_step


@register_step("language")
class Language(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        ctx.language = "fr" if looks_french(ctx.query) else "en"
        decided["language"] = ctx.language
        if self.bot.settings.translate_queries and ctx.language == "fr":
            before = ctx.query
            ctx.query = to_english_keywords(ctx.query) or ctx.query
            decided["keywords"] = ctx.query if ctx.query != before else None
