"""The index on disk: the manifest (SQLite: documents, chunks, settings, current generation), the Chroma
collection of vectors, and the current BM25 directory.

The manifest is the source of truth. Its commit is the single atomic switch from the previous index to
the new one: vectors are added to Chroma *before* it and stale vectors deleted *after* it, so Chroma
always holds a superset of the committed chunks; readers keep only committed ids. A crash leaves at
most orphan vectors, which the next ingest (or ``uca ingest --check``) finds and removes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.chunking import Chunk
from ingest.settings import Settings

if TYPE_CHECKING:
    import numpy as np

MANIFEST_FILE = "manifest.sqlite"
SCHEMA_VERSION = "1"
LANGUAGE_CHARS = "language_chars"  # meta key: {lang: characters} of the committed chunks, counted at each commit


class IndexError_(Exception):  # noqa: N801 - avoid shadowing the builtin IndexError
    """Base class of index errors shown to users."""


class IndexMissing(IndexError_):
    """No index yet."""


class IndexMismatch(IndexError_):
    """The index was built with other settings (model or chunking)."""


class IndexDamaged(IndexError_):
    """A store of the index is damaged or missing; the message names the command that repairs it."""




@dataclass(frozen=True)
class DocumentEntry:
    """A document of the manifest: path, content hash, and what it was chunked into."""

    source: str
    content_hash: str
    size: int
    mtime_ns: int
    title: str
    format: str
    chunk_ids: tuple[str, ...]


def index_config(settings: Settings) -> dict[str, str]:
    """What an index must agree on with the settings that open it."""
    from common.lang import available
    from ingest.chunking import CHUNKER_VERSION
    from ingest.lexical import LEXICAL_VERSION

    return {
        "schema": SCHEMA_VERSION,
        "embedding_model": settings.embedding_model,
        "vectors": "int8" if settings.embedding_backend == "onnx-int8" else "fp32",
        "chunk_size": str(settings.chunk_size),
        "chunk_overlap": str(settings.chunk_overlap),
        "chunker": CHUNKER_VERSION,
        "lexical": LEXICAL_VERSION,
        "languages": ",".join(available()),  # what chunks' languages were detected among
    }


class Manifest:
    """The SQLite manifest. One connection per thread; WAL so readers never block the writer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with self.connect() as con:
            con.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS documents (
                    source TEXT PRIMARY KEY, content_hash TEXT NOT NULL, size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL, title TEXT NOT NULL, format TEXT NOT NULL,
                    chunk_ids TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS chunks (
                    id TEXT PRIMARY KEY, source TEXT NOT NULL, chunk_index INTEGER NOT NULL,
                    text TEXT NOT NULL, meta TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
                CREATE TABLE IF NOT EXISTS sentence_vectors (
                    id TEXT PRIMARY KEY, spans BLOB NOT NULL, vecs BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS word_vectors (word TEXT PRIMARY KEY, vec BLOB NOT NULL);
                """
            )

    def connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            self._local.con = con
        return con

    # -- reads
    def meta(self) -> dict[str, str]:
        return dict(self.connect().execute("SELECT key, value FROM meta").fetchall())

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.connect().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def documents(self) -> dict[str, DocumentEntry]:
        rows = self.connect().execute(
            "SELECT source, content_hash, size, mtime_ns, title, format, chunk_ids FROM documents"
        ).fetchall()
        return {r[0]: DocumentEntry(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6]))) for r in rows}

    def languages(self) -> dict[str, dict[str, int]]:
        """Per document, the characters of its chunks in each language (``{source: {lang: chars}}``; "" for
        chunks of an index built before languages)."""
        out: dict[str, dict[str, int]] = {}
        rows = self.connect().execute(
            "SELECT source, COALESCE(json_extract(meta, '$.lang'), ''), SUM(LENGTH(text)) FROM chunks "
            "GROUP BY source, 2")
        for source, lang, chars in rows:
            out.setdefault(source, {})[lang] = int(chars or 0)
        return out

    def language_chars(self) -> dict[str, int]:
        """Characters of the committed chunks per language, as the last commit counted them ({} for an index
        committed before languages were counted: then counted here, once per call)."""
        stored = self.get(LANGUAGE_CHARS)
        if stored is not None:
            return {k: int(v) for k, v in json.loads(stored).items()}
        return _count_language_chars(self.connect())

    def chunk_ids(self) -> list[str]:
        return [r[0] for r in self.connect().execute("SELECT id FROM chunks ORDER BY source, chunk_index")]

    def count_chunks(self) -> int:
        return self.connect().execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def chunks(self, ids: Sequence[str] | None = None, source: str | None = None) -> list[Chunk]:
        """Committed chunks by id (in the given order), by source, or all."""
        con = self.connect()
        if ids is not None:
            found: dict[str, Chunk] = {}
            ids = list(ids)
            for i in range(0, len(ids), 900):
                part = ids[i : i + 900]
                q = f"SELECT id, text, meta FROM chunks WHERE id IN ({','.join('?' * len(part))})"
                for cid, text, meta in con.execute(q, part):
                    found[cid] = _stored(cid, text, meta)
            return [found[c] for c in ids if c in found]
        if source is not None:
            rows = con.execute("SELECT id, text, meta FROM chunks WHERE source=? ORDER BY chunk_index", (source,))
        else:
            rows = con.execute("SELECT id, text, meta FROM chunks ORDER BY source, chunk_index")
        return [_stored(cid, text, meta) for cid, text, meta in rows]

    # -- sentence and word vectors (what the assistant scores answers with, computed by ingest)
    # Like Chroma's vectors they are written before the commit and collected after it: a superset of the
    # committed chunks. A missing entry only means the assistant encodes that sentence or word itself.
    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, dict[tuple[int, int], np.ndarray]]:
        """For each chunk id that has them: {(start, end) of a sentence in the chunk text: its vector}."""
        import numpy as np

        con = self.connect()
        out: dict[str, dict[tuple[int, int], np.ndarray]] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            q = f"SELECT id, spans, vecs FROM sentence_vectors WHERE id IN ({','.join('?' * len(part))})"
            for cid, spans_blob, vecs_blob in con.execute(q, part):
                spans = np.frombuffer(spans_blob, dtype=np.int32).reshape(-1, 2)
                if not len(spans):
                    out[cid] = {}
                    continue
                vecs = np.frombuffer(vecs_blob, dtype=np.float16).reshape(len(spans), -1).astype(np.float32)
                out[cid] = {(int(a), int(b)): v for (a, b), v in zip(spans, vecs, strict=True)
                            if not np.isnan(v[0])}
        return out

    def put_sentence_vectors(self, rows: Iterable[tuple[str, Sequence[tuple[int, int]], np.ndarray]]) -> None:
        """Store (chunk id, sentence spans, one vector per span) rows in one transaction."""
        import numpy as np

        data = [(cid, np.asarray(spans, dtype=np.int32).reshape(-1, 2).tobytes(),
                 np.asarray(vecs, dtype=np.float16).tobytes()) for cid, spans, vecs in rows]
        self._write("INSERT OR REPLACE INTO sentence_vectors(id, spans, vecs) VALUES (?, ?, ?)", data)

    def collect_sentence_vectors(self) -> int:
        """Delete the sentence vectors of chunks that are not committed; how many."""
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            cur = con.execute("DELETE FROM sentence_vectors WHERE id NOT IN (SELECT id FROM chunks)")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return cur.rowcount

    def word_vectors(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given words (those that have one)."""
        import numpy as np

        con = self.connect()
        out: dict[str, np.ndarray] = {}
        words = list(dict.fromkeys(words))
        for i in range(0, len(words), 900):
            part = words[i : i + 900]
            q = f"SELECT word, vec FROM word_vectors WHERE word IN ({','.join('?' * len(part))})"
            for w, blob in con.execute(q, part):
                out[w] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return out

    def known_words(self, words: Sequence[str]) -> set[str]:
        """The given words that have a stored vector."""
        con = self.connect()
        found: set[str] = set()
        words = list(dict.fromkeys(words))
        for i in range(0, len(words), 900):
            part = words[i : i + 900]
            q = f"SELECT word FROM word_vectors WHERE word IN ({','.join('?' * len(part))})"
            found.update(r[0] for r in con.execute(q, part))
        return found

    def put_word_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        import numpy as np

        self._write("INSERT OR REPLACE INTO word_vectors(word, vec) VALUES (?, ?)",
                    [(w, np.asarray(v, dtype=np.float16).tobytes()) for w, v in vectors.items()])

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(sql, rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- writes
    def set_meta(self, values: dict[str, str]) -> None:
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(values.items()))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def commit(
        self,
        upsert_docs: Iterable[DocumentEntry],
        delete_docs: Iterable[str],
        new_chunks: dict[str, list[Chunk]],
        meta: dict[str, str],
        replace_all: bool = False,
    ) -> None:
        """Atomically switch to the new state: documents, their chunks, and meta, in one transaction. When the
        chunks change, the characters per language of the whole index are counted again and kept in meta
        (``LANGUAGE_CHARS``), so that a question never waits for that count."""
        delete_docs = list(delete_docs)
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            if replace_all:
                con.execute("DELETE FROM documents")
                con.execute("DELETE FROM chunks")
            for source in delete_docs:
                con.execute("DELETE FROM documents WHERE source=?", (source,))
                con.execute("DELETE FROM chunks WHERE source=?", (source,))
            for d in upsert_docs:
                con.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (d.source, d.content_hash, d.size, d.mtime_ns, d.title, d.format, json.dumps(d.chunk_ids)),
                )
            for source, chunks in new_chunks.items():
                con.execute("DELETE FROM chunks WHERE source=?", (source,))
                con.executemany(
                    "INSERT INTO chunks(id, source, chunk_index, text, meta) VALUES (?, ?, ?, ?, ?)",
                    [(c.id, c.source, c.chunk_index, c.text, json.dumps(c.metadata())) for c in chunks],
                )
            if replace_all or delete_docs or new_chunks:
                meta = {**meta, LANGUAGE_CHARS: json.dumps(_count_language_chars(con), sort_keys=True)}
            con.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(meta.items()))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def _count_language_chars(con: sqlite3.Connection) -> dict[str, int]:
    """Characters of the chunks per language (chunks without a language left out)."""
    rows = con.execute("SELECT COALESCE(json_extract(meta, '$.lang'), ''), SUM(LENGTH(text)) FROM chunks GROUP BY 1")
    return {lang: int(n or 0) for lang, n in rows if lang}


def _stored(cid: str, text: str, meta: str) -> Chunk:
    m = json.loads(meta)
    return Chunk(
        id=cid, source=m["source"], title=m["title"], section=m["section"], start=m["start"], end=m["end"],
        chunk_index=m["chunk_index"], content_hash=m["content_hash"], text=text, page=m.get("page"),
        lang=m.get("lang", ""),
    )


def chroma_client(settings: Settings):
    """Embedded Chroma under the index folder, or ``chromadb.HttpClient`` when ``UCA_CHROMA_URL`` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ValueError(f"UCA_CHROMA_URL is not a URL: {settings.chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    path = settings.resolved_index_dir() / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def get_collection(client, name: str, create: bool = False):
    """Our collection, cosine space, never with Chroma's default embedding function."""
    if create:
        return client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
    return client.get_collection(name, embedding_function=None)


def all_vector_ids(collection, page: int = 5000) -> list[str]:
    """Every id in a Chroma collection (paged)."""
    out: list[str] = []
    offset = 0
    while True:
        got = collection.get(include=[], limit=page, offset=offset)
        ids = got["ids"]
        out.extend(ids)
        if len(ids) < page:
            return out
        offset += page
