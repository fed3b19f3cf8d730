"""Step ``retrieve``: dense (Chroma) and BM25 lists fused, near-duplicates dropped (``assistant.retrieval``)."""

from __future__ import annotations

from assistant.pipeline import Context, Step, register_step


@register_step("retrieve")
class Retrieve(Step):
    def run(self, ctx: Context, decided: dict) -> None:
        ctx.passages = self.bot.retriever.retrieve(ctx.query, k=ctx.k, source=ctx.source)
        decided["k"] = ctx.k
        if ctx.source:
            decided["source"] = ctx.source
        decided["passages"] = [
            {"id": p.id, "source": p.source, "score": round(p.score, 5), "dense_rank": p.dense_rank,
             "bm25_rank": p.bm25_rank}
            for p in ctx.passages
        ]
