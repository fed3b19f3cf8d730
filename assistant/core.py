"""The assistant: builds the answer pipeline once and runs it for each question.

The answer path is a list of named steps (``assistant.steps``: guard, small talk, follow-up rewrite, language,
retrieval, optional rerankers, answerability gate, answer, citation check), each adding a step to the answer's
trace. This module only wires them: the index (retriever), the embedder and its vector cache, the calibrated
thresholds, the citation checker and the answerers.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np

from assistant.answerers import Answerer, answerer_class
from assistant.answerers.llm import make_chat_model, parse_llm_spec
from assistant.citations import CitationChecker
from assistant.guard import QuestionError, clean_question
from assistant.pipeline import Context, Pipeline, step_class
from assistant.results import Answer, Passage
from assistant.retrieval import Retriever
from assistant.steps import step_names
from assistant.thresholds import Thresholds, load_thresholds, validate_thresholds
from common.lang import get as get_language
from ingest.embeddings import Embedder
from ingest.model_choice import resolve as resolve_model
from ingest.settings import Settings

EXAMPLE_QUESTIONS = list(get_language("en").example_questions)  # each language has its own (common.lang)
EXAMPLES_IN_GREETING = 3  # example questions shown with a greeting or help reply
log = logging.getLogger(__name__)



class _VectorCache:
    """Embeddings of sentences and claims, computed once (bounded LRU)."""

    def __init__(self, embedder: Embedder, size: int,
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
    """Grounded question answering over the index built by ``uca ingest``.

    Checks its configuration when built: the thresholds file, the answer mode, the LLM spec and the step
    names (a bad one is a clear ``ValueError`` here, not at the first question)."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 embedder: Embedder | None = None, thresholds: dict | Thresholds | None = None,
                 steps: list[str] | None = None) -> None:
        # UCA_EMBEDDING_MODEL=auto: the given embedder's model, else the index's (ingest.model_choice)
        settings = resolve_model(settings, embedder or (retriever.embedder if retriever else None))
        self.settings = settings
        self.thresholds = validate_thresholds(thresholds) if thresholds is not None else load_thresholds(settings)
        parse_llm_spec(settings.llm)  # ValueError for a spec no backend serves
        answerer_class(settings.answer_mode)  # ValueError for an unknown mode
        names = steps or step_names(settings.reranker_names())
        step_classes = [step_class(n) for n in names]
        self.embedder = embedder or (retriever.embedder if retriever else Embedder(settings))
        self.retriever = retriever or Retriever(settings, self.embedder)
        self.vectors = _VectorCache(self.embedder, settings.vector_cache_size, stored=self.retriever.word_vectors)
        self.checker = CitationChecker(self.vectors, self.thresholds.support_cos, self.thresholds.support_lex)
        self.pipeline = Pipeline([cls(self) for cls in step_classes])
        self._answerers: dict[str, Answerer] = {}
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()
        self._corpus_threshold: tuple[object, dict | None] | None = None  # (generation, stored fit)
        self._fit_lock = threading.Lock()  # one corpus-threshold fit at a time (its questions take _lock)
        self._refit_thread: threading.Thread | None = None

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

    # -- parts the steps share, built once
    def chat_model(self, spec: str | None = None):
        """The LangChain chat model of ``spec`` (default ``UCA_LLM``), built on first use."""
        key = spec or self.settings.llm
        with self._lock:
            if key not in self._models:
                self._models[key] = make_chat_model(self.settings, spec)
            return self._models[key]

    def answerer(self, mode: str) -> Answerer:
        """The answerer of an answer mode, built on first use."""
        with self._lock:
            if mode not in self._answerers:
                self._answerers[mode] = answerer_class(mode)(self)
            return self._answerers[mode]

    def small_talk_reply(self, kind: str, lang: str | None = None) -> str:
        """The reply to small talk of ``kind`` (greeting, thanks, bye, help) in ``lang``."""
        texts = get_language(lang or self.settings.default_language).texts
        text = texts[kind]
        if kind in ("greeting", "help"):
            language = get_language(lang or self.settings.default_language)
            shown = language.example_questions or tuple(EXAMPLE_QUESTIONS)
            examples = "\n".join(f"- {e}" for e in shown[:EXAMPLES_IN_GREETING])
            text += f"\n\n{texts.get('examples', 'For example:')}\n{examples}"
        return text

    # -- the corpus's refusal threshold (assistant.corpus_threshold)
    def corpus_threshold(self) -> dict | None:
        """The refusal threshold fitted to the committed index, when it is fresh and in use; else None."""
        if not self.settings.corpus_threshold:
            return None
        generation = self.retriever.view.generation
        cached = self._corpus_threshold
        if cached is None or cached[0] != generation:
            from assistant import corpus_threshold

            record = corpus_threshold.load(self)
            cached = self._corpus_threshold = (generation, record)
        record = cached[1]
        return record if record is not None and record.get("threshold") is not None else None

    def fit_corpus_threshold(self, force: bool = False) -> dict | None:
        """Fit and store the corpus's refusal threshold unless a fresh one is stored (or it is turned off):
        the record (``threshold`` None when the corpus is too small to fit one), None when off."""
        if not self.settings.corpus_threshold:
            return None
        from assistant import corpus_threshold

        with self._fit_lock:
            record = None if force else corpus_threshold.load(self)
            if record is None:
                record = corpus_threshold.fit(self)
                corpus_threshold.save(self, record)
            self._corpus_threshold = (record["generation"], record)
        return record

    def refit_in_background(self) -> threading.Thread | None:
        """:meth:`fit_corpus_threshold` in a daemon thread (the chat app, after it starts and after each ingest
        it runs): questions asked meanwhile use the model's threshold. None when one is already running."""
        with self._lock:
            running = self._refit_thread
            if running is not None and running.is_alive():
                return None

            def work() -> None:
                try:
                    self.fit_corpus_threshold()
                except Exception:  # noqa: BLE001 - a missing or changing index: the model's threshold stays
                    log.warning("the refusal threshold was not fitted to the corpus", exc_info=True)

            self._refit_thread = threading.Thread(target=work, name="uca-corpus-threshold", daemon=True)
            self._refit_thread.start()
            return self._refit_thread

    # -- answering
    def ask(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
            mode: str | None = None, llm: str | None = None, source: str | None = None,
            exclude: str | None = None) -> Answer:
        """Answer a question with verified citations, or refuse when the documents do not cover it.
        ``exclude``: answer as if that document were not indexed."""
        result = None
        for part in self.stream(question, history, k=k, mode=mode, llm=llm, source=source, exclude=exclude):
            if isinstance(part, Answer):
                result = part
        assert result is not None
        return result

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
               mode: str | None = None, llm: str | None = None,
               source: str | None = None, exclude: str | None = None) -> Iterator[str | Answer]:
        """Partial answer texts as they are produced, then the final :class:`Answer` (with its trace).

        Raises :class:`QuestionError` for an empty or too long question or an unknown answer mode.
        """
        mode = mode or ("llm" if llm else self.settings.answer_mode)
        try:
            answerer = answerer_class(mode)
        except ValueError as exc:
            raise QuestionError(str(exc)) from None
        ctx = Context(question=question, history=list(history or []), k=k or self.settings.top_k, mode=mode,
                      llm=llm, source=source, exclude=exclude)
        if answerer.needs_llm:
            ctx.model_factory = lambda: self.chat_model(llm)
        yield from self.pipeline.stream(ctx)
