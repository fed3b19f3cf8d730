"""An embedding cache outside the repository: an :class:`ingest.embeddings.Embedder` wrapper for ``run_ingest``.

Vectors are stored in one SQLite file (``<cache>/embeddings.sqlite``) keyed by the model, the backend and a
hash of the text (and, for a chunk, of its sentence spans), so an eval index rebuilt from the same documents
(another holdout, a sample, a deleted cache folder) embeds nothing it has embedded before. Queries are never
cached: the evals time ``ask`` as a user would meet it.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

CACHE_FILE = "embeddings.sqlite"
SAME_VECTORS = ("auto", "torch", "onnx")  # backends computing the same fp32 vectors of a model (shared entries)
_SQL_BATCH = 500  # keys per SELECT (SQLite's variable limit is far above)


def vector_key(settings) -> str:
    """What identifies the vectors of a text: the model, and the backend unless it computes the same fp32
    vectors as the others (``onnx-int8`` and any other backend get their own entries)."""
    backend = settings.embedding_backend
    return settings.embedding_model + ("" if backend in SAME_VECTORS else f"|{backend}")


def _pack(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _unpack(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class CachedEmbedder:
    """``inner`` with ``encode``, ``encode_with_spans`` and ``encode_words`` served from the cache when it can;
    everything else (``encode_query``, ``dimension``, ``loaded``...) is the inner embedder's."""

    def __init__(self, inner, cache_dir: Path, model_key: str) -> None:
        self.inner = inner
        self.model_key = model_key
        self.path = Path(cache_dir).expanduser() / CACHE_FILE
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    @classmethod
    def for_settings(cls, inner, settings, cache_dir: Path) -> CachedEmbedder:
        return cls(inner, cache_dir, vector_key(settings))

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    # -- storage
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
            self._db = db
        return self._db

    def _key(self, kind: str, payload: str) -> str:
        digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{kind}:{self.model_key}:{digest}"

    def _get(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            db = self._conn()
            for i in range(0, len(keys), _SQL_BATCH):
                part = keys[i : i + _SQL_BATCH]
                marks = ",".join("?" * len(part))
                for key, data in db.execute(f"SELECT key, data FROM vectors WHERE key IN ({marks})", part):
                    out[key] = _unpack(data)
        return out

    def _put(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        with self._lock:
            db = self._conn()
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors (key, data) VALUES (?, ?)",
                               [(k, _pack(v)) for k, v in items.items()])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- the embedder interface the pipeline calls
    def _cached_rows(self, kind: str, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray]
                     ) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found = self._get(list(dict.fromkeys(keys)))
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            vecs = compute(todo)
            new = {self._key(kind, t): v for t, v in zip(todo, vecs, strict=True)}
            self._put(new)
            found.update(new)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None,
               show_progress_bar: bool = False) -> np.ndarray:
        if not texts:
            return self.inner.encode(texts)
        out = self._cached_rows("t", texts, lambda todo: self.inner.encode(todo, progress=progress))
        if progress is not None:
            progress(len(texts), len(texts))
        return out

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        if not words:
            return self.inner.encode(words)
        return self._cached_rows("w", words, lambda todo: self.inner.encode_words(todo))

    def encode_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vector and sentence-span vectors, stored together (row 0 the chunk, then one row a span)."""
        if not texts:
            return self.inner.encode_with_spans(texts, spans)
        payloads = [t + "\0" + json.dumps([list(s) for s in sp]) for t, sp in zip(texts, spans, strict=True)]
        keys = [self._key("s", p) for p in payloads]
        found = self._get(list(dict.fromkeys(keys)))
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            vecs, span_vecs = self.inner.encode_with_spans([texts[i] for i in todo], [spans[i] for i in todo])
            new = {}
            for j, i in enumerate(todo):
                sv = np.asarray(span_vecs[j], dtype=np.float32).reshape(-1, vecs.shape[1])
                new[keys[i]] = np.vstack([vecs[j][None, :], sv])
            self._put(new)
            found.update(new)
        rows = [found[k] for k in keys]
        return np.vstack([r[0] for r in rows]).astype(np.float32), [r[1:] for r in rows]
