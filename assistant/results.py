"""Typed records passed between retrieval, answering, the UI and the evals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ingest.chunking import Chunk


@dataclass(frozen=True)
class Passage(Chunk):
    """A retrieved chunk (the ingest record, with its provenance), ranked. ``score`` is the fused score; the
    others say where it came from."""

    score: float = 0.0
    dense_score: float | None = None  # cosine similarity to the query
    bm25_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None
    # spans (in ``text``) of sentences that give instructions to the assistant or the reader: flagged, never support
    instructions: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, chunk: Chunk, **ranking: Any) -> Passage:
        """The passage of a stored ``chunk`` with its ranking fields."""
        return cls(**{f.name: getattr(chunk, f.name) for f in fields(Chunk)}, **ranking)


@dataclass
class Citation:
    """A passage cited as [n] in the answer, with the sentence of it that supports the answer."""

    n: int
    source: str
    section: str
    title: str
    text: str  # the passage text
    start: int  # offsets of the passage in the source document
    end: int
    chunk_id: str
    sentence: str  # the supporting sentence
    sentence_start: int  # span of the supporting sentence inside ``text``
    sentence_end: int
    support: float  # support score of the best claim citing this passage
    supported: bool
    page: int | None = None
    instructions: list[tuple[int, int]] = field(default_factory=list)  # as in the cited ``Passage``
    label: str = "context"  # "answers": the sentence holds an answer span of the question's type; else "context"
    answer_start: int = -1  # span of the answer inside ``text`` (-1: none)
    answer_end: int = -1
    answer: str = ""  # text[answer_start:answer_end]


@dataclass
class Claim:
    """One sentence of the answer, the passages it cites, and whether they support it."""

    text: str
    citations: list[int]
    supported: bool
    reason: str = ""  # why it is flagged: "uncited", "unsupported", "invalid marker removed"
    support: float = 0.0
    source_n: int = 0  # the cited passage whose sentence supports the claim best (0: none)
    sentence_start: int = -1  # that sentence's span inside the passage text
    sentence_end: int = -1
    label: str = ""  # "answers" or "context" (see Citation.label); "" for an unsupported or uncited claim
    answer_start: int = -1  # the answer span inside the claim ``text`` (-1: none), for bold in the chat
    answer_end: int = -1
    answer_kind: str = ""  # the span's answer type: date, count, place, name... or "sentence" (untyped)


@dataclass
class TraceStep:
    """One step of the answer path as it ran: its name, what it decided, and how long it took."""

    name: str
    decided: dict = field(default_factory=dict)  # JSON-ready: the rewritten query, the language, ids, the rule...
    ms: float = 0.0


@dataclass
class Answer:
    """The result of ``Assistant.ask``."""

    question: str
    query: str  # the question as rewritten for retrieval (follow-ups)
    text: str
    refused: bool
    mode: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    flagged: int = 0  # claims not supported by what they cite (or not cited)
    small_talk: bool = False
    confidence: float = 0.0  # answerability score compared with the refusal threshold
    signals: dict[str, float] = field(default_factory=dict)  # what the refusal decision was based on
    removed_markers: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    dense_query: str = ""  # what retrieval searched: the embedding side...
    lexical_query: str = ""  # ...and BM25 (the query expanded with glossary keywords)
    lang: str = ""  # the question's language
    dense_lang: str = ""  # the language the fusion weighted the dense side for ("": told from dense_query)
    refusal_rule: str | None = None  # the rule that refused (see assistant.steps.gate), None when answered
    limit: str | None = None  # an offline request the answer mode cannot do (summarise, compare...): see gate
    trace: list[TraceStep] = field(default_factory=list)  # every step that ran, in order
    notes: list[str] = field(default_factory=list)  # warnings for the reader, in the question's language

    def to_dict(self) -> dict:
        """JSON-ready dict (``uca ask --json`` and the ``/ask`` API)."""
        return asdict(self)
