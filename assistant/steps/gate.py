"""Step ``gate``: do the retrieved passages answer the question? A refusal names the rule that made it.

Rules, in order:
  * ``no_passages``: retrieval found nothing;
  * ``unknown_name``: the question names something (an acronym, a capitalised name) that no indexed chunk
    contains, not even in part (``assistant.signals.unknown_names``);
  * ``no_count_evidence``: a counting question ("How many employees...") whose counted noun has no number
    near it in any passage (``assistant.answering.quantity_evidence``); a multi-part question only when every
    part counts (otherwise the answer gives the other parts and says what it could not answer);
  * ``no_typed_answer``: a question whose answer has a checkable type (a date for "when", a count for "how
    many": ``assistant.reader.STRICT_KINDS``) and no retrieved sentence holds a span
    of that type (for a multi-part question: no part has one);
  * ``low_confidence``: ``weight * best sentence similarity + (1 - weight) * soft coverage`` of the question's
    content words is below the calibrated threshold (``assistant/calibration.json``).

A request the offline mode cannot do (summarise, compare, translate, write: ``assistant.reader.offline_request``)
is not refused for its low confidence: it is traced as ``limit`` (rule ``offline_limit``) and the extractive
answerer says what it cannot do and quotes the most relevant passages. ``no_passages`` and ``unknown_name``
still apply to it.
"""

from __future__ import annotations

from assistant.answering import (
    Scored,
    answerability,
    quantity_evidence,
    quantity_head,
    score_sentences,
    soft_coverage,
    sub_questions,
)
from assistant.pipeline import Context, Step, register_step
from assistant.reader import STRICT_KINDS, answer_kind, bare_kind, find_span, offline_request
from assistant.results import Answer, Passage
from assistant.signals import dense_doc_margin, dense_margin, lexical_signals, logistic, name_prefixes, unknown_names
from common.lang import DEFAULT_LANGUAGE, get
from ingest.lexical import query_tokens, tokenize, without_document_words


@register_step("gate")
class Gate(Step):
    def __init__(self, bot) -> None:
        super().__init__(bot)
        self._token_cache: dict[str, frozenset[str]] = {}
        self._prefix_of, self._prefix_set = None, frozenset()

    def _prefixes(self, lexical) -> frozenset[str]:
        """Prefixes of the index's tokens, computed once per committed BM25 index."""
        if self._prefix_of is not lexical:
            self._prefix_set, self._prefix_of = name_prefixes(lexical.vocabulary), lexical
        return self._prefix_set

    def _tokens(self, p: Passage) -> frozenset[str]:
        toks = self._token_cache.get(p.id)
        if toks is None:
            if len(self._token_cache) >= self.bot.settings.vector_cache_size:
                self._token_cache.clear()
            toks = self._token_cache[p.id] = frozenset(tokenize(f"{p.title} {p.section} {p.text}", p.lang))
        return toks

    def run(self, ctx: Context, decided: dict) -> None:
        bot, s = self.bot, self.bot.settings
        retriever = bot.retriever
        idf = retriever.view.lexical.idf
        query = ctx.answer_query or ctx.query
        ctx.query_vector = retriever.query_vector(query)
        ctx.stored = retriever.sentence_vectors([p.id for p in ctx.passages])
        ctx.scored = score_sentences(query, ctx.passages, bot.vectors, ctx.query_vector, idf, ctx.stored,
                                     tuning=s)
        coverage = soft_coverage(query, ctx.passages, bot.vectors, idf, top=s.coverage_passages)
        ctx.signals = {"best_cos": round(max((x.cos for x in ctx.scored), default=0.0), 4),
                       "coverage": round(coverage, 4)}
        weight = bot.thresholds.refusal_weight
        threshold = bot.thresholds.refusal_threshold
        ctx.confidence = round(answerability(ctx.scored, coverage, weight), 4)
        counted = quantity_evidence(query, ctx.passages, bot.vectors, french=ctx.language == "fr",
                                    window=s.count_window, min_sim=s.count_min_similarity)
        # the signals weigh the question's subject, not the words that point at the document ("listed in the
        # footnote of the page")
        qtoks = query_tokens(without_document_words(ctx.lexical_query or query), retriever.view.languages)
        vocabulary = retriever.view.lexical.vocabulary
        if ctx.exclude:  # the left-out document's own words are unknown to the rest of the corpus
            own = retriever.own_tokens(ctx.exclude)
            vocabulary = {t for t in qtoks if t in vocabulary and t not in own}
        ctx.signals.update(lexical_signals(qtoks, ctx.passages, self._tokens, idf, vocabulary))
        ctx.signals["dense_margin"] = dense_margin(ctx.passages)
        ctx.signals["dense_doc_margin"] = dense_doc_margin(ctx.passages)
        if counted is not None:
            ctx.signals["quantity_evidence"] = counted
        unknown = unknown_names(ctx.query, self._prefixes(retriever.view.lexical),
                                lambda t: query_tokens(t, retriever.view.languages))
        model = bot.thresholds.refusal_model
        if model:  # a refusal model fitted on several corpora replaces the one-corpus confidence
            ctx.confidence = round(logistic(ctx.signals, model), 4)
            threshold = float(model["threshold"])
            decided["model"] = model.get("name", "logistic")
            fitted = None if ctx.exclude else bot.corpus_threshold()
            if fitted is not None:  # fitted to this corpus (assistant.corpus_threshold)
                threshold = float(fitted["threshold"])
                decided["threshold_from"] = "corpus"
        limit = None if ctx.uses_llm else offline_request(ctx.query)
        typed = typed_evidence(query, ctx.scored)
        if typed:
            decided["answer_types"] = typed
        rule = None
        if not ctx.passages:
            rule = "no_passages"
        elif unknown:
            rule = "unknown_name"
            decided["unknown_names"] = unknown
        elif limit:
            ctx.extras["limit"] = limit
            decided.update({"limit": limit, "limit_rule": "offline_limit"})
        elif counted is False and all(quantity_head(p, ctx.language == "fr") for p in sub_questions(query)):
            rule = "no_count_evidence"  # (a part that counts nothing may still be answered: a partial answer)
        elif typed and not any(typed.values()):
            rule = "no_typed_answer"
        elif ctx.confidence < threshold:
            rule = "low_confidence"
        decided.update(ctx.signals)
        decided.update({"confidence": ctx.confidence, "threshold": threshold, "weight": weight,
                        "refused": rule is not None, "rule": rule})
        if rule is not None:
            ctx.answer = refusal(ctx, rule)


def typed_evidence(question: str, scored: list[Scored]) -> dict[str, bool]:
    """For each part of the question whose answer type is checkable (``STRICT_KINDS``), whether some scored
    sentence holds a span of that type: ``{"part (kind)": found}``; {} when some part has no checkable type
    (its answer cannot be ruled out this way)."""
    out: dict[str, bool] = {}
    parts = sub_questions(question)
    for i, part in enumerate(parts):
        kind = (bare_kind(part) if i else None) or answer_kind(part)
        if kind not in STRICT_KINDS:
            return {}
        if len(parts) == 1:  # the scored sentences' spans are of this question's type already
            out[f"{part} ({kind})"] = any(x.span for x in scored)
        else:
            out[f"{part} ({kind})"] = any(find_span(x.sentence.text, kind, part) for x in scored)
    return out


def refusal(ctx: Context, rule: str) -> Answer:
    """The refusal answer for ``ctx``, naming ``rule``."""
    text = get(ctx.language or DEFAULT_LANGUAGE).texts["refusal"]  # in the question's language
    return Answer(question=ctx.question, query=ctx.query, text=text, refused=True, mode=ctx.mode,
                  passages=ctx.passages, confidence=ctx.confidence, signals=dict(ctx.signals), refusal_rule=rule)
