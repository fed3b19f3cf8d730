"""Step ``follow_up``: a question that refers back ("When did it start?") made self-contained.

Rule-based in extractive mode (``assistant.conversation``); the LLM's condensation prompt in LLM mode."""

from __future__ import annotations

from assistant.answerers.llm import llm_condense
from assistant.conversation import resolve_followup
from assistant.guard import focus_question
from assistant.pipeline import Context, Step, register_step


@register_step("follow_up")
class FollowUp(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        if ctx.uses_llm and ctx.history:
            ctx.query = llm_condense(ctx.chat_model(), ctx.question, ctx.history, self.bot.settings)
            decided["method"] = "llm"
        else:
            resolved = resolve_followup(focus_question(ctx.question), ctx.history,
                                        self.bot.settings.follow_up_answer_names)
            ctx.query = resolved.query
            decided["method"] = "rules"
            decided["topic"] = list(resolved.topic)
        decided["query"] = ctx.query
        decided["rewritten"] = ctx.query != ctx.question
