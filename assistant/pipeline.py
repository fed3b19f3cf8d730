"""The answer path as a list of named steps, each adding one :class:`TraceStep` to the answer's trace.

A step is a small object with one job (guard the input, rewrite a follow-up, retrieve, decide whether the
documents answer, answer, check citations...). :class:`Pipeline` runs them in order on one :class:`Context`;
a step may stream partial answer texts (the answer step does) and may finish the answer early (small talk, a
refusal). Steps are registered by name (:func:`register_step`), so a new one (a reranker) is one new module
plus its name in a list or a setting: see ``assistant.steps`` for the default order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.results import Answer, Passage, TraceStep

if TYPE_CHECKING:
    from assistant.core import Assistant


@dataclass
class Context:
    """What one question carries through the steps; each step reads what earlier steps left and adds its own."""

    question: str  # as typed; the guard step replaces it with the cleaned text
    history: list[tuple[str, str]]
    k: int
    mode: str  # the answerer's name (extractive, llm, or any registered one)
    llm: str | None = None  # the LLM spec for this question (LLM mode)
    source: str | None = None  # only search this document
    exclude: str | None = None  # search as if this document were not indexed (assistant.corpus_threshold)
    query: str = ""  # the question made self-contained (follow-ups rewritten)
    language: str | None = None  # the question's language
    dense_query: str = ""  # what the embedding side searches (the query, or its glossary keywords)
    lexical_query: str = ""  # what BM25 searches (the query, expanded with glossary keywords)
    dense_lang: str | None = None  # the language of what the embedding side reads (sets the fusion's dense weight)
    answer_query: str = ""  # what the passages' sentences are scored against (see assistant.multilingual)
    model_factory: Callable[[], Any] | None = None  # builds the chat model when the answerer needs one
    passages: list[Passage] = field(default_factory=list)
    scored: list = field(default_factory=list)  # sentences of the passages scored against the query
    stored: dict = field(default_factory=dict)  # sentence vectors ingest stored for these passages
    query_vector: Any = None
    signals: dict = field(default_factory=dict)  # what the answerability decision was based on
    confidence: float = 0.0
    raw: str = ""  # the answerer's text before citation checks
    answer: Answer | None = None  # set by the step that finishes (small talk, refusal, the checker)
    extras: dict = field(default_factory=dict)  # room for steps added later

    @property
    def uses_llm(self) -> bool:
        return self.model_factory is not None

    def chat_model(self) -> Any:
        """The chat model of this question's LLM mode (built on first use; ValueError when none is set)."""
        if self.model_factory is None:
            raise ValueError(f"answer mode {self.mode!r} uses no chat model")
        return self.model_factory()


class Step:
    """One job of the answer path. ``run`` reads and updates the context and fills ``decided`` (shown in the
    trace); it may return an iterator of partial answer texts, which the pipeline streams."""

    name = "step"

    def __init__(self, bot: Assistant) -> None:
        self.bot = bot

    def run(self, ctx: Context, decided: dict) -> Iterator[str] | None:  # pragma: no cover - interface
        raise NotImplementedError


_STEPS: dict[str, type[Step]] = {}


def named_registry(registry: dict[str, type], kind: str) -> Callable[[str], Callable[[type], type]]:
    """A class decorator factory ``register(name)`` that files classes under ``name`` in ``registry`` and sets
    their ``name`` (a second class under a taken name is an error). Steps and answerers both use it."""

    def register(name: str) -> Callable[[type], type]:
        def deco(cls: type) -> type:
            if name in registry and registry[name] is not cls:
                raise ValueError(f"{kind} named {name!r} is already registered")
            cls.name = name
            registry[name] = cls
            return cls

        return deco

    return register


register_step = named_registry(_STEPS, "a step")
register_step.__doc__ = "Class decorator: make a step available by ``name`` (in ``UCA_RERANKERS`` or a step list)."


def step_class(name: str) -> type[Step]:
    """The step registered as ``name``; a clear error for an unknown one."""
    import assistant.steps  # noqa: F401 - registers the built-in steps

    if name not in _STEPS:
        raise ValueError(f"unknown answer step {name!r}; known: {', '.join(sorted(_STEPS))}")
    return _STEPS[name]


class Pipeline:
    """Runs steps in order; every step that runs adds a :class:`TraceStep` (name, decisions, milliseconds)."""

    def __init__(self, steps: list[Step]) -> None:
        if not steps:
            raise ValueError("a pipeline needs at least one step")
        self.steps = steps

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def stream(self, ctx: Context) -> Iterator[str | Answer]:
        """Partial answer texts as steps produce them, then the final :class:`Answer` with its trace."""
        t_start = time.perf_counter()
        trace: list[TraceStep] = []
        for step in self.steps:
            t0 = time.perf_counter()
            decided: dict = {}
            out = step.run(ctx, decided)
            if out is not None:
                yield from out
            trace.append(TraceStep(step.name, decided, round((time.perf_counter() - t0) * 1000, 3)))
            if ctx.answer is not None:
                break
        answer = ctx.answer
        if answer is None:
            raise RuntimeError(f"the answer path {self.names} ended without an answer")
        answer.trace = trace
        answer.dense_query = ctx.dense_query or ctx.query
        answer.lexical_query = ctx.lexical_query or answer.dense_query
        answer.lang = ctx.language or ""
        answer.dense_lang = ctx.dense_lang or ""
        answer.timings = {t.name: round(t.ms / 1000, 4) for t in trace}
        answer.timings["total"] = round(time.perf_counter() - t_start, 4)
        yield answer


def format_trace(trace: list[TraceStep]) -> str:
    """The trace as readable lines (``uca ask --trace``)."""
    lines = []
    for t in trace:
        lines.append(f"{t.name:<12} {t.ms:8.1f} ms")
        for key, value in t.decided.items():
            text = _short(value)
            lines.append(f"    {key}: {text}")
    return "\n".join(lines)


def _short(value: object, limit: int = 300) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        text = "; ".join(", ".join(f"{k}={v}" for k, v in item.items()) for item in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
