"""Step ``verify``: every [n] marker checked against its passage; unsupported or uncited claims flagged; every
supported claim and citation labelled ``answers`` or ``context`` with its answer span (``assistant.labels``).

The answerer's notices (an offline limit, a partial answer: ``ctx.extras["notices"]``) are not claims: they are
set aside before the check and put back around the checked quotes. An LLM that says the documents do not
answer is turned into a refusal (rule ``llm_declined``)."""

from __future__ import annotations

from assistant.answering import LLM_REFUSAL
from assistant.labels import label_answer
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
        lead, tail = ctx.extras.get("notices", ("", ""))
        raw = ctx.raw
        for notice in (lead, tail):
            if notice:
                raw = raw.replace(notice, "")
        text, claims, citations, removed = self.bot.checker.verify(raw.strip(), ctx.passages)
        label_answer(ctx.answer_query or ctx.query, claims, citations, ctx.passages, ctx.extras.get("picks"),
                     ctx.scored, self.bot.settings.answer_close_margin)
        text = "\n\n".join(x for x in (lead, text, tail) if x)
        flagged = sum(1 for c in claims if not c.supported)
        decided.update({"claims": len(claims), "flagged": flagged, "removed_markers": removed,
                        "cited": [c.n for c in citations],
                        "labels": [{"n": c.source_n, "label": c.label, "kind": c.answer_kind,
                                    "span": c.text[c.answer_start:c.answer_end] if c.answer_start >= 0 else ""}
                                   for c in claims if c.label]})
        if lead or tail:
            decided["notices"] = [x for x in (lead, tail) if x]
        ctx.answer = Answer(question=ctx.question, query=ctx.query, text=text, refused=False, mode=ctx.mode,
                            citations=citations, passages=ctx.passages, claims=claims, flagged=flagged,
                            confidence=ctx.confidence, signals=dict(ctx.signals), removed_markers=removed,
                            limit=ctx.extras.get("limit"))
        planted = [c.n for c in citations if c.instructions]
        if planted:  # said in the answer's language; the sentences themselves never count as support
            note = get(ctx.language or DEFAULT_LANGUAGE).texts["planted"]
            ctx.answer.notes = [note.format(n=n) for n in planted]
            decided["instruction_like_cited"] = planted
