"""The embedders of ``uca bench``: the torch model loaded once for the whole run, a content-hash vector cache,
synthetic vectors for the 100k variants, and the two embedders timed at ingest (ours, through the public
:class:`ingest.embeddings.Embedder`, and the LangChain baseline's ``Embeddings``)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.corpora import base_text

if TYPE_CHECKING:
    import numpy as np

    from ingest.embeddings import Embedder
    from ingest.settings import Settings

NOISE = 0.01  # per-coordinate std of the synthetic variants' noise (cosine to the base vector ~0.98)


class ModelHolder:
    """The torch SentenceTransformer, loaded once for the whole run (its load time recorded)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model = None
        self.load_seconds: float | None = None

    def get(self):
        if self._model is None:
            from ingest.embeddings import Embedder

            t = time.perf_counter()
            self._model = Embedder(self.settings.model_copy(update={"embedding_backend": "torch"})).model
            self.load_seconds = round(time.perf_counter() - t, 2)
        return self._model

    def embedder(self, settings: Settings) -> Embedder:
        """A plain :class:`ingest.embeddings.Embedder` of ``settings`` that shares the loaded torch model."""
        from ingest.embeddings import Embedder

        return Embedder(settings, model=self.get())


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class VectorCache:
    """Content hash -> float32 vector, in SQLite, per ``space`` (model and backend)."""

    def __init__(self, path: Path, space: str) -> None:
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.space = path, space
        self._con = sqlite3.connect(path, timeout=60)
        self._con.execute("CREATE TABLE IF NOT EXISTS vec (space TEXT, key BLOB, v BLOB, PRIMARY KEY (space, key))")
        self._d: dict[bytes, np.ndarray] = {
            bytes(k): np.frombuffer(v, dtype=np.float32)
            for k, v in self._con.execute("SELECT key, v FROM vec WHERE space = ?", (space,))
        }

    def __len__(self) -> int:
        return len(self._d)

    def get(self, key: bytes) -> np.ndarray | None:
        return self._d.get(key)

    def put(self, items: dict[bytes, np.ndarray]) -> None:
        import numpy as np

        new = {k: np.asarray(v, dtype=np.float32) for k, v in items.items() if k not in self._d}
        if not new:
            return
        self._d.update(new)
        with self._con:
            self._con.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
                                  [(self.space, k, v.tobytes()) for k, v in new.items()])

    def close(self) -> None:
        self._con.close()


def noisy(vec: np.ndarray, text: str, scale: float = NOISE) -> np.ndarray:
    """``vec`` plus deterministic Gaussian noise seeded by ``text``, renormalised."""
    import numpy as np

    seed = int.from_bytes(text_key(text)[:8], "little")
    out = vec + np.random.default_rng(seed).standard_normal(vec.shape[0]).astype(np.float32) * scale
    return (out / np.linalg.norm(out)).astype(np.float32)


def synthetic_vectors(texts: Sequence[str], cache: VectorCache, encode: Callable[[list[str]], np.ndarray]
                      ) -> tuple[np.ndarray, int]:
    """Vectors of ``texts``: cached (base texts), base + noise (variants); missing bases encoded for real.

    Returns the vectors and how many texts the model really encoded."""
    import numpy as np

    bases = [base_text(t) for t in texts]
    missing = list(dict.fromkeys(b for b in bases if cache.get(text_key(b)) is None))
    if missing:
        vecs = encode(missing)
        cache.put({text_key(b): v for b, v in zip(missing, vecs, strict=True)})
    out = []
    for t, b in zip(texts, bases, strict=True):
        v = cache.get(text_key(b))
        assert v is not None
        out.append(v if t == b else noisy(v, t))
    return np.vstack(out).astype(np.float32), len(missing)


def make_bench_embedder(settings: Settings, model: Any, cache: VectorCache | None = None, synthetic: bool = False):
    """An :class:`ingest.embeddings.Embedder` for ``run_ingest(..., embedder=...)`` that records what it is asked
    to embed, shares the already loaded model, and (``synthetic``) serves cached / synthetic vectors."""
    import numpy as np

    from ingest.embeddings import Embedder

    class BenchEmbedder(Embedder):
        def __init__(self) -> None:
            super().__init__(settings, model=model)
            self.texts: list[str] = []  # every text ingest asked to embed
            self.pending: dict[bytes, np.ndarray] = {}  # real vectors to store in the cache after timing
            self.real = 0  # texts the model really encoded
            self.encode_seconds = 0.0  # wall time spent encoding chunks (the rest of ingest is the pipeline)
            self.words_seconds = 0.0  # wall time spent encoding the corpus's words (for the assistant)
            self.words = 0
            self.export_seconds = 0.0  # wall time of the one-time ONNX export at the end of the first ingest
            self._probe = False

        def export_onnx(self) -> bool:
            t = time.perf_counter()
            try:
                return super().export_onnx()
            finally:
                self.export_seconds += time.perf_counter() - t

        def dimension(self) -> int:  # ingest's dimension probe encodes a dummy text: not a chunk
            self._probe = True
            try:
                return super().dimension()
            finally:
                self._probe = False

        def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None,
                   show_progress_bar: bool = False) -> np.ndarray:
            texts = list(texts)
            if self._probe:
                return super().encode(texts, progress=progress, show_progress_bar=show_progress_bar)
            t = time.perf_counter()
            try:
                return self._encode(texts, progress, show_progress_bar)
            finally:
                self.encode_seconds += time.perf_counter() - t

        def encode_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                              ) -> tuple[np.ndarray, list[np.ndarray]]:
            texts = list(texts)
            t = time.perf_counter()
            try:
                if synthetic and cache is not None:
                    # synthetic sentence vectors: the chunk's vector plus noise (latency, not quality, is
                    # measured at this size)
                    vecs = self._encode(texts, None, False)
                    return vecs, [np.vstack([noisy(v, f"{text}#{a}:{b}") for a, b in sp]) if sp else
                                  np.zeros((0, v.shape[0]), dtype=np.float32)
                                  for text, v, sp in zip(texts, vecs, spans, strict=True)]
                self.texts.extend(texts)
                vecs, span_vecs = super().encode_with_spans(texts, spans)
                self.real += len(texts)
                if cache is not None:
                    self.pending.update((text_key(x), v) for x, v in zip(texts, vecs, strict=True))
                return vecs, span_vecs
            finally:
                self.encode_seconds += time.perf_counter() - t

        def encode_words(self, words: Sequence[str]) -> np.ndarray:
            """Corpus words (real vectors, cached like chunks; timed apart from the chunks' encode)."""
            words = list(words)
            t = time.perf_counter()
            try:
                found = {w: cache.get(text_key("word:" + w)) for w in words} if cache is not None else {}
                missing = [w for w in words if found.get(w) is None]
                if missing:
                    fresh = Embedder.encode(self, missing)
                    for w, v in zip(missing, fresh, strict=True):
                        found[w] = v
                    if cache is not None:
                        cache.put({text_key("word:" + w): v for w, v in zip(missing, fresh, strict=True)})
                self.words += len(words)
                return np.vstack([found[w] for w in words]).astype(np.float32)
            finally:
                self.words_seconds += time.perf_counter() - t

        def _encode(self, texts: list[str], progress: Callable[[int, int], None] | None,
                    show_progress_bar: bool) -> np.ndarray:
            self.texts.extend(texts)
            if synthetic and cache is not None:
                vecs, real = synthetic_vectors(texts, cache, lambda xs: Embedder.encode(self, xs))
                self.real += real
                if progress is not None:
                    progress(len(texts), len(texts))
                return vecs
            vecs = super().encode(texts, progress=progress, show_progress_bar=show_progress_bar)
            self.real += len(texts)
            if cache is not None:
                self.pending.update((text_key(t), v) for t, v in zip(texts, vecs, strict=True))
            return vecs

    return BenchEmbedder()


def make_lc_embeddings(model: Any, batch_size: int, cache: VectorCache | None = None, synthetic: bool = False):
    """The baseline's LangChain ``Embeddings``: the same SentenceTransformer, normalised vectors; optionally
    recording (for the cache) or serving cached / synthetic vectors for documents (queries are always real)."""
    import numpy as np
    from langchain_core.embeddings import Embeddings

    def real(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    class BenchLCEmbeddings(Embeddings):
        def __init__(self) -> None:
            self.pending: dict[bytes, np.ndarray] = {}
            self.real = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            texts = list(texts)
            if synthetic and cache is not None:
                vecs, n = synthetic_vectors(texts, cache, real)
                self.real += n
                return vecs.tolist()
            vecs = real(texts)
            self.real += len(texts)
            if cache is not None:
                self.pending.update((text_key(t), v) for t, v in zip(texts, vecs, strict=True))
            return vecs.tolist()

        def embed_query(self, text: str) -> list[float]:
            return real([text])[0].tolist()

    return BenchLCEmbeddings()
