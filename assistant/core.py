"""The assistant: question -> (follow-up rewrite) -> passages -> answer -> verified citations, or a refusal."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.answering import (
    LLM_REFUSAL,
    REFUSAL_TEXT,
    answerability,
    extractive_answer,
    llm_condense,
    llm_stream,
    make_chat_model,
    quantity_evidence,
    score_sentences,
    soft_coverage,
)
from assistant.citations import CitationChecker
from assistant.conversation import rewrite_followup
from assistant.guard import QuestionError, clean_question, focus_question, small_talk_kind
from assistant.multilingual import looks_french, to_english_keywords
from assistant.results import Answer, Passage
from assistant.retrieval import Retriever
from ingest.embeddings import Embedder
from ingest.settings import Settings

EXAMPLE_QUESTIONS = [
    "Where is HOPE's head office?",
    "Which international partnerships does Unicancer lead?",
    "What is JANE?",
    "Since when is Unicancer a member of UICC?",
    "What are the objectives of CraNE?",
]

_SMALL_TALK_REPLIES = {
    "greeting": "Hello! I answer questions about Unicancer's international work from its documents, "
                "with the passages I quote.",
    "thanks": "You're welcome. Ask me anything else about Unicancer's international work.",
    "bye": "Goodbye!",
    "help": "I answer questions about Unicancer's international work (European projects, memberships, "
            "partnerships) using only the indexed documents, and I cite the passage behind every sentence. "
            "When the documents do not say, I tell you so.",
}


def load_thresholds(settings: Settings) -> dict:
    """Calibrated thresholds: ``UCA_THRESHOLDS_FILE`` or the committed ``assistant/calibration.json``."""
    if settings.thresholds_file:
        return json.loads(Path(settings.thresholds_file).read_text(encoding="utf-8"))
    return json.loads(resources.files("assistant").joinpath("calibration.json").read_text(encoding="utf-8"))


class _VectorCache:
    """Embeddings of sentences and claims, computed once (bounded LRU)."""

    def __init__(self, embedder: Embedder, size: int = 50_000,
                 stored: Callable[[list[str]], dict[str, np.ndarray]] | None = None) -> None:
        self.embedder = embedder
        self.size = size
        self.stored = stored  # vectors ingest already computed (the corpus's words), looked up before encoding
        self._d: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._d))
        if missing and self.stored is not None:
            known = self.stored(missing)
            if known:
                with self._lock:
                    self._d.update(known)
                missing = [t for t in missing if t not in known]
        if missing:
            vecs = self.embedder.encode(missing)
            with self._lock:
                for t, v in zip(missing, vecs, strict=True):
                    self._d[t] = v
                while len(self._d) > self.size:
                    self._d.popitem(last=False)
        with self._lock:
            out = []
            for t in texts:
                v = self._d.get(t)
                if v is None:
                    v = self.embedder.encode([t])[0]
                else:
                    self._d.move_to_end(t)
                out.append(v)
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


class Assistant:
    """Grounded question answering over the index built by ``uca ingest``."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 embedder: Embedder | None = None, thresholds: dict | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or (retriever.embedder if retriever else Embedder(settings))
        self.retriever = retriever or Retriever(settings, self.embedder)
        self.thresholds = thresholds or load_thresholds(settings)
        self.vectors = _VectorCache(self.embedder, stored=self.retriever.word_vectors)
        self.checker = CitationChecker(self.vectors, float(self.thresholds["support_cos"]),
                                       float(self.thresholds["support_lex"]))
        self._models: dict[str, object] = {}
        self._model_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        """Open the index that ``uca ingest`` built (settings from the environment by default)."""
        return cls(settings or Settings())

    # -- retrieval
    def retrieve(self, question: str, k: int | None = None, source: str | None = None) -> list[Passage]:
        """Ranked passages for a question (hybrid dense + BM25)."""
        q = clean_question(question, self.settings.max_question_chars)
        return self.retriever.retrieve(q, k=k, source=source)

    def as_langchain_retriever(self, k: int = 5, source: str | None = None):
        """This assistant's retrieval as a LangChain ``BaseRetriever``."""
        from assistant.retrieval import make_langchain_retriever

        return make_langchain_retriever(self.retriever, k=k, source=source)

    def chat_model(self, spec: str | None = None):
        key = spec or self.settings.llm
        with self._model_lock:
            if key not in self._models:
                self._models[key] = make_chat_model(self.settings, spec)
            return self._models[key]

    # -- answering
    def ask(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
            mode: str | None = None, llm: str | None = None, source: str | None = None) -> Answer:
        """Answer a question with verified citations, or refuse when the documents do not cover it."""
        result = None
        for part in self.stream(question, history, k=k, mode=mode, llm=llm, source=source):
            if isinstance(part, Answer):
                result = part
        assert result is not None
        return result

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
               mode: str | None = None, llm: str | None = None,
               source: str | None = None) -> Iterator[str | Answer]:
        """Partial answer texts as they are produced, then the final :class:`Answer`.

        Raises :class:`QuestionError` for an empty or too long question.
        """
        t0 = time.perf_counter()
        s = self.settings
        q = clean_question(question, s.max_question_chars)
        history = [(str(u), str(a)) for u, a in (history or [])][-10:]
        mode = mode or ("llm" if llm else s.answer_mode)
        if mode not in ("extractive", "llm"):
            raise QuestionError(f"unknown answer mode {mode!r} (extractive or llm)")
        timings: dict[str, float] = {}

        kind = small_talk_kind(q)
        if kind:
            text = _SMALL_TALK_REPLIES[kind]
            if kind in ("greeting", "help"):
                text += "\n\nFor example:\n" + "\n".join(f"- {e}" for e in EXAMPLE_QUESTIONS[:3])
            yield Answer(question=q, query=q, text=text, refused=False, mode=mode, small_talk=True,
                         timings={"total": round(time.perf_counter() - t0, 4)})
            return

        model = self.chat_model(llm) if mode == "llm" else None
        if model is not None and history:
            query = llm_condense(model, q, history)
        else:
            query = rewrite_followup(focus_question(q), history)
        timings["rewrite"] = time.perf_counter() - t0

        french = s.translate_queries and looks_french(query)
        if french:
            query = to_english_keywords(query) or query
        t1 = time.perf_counter()
        passages = self.retriever.retrieve(query, k=k or s.top_k, source=source)
        timings["retrieve"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        qvec = self.retriever.query_vector(query)
        stored = self.retriever.sentence_vectors([p.id for p in passages])
        scored = score_sentences(query, passages, self.vectors, qvec, self.retriever.view.lexical.idf, stored)
        coverage = soft_coverage(query, passages, self.vectors, self.retriever.view.lexical.idf)
        signals = {"best_cos": round(max((x.cos for x in scored), default=0.0), 4), "coverage": round(coverage, 4)}
        confidence = answerability(scored, coverage, float(self.thresholds.get("refusal_weight", 0.5)))
        counted = quantity_evidence(query, passages, self.vectors, french=french)
        if counted is not None:
            signals["quantity_evidence"] = counted
        timings["score"] = time.perf_counter() - t2
        threshold = float(self.thresholds["refusal_threshold"])
        if not passages or confidence < threshold or counted is False:
            timings["total"] = time.perf_counter() - t0
            yield Answer(question=q, query=query, text=REFUSAL_TEXT, refused=True, mode=mode, passages=passages,
                         confidence=round(confidence, 4), signals=signals, timings=_round(timings))
            return

        t3 = time.perf_counter()
        if mode == "extractive":
            idf = self.retriever.view.lexical.idf

            def scorer(part: str) -> list:
                return score_sentences(part, passages, self.vectors, self.vectors([part])[0], idf, stored)

            raw = extractive_answer(query, passages, scored, s.max_answer_sentences, scorer)
            yield from _chunks_of(raw)
        else:
            parts: list[str] = []
            for token in llm_stream(model, q if not history else query, passages):
                parts.append(token)
                yield "".join(parts)
            raw = "".join(parts)
        timings["answer"] = time.perf_counter() - t3

        if mode == "llm" and LLM_REFUSAL.match(raw.strip()):
            timings["total"] = time.perf_counter() - t0
            yield Answer(question=q, query=query, text=REFUSAL_TEXT, refused=True, mode=mode, passages=passages,
                         confidence=round(confidence, 4), signals=signals, timings=_round(timings))
            return

        t4 = time.perf_counter()
        text, claims, citations, removed = self.checker.verify(raw, passages)
        timings["verify"] = time.perf_counter() - t4
        timings["total"] = time.perf_counter() - t0
        flagged = sum(1 for c in claims if not c.supported)
        yield Answer(question=q, query=query, text=text, refused=False, mode=mode, citations=citations,
                     passages=passages, claims=claims, flagged=flagged, confidence=round(confidence, 4),
                     signals=signals, removed_markers=removed, timings=_round(timings))


def _round(t: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in t.items()}


def _chunks_of(text: str, size: int = 24) -> Iterator[str]:
    """Simulated streaming of a ready answer (extractive mode), word groups at a time."""
    words = text.split(" ")
    for i in range(size, len(words), size):
        yield " ".join(words[:i])
    yield text
