"""Step ``verify``: every [n] marker checked against its passage; unsupported or uncited claims flagged.

An LLM that says the documents do not answer is turned into a refusal (rule ``llm_declined``)."""

from __future__ import annotations

from assistant.answering import LLM_REFUSAL
from assistant.pipeline import Context, Step, register_step
from assistant.results import Answer
from assistant.steps.gate import refusal
from common.lang import DEFAULT_LANGUAGE, get


@register_step("verify")
class Verify(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        if LLM_REFUSAL.match(ctx.raw.strip()):
            decided["rule"] = "llm_declined"
            ctx.answer = refusal(ctx, "llm_declined")
            return
        text, claims, citations, removed = self.bot.checker.verify(ctx.raw, ctx.passages)
        flagged = sum(1 for c in claims if not c.supported)
        decided.update({"claims": len(claims), "flagged": flagged, "removed_markers": removed,
                        "cited": [c.n for c in citations]})
        ctx.answer = Answer(question=ctx.question, query=ctx.query, text=text, refused=False, mode=ctx.mode,
                            citations=citations, passages=ctx.passages, claims=claims, flagged=flagged,
                            confidence=ctx.confidence, signals=dict(ctx.signals), removed_markers=removed)
        planted = [c.n for c in citations if c.instructions]
        if planted:  # said in the answer's language; the sentences themselves never count as support
            note = get(ctx.language or DEFAULT_LANGUAGE).texts["planted"]
            ctx.answer.notes = [note.format(n=n) for n in planted]
            decided["instruction_like_cited"] = planted
