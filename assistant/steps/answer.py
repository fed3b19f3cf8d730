"""Step ``answer``: the answerer chosen by the answer mode writes the raw answer with [n] markers, streamed."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.pipeline import Context, Step, register_step


@register_step("answer")
class AnswerStep(Step):
    def run(self, ctx: Context, decided: dict) -> Iterator[str]:
        answerer = self.bot.answerer(ctx.mode)
        decided["answerer"] = answerer.name
        for partial in answerer.answer_stream(ctx):
            ctx.raw = partial
            yield partial
        decided["chars"] = len(ctx.raw)
