"""Step ``small_talk``: greetings, thanks and "what can you do" get a reply of their own, not a search."""

from __future__ import annotations

from assistant.guard import small_talk_kind, small_talk_language
from assistant.multilingual import question_language
from assistant.pipeline import Context, Step, register_step
from assistant.results import Answer


@register_step("small_talk")
class SmallTalk(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        kind = small_talk_kind(ctx.question)
        decided["kind"] = kind
        if not kind:
            return
        # the language of the words themselves first: a greeting is too short for the detector
        lang = small_talk_language(ctx.question, kind) or question_language(ctx.question,
                                                                            self.bot.settings.default_language)
        decided["language"] = lang
        text = self.bot.small_talk_reply(kind, lang)
        ctx.answer = Answer(question=ctx.question, query=ctx.question, text=text, refused=False, mode=ctx.mode,
                            small_talk=True)
