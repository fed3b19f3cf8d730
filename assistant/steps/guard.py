"""Step ``guard``: the question cleaned (invisible and control characters) and bounded in length."""

from __future__ import annotations

from assistant.guard import clean_question
from assistant.pipeline import Context, Step, register_step


@register_step("guard")
class Guard(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        raw = ctx.question
        ctx.question = clean_question(raw, self.bot.settings.max_question_chars)  # QuestionError for the user
        ctx.history = [(str(u), str(a)) for u, a in (ctx.history or [])][-self.bot.settings.history_turns:]
        decided["chars"] = len(ctx.question)
        decided["changed"] = ctx.question != raw
        decided["history_turns"] = len(ctx.history)
