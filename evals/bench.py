"""``uca bench``: ingest, re-ingest, latency, cold start and memory at several corpus sizes, beside a plain
LangChain baseline (``Chroma.from_documents`` + ``similarity_search``) run on the same machine in the same run,
and the embedding backends (torch / onnx / onnx-int8) compared on throughput and SciFact nDCG@10.

Sizes: ``unicancer`` (the project's corpus), ``10k`` (the 5,183 SciFact abstracts as Markdown files of 50
abstracts, one section each, about 13k chunks) and ``100k`` (ten variants of that corpus). Unicancer and 10k
are embedded for real. At 100k, ingest gets an embedder that serves cached vectors (content hash -> vector,
filled by the 10k run) for the base texts and, for the synthetic variants, the base text's vector plus small
deterministic noise: its ingest time measures the pipeline (chunking, Chroma, BM25, manifest), not the model.
Latency at 100k is real: real Chroma HNSW and BM25 over all the chunks, real query embedding.

Everything runs on copies under the cache folder (``--cache``, default ``~/.cache/uca/bench``), never on the
project's own index; results go to ``--out`` (``results.json``, ``report.md``, ``latency.png``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("unicancer", "10k", "100k")
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_CACHE = Path("~/.cache/uca/bench")
DEFAULT_SCIFACT = ROOT.parent / "shared" / "benchmarks" / "scifact"
GROUP = 50  # SciFact abstracts per document
WRAP = 80  # columns of the generated Markdown paragraphs
VARIANTS_100K = 10
NOISE = 0.01  # per-coordinate std of the synthetic variants' noise (cosine to the base vector ~0.98)
VARIANT_RE = re.compile(r"\[v\d\]")
BASE_MARK = "[v0]"
EDIT_SENTENCE = " This sentence was added by uca bench to change one document."
UNICANCER_COLD_QUESTION = "Where is HOPE's head office?"
TARGETS = {
    "ingest_over_encode": 1.15,  # ingest wall time / bare model.encode time (sizes embedded for real)
    "noop_ratio_10k": 0.02,  # no-op re-ingest / full ingest at 10k chunks
    "cold_over_baseline": 0.5,  # cold `uca ask` / baseline cold script
    "ask_p95_ms_unicancer": 50.0,
    "ask_p95_ms_100k": 150.0,
}
# The plain LangChain user script whose cold start we compare with `uca ask`: it imports and loads its
# embedding model (the same model, through sentence-transformers) and queries the baseline's Chroma store.
BASELINE_SCRIPT = '''\
import sys

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer


class STEmbeddings(Embeddings):
    def __init__(self, path):
        self.model = SentenceTransformer(path, device="cpu")

    def embed_documents(self, texts):
        return self.model.encode(list(texts), batch_size=32, normalize_embeddings=True).tolist()

    def embed_query(self, text):
        return self.embed_documents([text])[0]


db = Chroma(collection_name="baseline", persist_directory=sys.argv[1], embedding_function=STEmbeddings(sys.argv[2]))
for doc in db.similarity_search(sys.argv[3], k=5):
    print(doc.metadata.get("source"), "|", doc.page_content[:100].replace("\\n", " "))
'''

Log = Callable[[str], None]


# --------------------------------------------------------------------------------------------- CLI

def register(sub: Any) -> None:
    """Add the ``bench`` subcommand to the ``uca`` parser."""
    p = sub.add_parser("bench", help="benchmark ingest, latency, cold start and memory against a LangChain baseline",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="unicancer", help="comma-separated: unicancer,10k,100k (default: unicancer)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")
    p.add_argument("--out", type=Path, metavar="DIR", help="write results.json, report.md and latency.png here")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help=f"vector cache, generated corpora and work folders (default {DEFAULT_CACHE})")
    p.add_argument("--questions", type=int, default=30, metavar="N", help="questions for warm latency (default 30)")
    p.add_argument("--cold-runs", type=int, default=3, metavar="N",
                   help="new-process runs of `uca ask` and of the baseline script (median reported; default 3)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="embedding backends to compare, or 'none' (default torch,onnx,onnx-int8)")
    p.add_argument("--backend-sample", type=int, default=64, metavar="N",
                   help="SciFact abstracts timed for backend throughput (default 64)")
    p.add_argument("--ndcg", choices=["auto", "yes", "no"], default="auto",
                   help="SciFact nDCG@10 per backend: auto = when its embeddings are cached or a SciFact size runs")
    p.add_argument("--no-chat", action="store_true", help="skip the `uca chat` start and memory measurement")
    p.add_argument("--scifact", type=Path, metavar="PATH", help=f"SciFact in BEIR layout (default {DEFAULT_SCIFACT})")
    p.add_argument("--corpus", type=Path, help="the Unicancer corpus folder to copy (default: UCA_CORPUS_DIR)")
    p.add_argument("--keep", action="store_true", help="keep the work folders (corpora, indexes) after the run")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by the parsed ``uca bench`` arguments."""
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    backends = [] if args.backends.strip().lower() == "none" else [b.strip() for b in args.backends.split(",")]
    bad += [b for b in backends if b not in BACKENDS]
    if bad or not sizes:
        print(f"uca bench: error: unknown size or backend {bad or sizes!r} (sizes: {', '.join(SIZES)}; "
              f"backends: {', '.join(BACKENDS)} or none)", file=sys.stderr)
        return 2
    log: Log = (lambda msg: None) if args.quiet else _stderr_log
    opts = BenchOptions(
        sizes=sizes, out=args.out, cache=(args.cache or DEFAULT_CACHE).expanduser().resolve(),
        questions=max(1, args.questions), cold_runs=max(1, args.cold_runs), backends=backends,
        backend_sample=max(8, args.backend_sample), ndcg=args.ndcg, chat=not args.no_chat,
        scifact=(args.scifact or DEFAULT_SCIFACT).expanduser().resolve(), corpus=args.corpus, keep=args.keep,
        command="uca bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]),
    )
    results = run_bench(opts, log)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(markdown_report(results))
    return 0


def main() -> int:
    """``python -m evals.bench``: the same as ``uca bench``."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    return run(parser.parse_args(["bench", *sys.argv[1:]]))


def _stderr_log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchOptions:
    """What one ``uca bench`` run measures and where it works."""

    def __init__(self, sizes: Sequence[str], out: Path | None, cache: Path, questions: int = 30, cold_runs: int = 3,
                 backends: Sequence[str] = BACKENDS, backend_sample: int = 64, ndcg: str = "auto",
                 chat: bool = True, scifact: Path = DEFAULT_SCIFACT, corpus: Path | None = None, keep: bool = False,
                 command: str = "uca bench") -> None:
        self.sizes, self.out, self.cache, self.questions = list(sizes), out, cache, questions
        self.cold_runs, self.backends, self.backend_sample, self.ndcg = cold_runs, list(backends), backend_sample, ndcg
        self.chat, self.scifact, self.corpus, self.keep, self.command = chat, scifact, corpus, keep, command


# --------------------------------------------------------------------------------------------- the run

def run_bench(opts: BenchOptions, log: Log = _stderr_log) -> dict:
    """Measure every requested size (then the backends) and write the result files; returns the results."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False"),
                       ("TOKENIZERS_PARALLELISM", "false")):
        os.environ[key] = value
    from ingest.settings import Settings

    t0 = time.perf_counter()
    base = Settings()
    if opts.corpus:
        base = base.model_copy(update={"corpus_dir": opts.corpus})
    base = base.model_copy(update={"chroma_url": None})
    opts.cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": opts.command,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"embedding_model": base.embedding_model, "embedding_backend": base.embedding_backend,
                     "embedding_batch_size": base.embedding_batch_size, "chunk_size": base.chunk_size,
                     "chunk_overlap": base.chunk_overlap, "top_k": base.top_k, "answer_mode": "extractive"},
        "questions": opts.questions, "cold_runs": opts.cold_runs, "sizes": {}, "backends": None,
    }
    model = _ModelHolder(base)
    for size in opts.sizes:
        log(f"size {size}: start")
        try:
            results["sizes"][size] = bench_size(size, base, model, opts, log)
        except Exception as exc:  # noqa: BLE001 - one failed size must not lose the others' figures
            import traceback

            log(f"size {size} FAILED: {exc}\n{traceback.format_exc()}")
            results["sizes"][size] = {"error": f"{type(exc).__name__}: {exc}"}
        _write_partial(results, opts)
    if opts.backends:
        try:
            results["backends"] = bench_backends(base, model, opts, log)
        except Exception as exc:  # noqa: BLE001
            log(f"backends FAILED: {exc}")
            results["backends"] = {"error": f"{type(exc).__name__}: {exc}"}
    results["targets"] = check_targets(results)
    results["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - t0, 1)
    if opts.out:
        write_outputs(results, opts.out)
        log(f"wrote {opts.out / 'report.md'}, results.json, latency.png")
    log(f"done in {results['total_seconds']:.0f} s")
    return results


def _write_partial(results: dict, opts: BenchOptions) -> None:
    if opts.out:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "results.partial.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


class _ModelHolder:
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


# --------------------------------------------------------------------------------------------- vectors

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


def base_text(text: str) -> str:
    """The text of the base corpus (variant 0) that a synthetic variant's text was made from."""
    return VARIANT_RE.sub(BASE_MARK, text)


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
            super().__init__(settings)
            self._model = model
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


# --------------------------------------------------------------------------------------------- corpora

def load_scifact(path: Path) -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, dict[str, int]]]:
    """SciFact in BEIR layout: ``[(id, title, text)]`` in file order, test queries and test qrels."""
    from evals.beir import load_beir

    data = load_beir(path, "test")
    corpus = [(i, t, x) for i, (t, x) in data.corpus.items()]
    queries = {q: data.queries[q] for q in sorted(data.qrels, key=_natural)}
    return corpus, queries, data.qrels


def _natural(s: str) -> tuple:
    return (0, int(s), s) if s.isdigit() else (1, 0, s)


def write_scifact_corpus(corpus: Sequence[tuple[str, str, str]], dest: Path, variants: int) -> int:
    """Markdown files of ``GROUP`` abstracts (one ``##`` section each, text wrapped at ``WRAP`` columns) under
    ``dest/v<k>/``; returns the count.

    Every variant is the base corpus with its ``[v0]`` marks (in the document and section titles) replaced by
    ``[v<k>]``: the same length, so chunk boundaries match and a variant's text maps back to its base text."""
    count = 0
    for v in range(variants):
        folder = dest / f"v{v}"
        folder.mkdir(parents=True, exist_ok=True)
        for g in range(0, len(corpus), GROUP):
            parts = [f"# SciFact abstracts {g // GROUP:03d} [v{v}]\n"]
            for _doc_id, title, text in corpus[g : g + GROUP]:
                heading = " ".join((title or "Untitled abstract").split())
                body = "\n".join(textwrap.wrap(" ".join(text.split()), WRAP, break_long_words=False,
                                                break_on_hyphens=False))
                parts.append(f"## {heading} [v{v}]\n\n{body}\n")
            (folder / f"scifact-{g // GROUP:03d}.md").write_text("\n".join(parts), encoding="utf-8")
            count += 1
    return count


def unicancer_questions(n: int) -> list[str]:
    """The first ``n`` stand-alone questions of the labelled Unicancer set (cycled when fewer)."""
    from evals.dataset import DEFAULT_DATASET, load_dataset

    qs = [it.question for it in load_dataset(DEFAULT_DATASET) if not it.history]
    return [qs[i % len(qs)] for i in range(n)]


def edit_one_document(path: Path) -> None:
    """Insert one sentence after the first sentence end past the middle of the file (a body paragraph)."""
    text = path.read_text(encoding="utf-8")
    at = text.find(". ", len(text) // 2)
    at = text.rfind(".") if at < 0 else at
    path.write_text(text[: at + 1] + EDIT_SENTENCE + text[at + 1 :], encoding="utf-8")


def baseline_documents(corpus: Path) -> list:
    """The corpus files as LangChain ``Document`` objects (plain text; what a simple script would load)."""
    from langchain_core.documents import Document

    docs = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".txt", ".md"):
            docs.append(Document(page_content=path.read_text(encoding="utf-8"),
                                 metadata={"source": path.relative_to(corpus).as_posix()}))
    return docs


def baseline_splitter(settings: Settings):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)


# --------------------------------------------------------------------------------------------- one size

def bench_size(size: str, base: Settings, holder: _ModelHolder, opts: BenchOptions, log: Log) -> dict:
    """All measurements at one corpus size."""
    import gc

    from ingest.pipeline import run_ingest

    work = opts.cache / "work" / size
    if work.exists():
        shutil.rmtree(work)
    corpus, index, lc_dir = work / "corpus", work / "index", work / "baseline"
    synthetic = size == "100k"
    if size == "unicancer":
        source = base.resolved_corpus_dir()
        shutil.copytree(source if source.is_dir() else ROOT / "corpus", corpus)
        questions = unicancer_questions(opts.questions)
        cold_question = UNICANCER_COLD_QUESTION
    else:
        docs, queries, _ = load_scifact(opts.scifact)
        write_scifact_corpus(docs, corpus, VARIANTS_100K if synthetic else 1)
        qs = list(queries.values())
        questions = [qs[i % len(qs)] for i in range(opts.questions)]
        cold_question = qs[0]
    settings = base.model_copy(update={"corpus_dir": corpus, "index_dir": index})
    model = holder.get()
    space = f"{settings.embedding_model}|fp32"
    cache = VectorCache(opts.cache / "vectors.sqlite", space)
    out: dict[str, Any] = {"embeddings": "cached + synthetic variants" if synthetic else "real",
                           "model_load_seconds": holder.load_seconds}
    try:
        if synthetic:
            out["prefill"] = prefill_cache(settings, model, cache, log)

        # 1. full ingest, beside the bare encode of the same texts
        emb = make_bench_embedder(settings, model, cache, synthetic)
        log(f"{size}: full ingest")
        load0, t, c = os.getloadavg()[0], time.perf_counter(), time.process_time()
        rep = run_ingest(settings, embedder=emb, progress=_progress_logger(log, size))
        full_s, full_cpu = time.perf_counter() - t, time.process_time() - c
        texts = list(emb.texts)
        out.update(documents=rep.documents, chunks=rep.chunks, corpus_chars=_corpus_chars(corpus))
        out["ingest"] = {"seconds": round(full_s, 3), "chunks_per_s": round(rep.chunks / full_s, 1),
                         "cpu_seconds": round(full_cpu, 2), "embedded": rep.embedded, "model_encoded": emb.real,
                         "in_encode_seconds": round(emb.encode_seconds, 2),
                         "words_encoded": emb.words, "words_encode_seconds": round(emb.words_seconds, 2),
                         "onnx_export_seconds": round(emb.export_seconds, 2),
                         "pipeline_seconds": round(full_s - emb.encode_seconds - emb.words_seconds
                                                   - emb.export_seconds, 2),
                         "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]}
        out["ingest"]["encoder"] = "onnx" if emb._onnx is not None else "torch"
        log(f"{size}: {rep.documents} documents, {rep.chunks} chunks, ingest {full_s:.1f} s "
            f"({out['ingest']['encoder']} encoder)")
        if not synthetic:
            cache.put(emb.pending)
            emb.pending.clear()
            # the floor uses the encoder ingest used: the ONNX export once the machine has it (auto), else torch
            onnx = emb._onnx
            log(f"{size}: bare encode of the same {len(texts)} texts ({'onnx' if onnx else 'torch'})")
            load0, t, c = os.getloadavg()[0], time.perf_counter(), time.process_time()
            if onnx is not None:
                onnx.encode(texts, batch_size=settings.embedding_batch_size)
            else:
                model.encode(texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
            enc_s, enc_cpu = time.perf_counter() - t, time.process_time() - c
            out["encode_floor"] = {"encoder": "onnx" if onnx is not None else "torch",
                                   "call": "OnnxEncoder.encode" if onnx is not None else "SentenceTransformer.encode",
                                   "seconds": round(enc_s, 3), "cpu_seconds": round(enc_cpu, 2), "texts": len(texts),
                                   "texts_per_s": round(len(texts) / enc_s, 1),
                                   "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]}
            out["ingest_over_encode"] = round(full_s / enc_s, 3)
            out["ingest_over_encode_cpu"] = round(full_cpu / enc_cpu, 3)
        else:
            out["encode_floor"] = None
            out["ingest_over_encode"] = out["ingest_over_encode_cpu"] = None

        # 2. no-op re-ingest
        emb.texts.clear()
        t = time.perf_counter()
        rep = run_ingest(settings, embedder=emb)
        noop_s = time.perf_counter() - t
        out["noop"] = {"seconds": round(noop_s, 4), "ratio": round(noop_s / full_s, 5), "embedded": rep.embedded,
                       "texts_sent_to_embedder": len(emb.texts)}
        log(f"{size}: no-op re-ingest {noop_s:.3f} s ({100 * noop_s / full_s:.2f} % of full)")

        # 3. the LangChain baseline's ingest (before the corpus is edited)
        log(f"{size}: LangChain baseline ingest")
        out["baseline"] = baseline_ingest(settings, model, corpus, lc_dir, cache, synthetic)
        log(f"{size}: baseline {out['baseline']['chunks']} chunks in {out['baseline']['ingest_seconds']:.1f} s")
        gc.collect()

        # 4. one changed document
        out["change_one"] = change_one(settings, corpus, emb, full_s)
        log(f"{size}: one changed document: {out['change_one']['seconds']:.2f} s, "
            f"{out['change_one']['embedded']} chunks embedded")

        # 5. warm latency, ours and the baseline's
        log(f"{size}: warm latency ({len(questions)} questions)")
        out["latency_ms"] = warm_latency(settings, questions)
        out["baseline"]["latency_ms"] = baseline_latency(model, settings, lc_dir, questions)
        gc.collect()

        # 6. cold start (new processes), ours and the baseline's, interleaved
        log(f"{size}: cold `uca ask` and baseline script, {opts.cold_runs} runs each")
        cold, base_cold = cold_runs(settings, lc_dir, cold_question, opts.cold_runs, work)
        out["cold_ask"], out["baseline"]["cold"] = cold, base_cold

        # 7. `uca chat`: start time and memory
        if opts.chat:
            log(f"{size}: `uca chat` start and peak RSS")
            out["chat"] = chat_memory(settings, cold_question, work)
        out["ratios"] = ratios(out)
    finally:
        cache.close()
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _corpus_chars(corpus: Path) -> int:
    return sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())


def _progress_logger(log: Log, size: str) -> Callable[[str, int, int], None]:
    state = {"last": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "embedding" and total and (now - state["last"] > 30 or done == total):
            state["last"] = now
            log(f"{size}: embedding {done}/{total}")

    return progress


def prefill_cache(settings: Settings, model: Any, cache: VectorCache, log: Log) -> dict:
    """Make sure the base corpus's vectors (ours and the baseline's chunks) are cached before the timed runs."""
    import numpy as np

    from ingest.chunking import chunk_document
    from ingest.loaders import load_document

    base_dir = settings.resolved_corpus_dir() / "v0"
    ours: list[str] = []
    for path in sorted(base_dir.glob("*.md")):
        doc = load_document(path, f"v0/{path.name}", settings.max_file_bytes)
        ours += [c.embed_text for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap)]
    splitter = baseline_splitter(settings)
    theirs = [d.page_content for d in splitter.split_documents(baseline_documents(base_dir))]
    missing = list(dict.fromkeys(t for t in ours + theirs if cache.get(text_key(t)) is None))
    if missing:
        log(f"100k: embedding {len(missing)} base texts missing from the cache (once)")
        for i in range(0, len(missing), 2048):
            part = missing[i : i + 2048]
            vecs = np.asarray(model.encode(part, batch_size=settings.embedding_batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
            cache.put({text_key(t): v for t, v in zip(part, vecs, strict=True)})
            log(f"100k: cached {min(i + 2048, len(missing))}/{len(missing)}")
    return {"base_texts": len(set(ours)) + len(set(theirs)), "embedded_now": len(missing)}


def change_one(settings: Settings, corpus: Path, emb: Any, full_s: float) -> dict:
    """Edit one document, re-ingest, and check that only that document's new chunks were embedded."""
    from ingest.index import MANIFEST_FILE, Manifest
    from ingest.pipeline import run_ingest

    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    path = files[len(files) // 2]
    source = path.relative_to(corpus).as_posix()
    manifest = Manifest(settings.resolved_index_dir() / MANIFEST_FILE)
    try:
        before = set(manifest.documents()[source].chunk_ids)
        edit_one_document(path)
        emb.texts.clear()
        t = time.perf_counter()
        rep = run_ingest(settings, embedder=emb)
        secs = time.perf_counter() - t
        after_ids = manifest.documents()[source].chunk_ids
        new = [c for c in manifest.chunks(ids=[i for i in after_ids if i not in before])]
    finally:
        manifest.close()
    sent = list(emb.texts)
    only_that = (rep.changed_documents == [source] and len(sent) == len(new) == rep.embedded
                 and all(any(t.endswith(c.text) for c in new) for t in sent))
    return {"document": source, "seconds": round(secs, 4), "ratio": round(secs / full_s, 5),
            "embedded": rep.embedded, "document_chunks": len(after_ids), "new_chunks": len(new),
            "changed_documents": rep.changed_documents, "only_that_document": only_that}


def _stats(values_ms: Sequence[float]) -> dict:
    import numpy as np

    a = np.asarray(values_ms, dtype=float)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2), "max": round(float(a.max()), 2), "n": len(values_ms)}


def warm_latency(settings: Settings, questions: Sequence[str]) -> dict:
    """p50/p95 of ``Assistant.retrieve`` and ``Assistant.ask`` (extractive) in a warm process."""
    from assistant.core import Assistant

    bot = Assistant(settings)
    for q in questions[:3]:  # warm-up: encoder session, index, caches
        bot.ask(q, mode="extractive")
    ret, ask, refused = [], [], 0
    stages: dict[str, list[float]] = {}
    for q in questions:
        t = time.perf_counter()
        bot.retrieve(q)
        ret.append(1000 * (time.perf_counter() - t))
    for q in questions:
        t = time.perf_counter()
        answer = bot.ask(q, mode="extractive")
        ask.append(1000 * (time.perf_counter() - t))
        refused += bool(answer.refused)
        for stage, secs in (answer.timings or {}).items():
            stages.setdefault(stage, []).append(1000 * secs)
    again = []  # the same questions again: the passages' sentence vectors are now cached
    for q in questions:
        t = time.perf_counter()
        bot.ask(q, mode="extractive")
        again.append(1000 * (time.perf_counter() - t))
    backend = "onnx" if bot.embedder._onnx is not None else "torch"
    return {"retrieve": _stats(ret), "ask": _stats(ask), "ask_repeat": _stats(again), "ask_refused": refused,
            "query_encoder": backend,
            "ask_stages_p50": {k: round(statistics.median(v), 2) for k, v in stages.items()}}


def baseline_ingest(settings: Settings, model: Any, corpus: Path, lc_dir: Path, cache: VectorCache,
                    synthetic: bool) -> dict:
    """``Chroma.from_documents`` on ``RecursiveCharacterTextSplitter`` chunks of the corpus files."""
    from langchain_chroma import Chroma

    emb = make_lc_embeddings(model, settings.embedding_batch_size, cache, synthetic)
    t, c = time.perf_counter(), time.process_time()
    docs = baseline_documents(corpus)
    chunks = baseline_splitter(settings).split_documents(docs)
    db = Chroma.from_documents(chunks, emb, collection_name="baseline", persist_directory=str(lc_dir))
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    if not synthetic:
        cache.put(emb.pending)
    del db
    return {"chunks": len(chunks), "ingest_seconds": round(secs, 3), "cpu_seconds": round(cpu, 2),
            "chunks_per_s": round(len(chunks) / secs, 1), "model_encoded": emb.real}


def baseline_latency(model: Any, settings: Settings, lc_dir: Path, questions: Sequence[str]) -> dict:
    """Warm ``similarity_search`` latency of the baseline store (real query embeddings)."""
    from langchain_chroma import Chroma

    db = Chroma(collection_name="baseline", persist_directory=str(lc_dir),
                embedding_function=make_lc_embeddings(model, settings.embedding_batch_size))
    for q in questions[:3]:
        db.similarity_search(q, k=settings.top_k)
    lat = []
    for q in questions:
        t = time.perf_counter()
        db.similarity_search(q, k=settings.top_k)
        lat.append(1000 * (time.perf_counter() - t))
    return {"search": _stats(lat)}


# --------------------------------------------------------------------------------------------- processes

def child_env(settings: Settings) -> dict[str, str]:
    """Environment of the measured subprocesses: offline, this size's corpus and index, embedded Chroma."""
    env = dict(os.environ)
    env.pop("UCA_CHROMA_URL", None)
    env.update(UCA_CORPUS_DIR=str(settings.corpus_dir), UCA_INDEX_DIR=str(settings.index_dir),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               TOKENIZERS_PARALLELISM="false", GRADIO_ANALYTICS_ENABLED="False")
    return env


def uca_command() -> list[str]:
    """The ``uca`` console script of this environment (``python -m uca`` when it has none)."""
    script = Path(sys.executable).parent / "uca"
    return [str(script)] if script.exists() else [sys.executable, "-m", "uca"]


def timed_process(cmd: Sequence[str], env: dict[str, str], out_file: Path, timeout: float = 600) -> dict:
    """Run ``cmd`` to completion: wall time, exit code and peak RSS (see :class:`RssSampler`)."""
    with out_file.open("wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(out_file.parent))
        sampler = RssSampler(proc.pid, interval=0.02)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        secs = time.perf_counter() - t
        peak = sampler.stop()
    return {"seconds": secs, "returncode": proc.returncode, "peak_rss_mb": round(peak / 2**20, 1)}


def cold_runs(settings: Settings, lc_dir: Path, question: str, runs: int, work: Path) -> tuple[dict, dict]:
    """``uca ask --json`` and the baseline script, each in a new process, alternately ``runs`` times."""
    from ingest.embeddings import resolve_model_path

    script = work / "baseline_query.py"
    script.write_text(BASELINE_SCRIPT, encoding="utf-8")
    env = child_env(settings)
    ours, theirs = [], []
    answer: dict = {}
    for i in range(runs):
        r = timed_process([*uca_command(), "ask", "--json", question], env, work / f"cold_ask_{i}.out")
        if r["returncode"] != 0:
            raise RuntimeError(f"uca ask failed ({r['returncode']}): "
                               + (work / f"cold_ask_{i}.out").read_text(errors="replace")[-2000:])
        ours.append(r)
        lines = [ln for ln in (work / f"cold_ask_{i}.out").read_text(errors="replace").splitlines()
                 if ln.startswith("{")]
        answer = json.loads(lines[-1]) if lines else {}
        r = timed_process([sys.executable, str(script), str(lc_dir), resolve_model_path(settings.embedding_model),
                           question], env, work / f"cold_baseline_{i}.out")
        if r["returncode"] != 0:
            raise RuntimeError("baseline script failed: "
                               + (work / f"cold_baseline_{i}.out").read_text(errors="replace")[-2000:])
        theirs.append(r)

    def summary(rs: list[dict]) -> dict:
        secs = [r["seconds"] for r in rs]
        return {"median_seconds": round(statistics.median(secs), 3), "min_seconds": round(min(secs), 3),
                "runs_seconds": [round(s, 3) for s in secs],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in rs)}

    mine = summary(ours)
    mine["answer"] = {"refused": answer.get("refused"), "citations": len(answer.get("citations") or []),
                      "text": (answer.get("text") or "")[:160]}
    return mine, summary(theirs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm_hwm(pid: int) -> int:
    """The kernel's peak RSS of a process's current address space (``VmHWM``), in bytes; 0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class RssSampler:
    """Peak memory of a process and its children until stopped: the larger of the sampled sum of their RSS
    (psutil) and the process's own ``VmHWM`` (exact peak since its exec; ``wait4``'s maxrss is not usable
    here because it counts the forking parent's pages)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total, _vm_hwm(self.pid))
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


def _http_ok(url: str, timeout: float = 2.0) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def gradio_ask(base_url: str, question: str, timeout: float = 120) -> dict:
    """One call of the app's ``/ask`` API over plain HTTP (Gradio's call / SSE protocol)."""
    import urllib.request

    req = urllib.request.Request(f"{base_url}/gradio_api/call/ask", data=json.dumps({"data": [question]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base_url}/gradio_api/call/ask/{event}", timeout=timeout) as r:
        body = r.read().decode("utf-8", "replace")
    datas = [ln[5:].strip() for ln in body.splitlines() if ln.startswith("data:")]
    value = json.loads(datas[-1]) if datas else None
    return value[0] if isinstance(value, list) and value else {"error": body[-300:]}


def chat_memory(settings: Settings, question: str, work: Path, timeout: float = 300) -> dict:
    """Start ``uca chat`` on a free loopback port, wait for HTTP, ask once through its API, record the peak
    RSS (process + children, sampled) and the start time, then stop it."""
    import signal

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_file = (work / "chat.log").open("wb")
    t = time.perf_counter()
    proc = subprocess.Popen([*uca_command(), "chat", "--host", "127.0.0.1", "--port", str(port)],
                            env=child_env(settings), stdout=log_file, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=str(work), start_new_session=True)
    sampler = RssSampler(proc.pid)
    result: dict[str, Any] = {"port": port}
    try:
        while not _http_ok(base_url + "/"):
            if proc.poll() is not None:
                raise RuntimeError(f"uca chat exited ({proc.returncode}): "
                                   + (work / "chat.log").read_text(errors="replace")[-2000:])
            if time.perf_counter() - t > timeout:
                raise RuntimeError("uca chat did not answer HTTP in time")
            time.sleep(0.1)
        result["startup_seconds"] = round(time.perf_counter() - t, 2)
        t1 = time.perf_counter()
        try:
            answer = gradio_ask(base_url, question)
            result["api_ask_seconds"] = round(time.perf_counter() - t1, 3)
            result["api_ok"] = "error" not in answer
        except (OSError, ValueError, KeyError) as exc:
            result["api_ok"], result["api_error"] = False, str(exc)
        time.sleep(1.0)
    finally:
        peak = sampler.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        log_file.close()
    result["peak_rss_mb"] = round(peak / 2**20, 1)
    return result


def ratios(out: dict) -> dict:
    """Ours / baseline."""
    b = out["baseline"]

    def r(a: float | None, c: float | None) -> float | None:
        return round(a / c, 3) if a is not None and c else None

    res = {
        "ingest": r(out["ingest"]["seconds"], b["ingest_seconds"]),
        "cold": r(out["cold_ask"]["median_seconds"], b["cold"]["median_seconds"]),
        "cold_peak_rss": r(out["cold_ask"]["peak_rss_mb"], b["cold"]["peak_rss_mb"]),
        "retrieve_p50_over_search_p50": r(out["latency_ms"]["retrieve"]["p50"], b["latency_ms"]["search"]["p50"]),
        "ask_p50_over_search_p50": r(out["latency_ms"]["ask"]["p50"], b["latency_ms"]["search"]["p50"]),
        "ask_p95_over_search_p95": r(out["latency_ms"]["ask"]["p95"], b["latency_ms"]["search"]["p95"]),
    }
    return res


# --------------------------------------------------------------------------------------------- backends

def bench_backends(base: Settings, holder: _ModelHolder, opts: BenchOptions, log: Log) -> dict:
    """Throughput (texts/s) of each embedding backend on the same SciFact abstracts, and the dense retriever's
    SciFact nDCG@10 / recall@100 with each (document embeddings cached per backend)."""
    import numpy as np

    from evals.metrics import evaluate, mean_of
    from ingest.embeddings import Embedder

    if not (opts.scifact / "corpus.jsonl").exists():
        return {"error": f"SciFact not found at {opts.scifact}"}
    corpus, queries, qrels = load_scifact(opts.scifact)
    doc_ids = [d for d, _, _ in corpus]
    texts = [f"{t} {x}".strip() for _, t, x in corpus]
    digest = hashlib.sha256(base.embedding_model.encode() + b"\0" + "\0".join(texts).encode()).hexdigest()[:16]
    root = opts.cache / "backends"
    settings = base.model_copy(update={"index_dir": root / "index"})
    model = holder.get()
    exporter = Embedder(settings.model_copy(update={"embedding_backend": "torch"}))
    exporter._model = model
    exporter.export_onnx()  # the onnx backends need the export (done from the torch model)
    sample = texts[: opts.backend_sample]
    want_ndcg = opts.ndcg == "yes" or (opts.ndcg == "auto" and any(s in opts.sizes for s in ("10k", "100k")))
    out: dict[str, Any] = {"sample_texts": len(sample), "corpus": len(texts), "queries": len(queries),
                           "batch_size": base.embedding_batch_size, "per_backend": {}}
    vectors: dict[str, np.ndarray] = {}
    for backend in opts.backends:
        emb = Embedder(settings.model_copy(update={"embedding_backend": backend}))
        if backend == "torch":
            emb._model = model
        emb.encode(sample[:8])  # load / warm up
        t = time.perf_counter()
        emb.encode(sample)
        secs = time.perf_counter() - t
        row: dict[str, Any] = {"texts_per_s": round(len(sample) / secs, 1), "sample_seconds": round(secs, 2)}
        log(f"backend {backend}: {row['texts_per_s']} texts/s")
        doc_file = root / f"scifact-{backend}-{digest}.npy"
        if backend == "torch" and not doc_file.exists():
            _seed_from_beir_cache(base, opts.scifact, emb, texts, doc_file, log)
        if doc_file.exists():
            docs_v = np.load(doc_file)
        elif want_ndcg:
            log(f"backend {backend}: embedding the {len(texts)} SciFact abstracts (once, cached)")
            t = time.perf_counter()
            docs_v = emb.encode(texts, progress=_every(log, f"backend {backend}", 60))
            full = time.perf_counter() - t
            row["corpus_texts_per_s"] = round(len(texts) / full, 1)
            tmp = doc_file.with_name(doc_file.stem + ".tmp.npy")
            np.save(tmp, docs_v)
            tmp.replace(doc_file)
            (root / f"scifact-{backend}-{digest}.json").write_text(json.dumps(
                {"seconds": round(full, 1), "texts": len(texts)}), encoding="utf-8")
        else:
            docs_v = None
            row["ndcg@10"] = None
            row["note"] = "SciFact embeddings not cached: run with a SciFact size or --ndcg yes"
        info = root / f"scifact-{backend}-{digest}.json"
        if "corpus_texts_per_s" not in row and info.exists():
            meta = json.loads(info.read_text(encoding="utf-8"))
            row["corpus_texts_per_s"] = round(meta["texts"] / meta["seconds"], 1)
        if docs_v is not None:
            q_file = root / f"scifact-{backend}-{digest}-queries.npy"
            q_v = np.load(q_file) if q_file.exists() else None
            if q_v is None or q_v.shape[0] != len(queries):
                q_v = emb.encode(list(queries.values()))
                np.save(q_file, q_v)
            scores = q_v @ docs_v.T
            top = np.argsort(-scores, axis=1)[:, :100]
            rankings = {q: [doc_ids[j] for j in top[i]] for i, q in enumerate(queries)}
            per_q = evaluate(qrels, rankings, ["ndcg@10", "recall@100"])
            row["ndcg@10"] = round(mean_of(per_q, "ndcg@10") or 0.0, 4)
            row["recall@100"] = round(mean_of(per_q, "recall@100") or 0.0, 4)
            vectors[backend] = docs_v
        out["per_backend"][backend] = row
    if "torch" in vectors:
        for backend, v in vectors.items():
            if backend != "torch":
                cos = np.sum(v * vectors["torch"], axis=1)
                out["per_backend"][backend]["mean_cos_to_torch"] = round(float(cos.mean()), 5)
                out["per_backend"][backend]["min_cos_to_torch"] = round(float(cos.min()), 5)
    from evals.beir import PUBLISHED

    out["published_ndcg@10"] = PUBLISHED.get("scifact", {}).get(base.embedding_model)
    return out


def _seed_from_beir_cache(base: Settings, scifact: Path, emb: Any, texts: Sequence[str], doc_file: Path,
                          log: Log) -> None:
    """Reuse the torch SciFact document vectors that ``uca eval --beir`` cached (same texts, same model), after
    checking a few of them against fresh encodings."""
    import numpy as np

    from evals.beir import BeirIndex, load_beir
    from evals.settings import EvalSettings

    try:
        cache_dir = EvalSettings(**base.model_dump()).resolved_beir_cache_dir()
        path = BeirIndex(base, load_beir(scifact), cache_dir).embeddings_file
        if not path.exists():
            return
        vecs = np.load(path)
    except (OSError, ValueError, KeyError):
        return
    if vecs.shape[0] != len(texts):
        return
    probe = [0, len(texts) // 2, len(texts) - 1]
    fresh = emb.encode([texts[i] for i in probe])
    if float(np.min(np.sum(fresh * vecs[probe], axis=1))) < 0.999:
        return
    doc_file.parent.mkdir(parents=True, exist_ok=True)
    np.save(doc_file, vecs.astype(np.float32))
    log(f"backend torch: reused the SciFact vectors cached by `uca eval --beir` ({path})")


def _every(log: Log, label: str, seconds: float) -> Callable[[int, int], None]:
    state = {"last": time.perf_counter()}

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - state["last"] > seconds or done == total:
            state["last"] = time.perf_counter()
            log(f"{label}: {done}/{total}")

    return progress


# --------------------------------------------------------------------------------------------- targets & output

def check_targets(results: dict) -> list[dict]:
    """Each target of issue 6 that this run can check: value, limit, met."""
    rows: list[dict] = []

    def add(name: str, size: str, value: float | None, limit: float, lower_is_better: bool = True,
            note: str = "") -> None:
        met = None if value is None else (value <= limit if lower_is_better else value >= limit)
        rows.append({"target": name, "size": size, "value": value, "limit": limit, "met": met, "note": note})

    for size, r in results["sizes"].items():
        if "error" in r:
            continue
        if r.get("ingest_over_encode") is not None:
            note = "fixed costs (ONNX export, BM25, Chroma) dominate a tiny corpus" if size == "unicancer" else ""
            add("ingest / bare encode", size, r["ingest_over_encode"], TARGETS["ingest_over_encode"], note=note)
            if r.get("ingest_over_encode_cpu") is not None:
                add("ingest / bare encode, CPU time", size, r["ingest_over_encode_cpu"],
                    TARGETS["ingest_over_encode"], note="cross-check insensitive to the machine's other load")
        if size == "10k":
            add("no-op re-ingest / full ingest", size, r["noop"]["ratio"], TARGETS["noop_ratio_10k"])
        rows.append({"target": "one changed document embeds only its new chunks", "size": size,
                     "value": f"{r['change_one']['embedded']} of {r['change_one']['document_chunks']}",
                     "limit": "that document only", "met": bool(r["change_one"]["only_that_document"]), "note": ""})
        add("cold `uca ask` / baseline cold", size, r["ratios"]["cold"], TARGETS["cold_over_baseline"])
        if size == "unicancer":
            add("warm ask p95 (ms)", size, r["latency_ms"]["ask"]["p95"], TARGETS["ask_p95_ms_unicancer"])
        if size == "100k":
            add("warm ask p95 (ms)", size, r["latency_ms"]["ask"]["p95"], TARGETS["ask_p95_ms_100k"])
    return rows


def _f(v: Any, fmt: str = "{:,.2f}") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return fmt.format(v)
    return str(v)


def markdown_report(results: dict) -> str:
    """The results as Markdown tables (sizes side by side, targets, backends, notes)."""
    sizes = {k: v for k, v in results["sizes"].items() if "error" not in v}
    names = list(sizes)
    lines = [f"# `uca bench` results ({results['date'][:10]})", "",
             f"Command: `{results['command']}` — {results['machine']['cpus']} CPUs, load average "
             f"{results['machine']['load_avg_start']} at start (shared machine), model "
             f"{results['settings']['embedding_model']}, batch {results['settings']['embedding_batch_size']}, "
             f"chunks {results['settings']['chunk_size']}/{results['settings']['chunk_overlap']} chars, "
             f"{results['questions']} questions, cold runs: median of {results['cold_runs']}.", ""]
    for size, r in results["sizes"].items():
        if "error" in r:
            lines += [f"**{size}: failed** — {r['error']}", ""]
    if names:
        def row(label: str, fn: Callable[[dict], str]) -> str:
            cells = []
            for n in names:
                try:
                    cells.append(fn(sizes[n]))
                except (KeyError, TypeError):
                    cells.append("–")
            return f"| {label} | " + " | ".join(cells) + " |"

        def pct(x: float) -> str:
            return f"{100 * x:.2f} %"

        lines += ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        lines += [
            row("documents / chunks", lambda r: f"{r['documents']:,} / {r['chunks']:,}"),
            row("embeddings at ingest", lambda r: r["embeddings"]),
            row("full ingest (s)", lambda r: _f(r["ingest"]["seconds"], "{:,.1f}")),
            row("ingest throughput (chunks/s)", lambda r: _f(r["ingest"]["chunks_per_s"], "{:,.0f}")),
            row("… of which in the embedder / ONNX export / rest of the pipeline (s)",
                lambda r: f"{r['ingest']['in_encode_seconds']:,.1f} / {r['ingest']['onnx_export_seconds']:,.1f} / "
                          f"{r['ingest']['pipeline_seconds']:,.1f}"),
            row("ingest's encoder", lambda r: r["ingest"]["encoder"]),
            row("bare encode of the same texts, same encoder and batch (s)",
                lambda r: _f((r["encode_floor"] or {}).get("seconds"), "{:,.1f}")),
            row("ingest / encode (target ≤ 1.15)", lambda r: _f(r["ingest_over_encode"], "{:.3f}")),
            row("… same in CPU time (ingest / encode)", lambda r: _f(r.get("ingest_over_encode_cpu"), "{:.3f}")),
            row("no-op re-ingest (s, % of full)",
                lambda r: f"{r['noop']['seconds']:.3f} ({pct(r['noop']['ratio'])}), {r['noop']['embedded']} embedded"),
            row("one changed document (s, % of full)",
                lambda r: f"{r['change_one']['seconds']:.2f} ({pct(r['change_one']['ratio'])})"),
            row("… chunks embedded / chunks of that document",
                lambda r: f"{r['change_one']['embedded']} / {r['change_one']['document_chunks']}"
                          + (" ✓" if r["change_one"]["only_that_document"] else " ✗")),
            row("warm `retrieve` p50 / p95 (ms)",
                lambda r: f"{r['latency_ms']['retrieve']['p50']:.1f} / {r['latency_ms']['retrieve']['p95']:.1f}"),
            row("warm `ask` p50 / p95 (ms)",
                lambda r: f"{r['latency_ms']['ask']['p50']:.1f} / {r['latency_ms']['ask']['p95']:.1f}"),
            row("… `ask` stages p50 (ms): retrieve / score / verify",
                lambda r: " / ".join(f"{r['latency_ms']['ask_stages_p50'].get(k, 0):.1f}"
                                     for k in ("retrieve", "score", "verify"))),
            row("… same questions asked again p50 / p95 (ms)",
                lambda r: f"{r['latency_ms']['ask_repeat']['p50']:.1f} / {r['latency_ms']['ask_repeat']['p95']:.1f}"),
            row("… questions refused", lambda r: f"{r['latency_ms']['ask_refused']} of {r['latency_ms']['ask']['n']}"),
            row("cold `uca ask` (s, median)", lambda r: _f(r["cold_ask"]["median_seconds"])),
            row("peak RSS `uca ask` (MB)", lambda r: _f(r["cold_ask"]["peak_rss_mb"], "{:,.0f}")),
            row("`uca chat`: start to HTTP (s) / peak RSS (MB)",
                lambda r: f"{r['chat']['startup_seconds']:.1f} / {r['chat']['peak_rss_mb']:,.0f}"),
            row("baseline: chunks / ingest (s)",
                lambda r: f"{r['baseline']['chunks']:,} / {r['baseline']['ingest_seconds']:,.1f}"),
            row("baseline `similarity_search` p50 / p95 (ms)",
                lambda r: f"{r['baseline']['latency_ms']['search']['p50']:.1f} / "
                          f"{r['baseline']['latency_ms']['search']['p95']:.1f}"),
            row("baseline cold script (s, median) / peak RSS (MB)",
                lambda r: f"{r['baseline']['cold']['median_seconds']:.2f} / "
                          f"{r['baseline']['cold']['peak_rss_mb']:,.0f}"),
            row("ours / baseline: ingest", lambda r: _f(r["ratios"]["ingest"], "{:.2f}")),
            row("ours / baseline: cold (target ≤ 0.5)", lambda r: _f(r["ratios"]["cold"], "{:.2f}")),
            row("ours / baseline: cold peak RSS", lambda r: _f(r["ratios"]["cold_peak_rss"], "{:.2f}")),
            row("ours / baseline: warm retrieve p50 vs search p50",
                lambda r: _f(r["ratios"]["retrieve_p50_over_search_p50"], "{:.2f}")),
            row("ours / baseline: warm ask p50 vs search p50",
                lambda r: _f(r["ratios"]["ask_p50_over_search_p50"], "{:.2f}")),
        ]
    targets = results.get("targets") or []
    if targets:
        lines += ["", "## Targets", "", "| target | size | measured | limit | met |", "|---|---|---|---|---|"]
        for t in targets:
            met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
            note = f" ({t['note']})" if t.get("note") else ""
            lines.append(f"| {t['target']}{note} | {t['size']} | {_f(t['value'], '{:.4g}')} | {t['limit']} | {met} |")
    b = results.get("backends")
    if b and "per_backend" in b:
        lines += ["", "## Embedding backends", "",
                  f"Throughput on the same {b['sample_texts']} SciFact abstracts (title + text, batch "
                  f"{b['batch_size']}); dense-only retrieval on SciFact test ({b['queries']} queries, "
                  f"{b['corpus']:,} abstracts; published nDCG@10 for this model: {_f(b.get('published_ndcg@10'))}).",
                  "", "| backend | texts/s (sample) | texts/s (whole corpus, first embedding) | nDCG@10 | recall@100 "
                      "| cosine to torch (mean / min) |", "|---|---|---|---|---|---|"]
        for name, r in b["per_backend"].items():
            cos = (f"{r['mean_cos_to_torch']:.4f} / {r['min_cos_to_torch']:.4f}" if "mean_cos_to_torch" in r
                   else ("1" if name == "torch" else "–"))
            lines.append(f"| {name} | {_f(r['texts_per_s'], '{:.1f}')} | {_f(r.get('corpus_texts_per_s'), '{:.1f}')} "
                         f"| {_f(r.get('ndcg@10'), '{:.4f}')} | {_f(r.get('recall@100'), '{:.4f}')} | {cos} |")
    elif b and "error" in b:
        lines += ["", f"Embedding backends: failed — {b['error']}"]
    lines += ["", "## How it was measured", "",
              "- Full ingest: `run_ingest` on a fresh index with the model already loaded (the torch model's load, "
              f"{_f(next((r.get('model_load_seconds') for r in sizes.values()), None))} s in this run, is not "
              "included); it includes loading and chunking the files, embedding, Chroma upserts, the BM25 build and "
              "the manifest commit. With the default backend (`auto`) ingest embeds with the machine's ONNX export "
              "of the model once it exists (else with torch, and exports it at the end). The floor is one bare "
              "call of that same encoder (`OnnxEncoder.encode` or `SentenceTransformer.encode`) on the same embed "
              "texts with the same batch size. CPU times are the bench process's (all threads).",
              "- Warm latency: one process, `Assistant.retrieve` and `Assistant.ask` (extractive) per question "
              "after 3 warm-up questions; queries are embedded by the ONNX export, as `uca ask` does.",
              "- Cold: a new process per run (`uca ask --json`; the baseline script imports langchain-chroma and "
              "sentence-transformers, loads the model and runs `similarity_search`); OS file cache warm. Peak RSS "
              "is the larger of the process's VmHWM and the psutil-sampled RSS of the process and its children; "
              "`uca chat` is measured from start until after one answer through its `/ask` API.",
              "- Baseline: `RecursiveCharacterTextSplitter` (same chunk size and overlap) and "
              "`Chroma.from_documents` with a LangChain `Embeddings` over the same SentenceTransformer.",
              "- 10k: the 5,183 SciFact abstracts as Markdown files of 50 abstracts (one `##` section each, "
              "paragraphs wrapped at 80 columns). 100k: ten variants of it "
              "(titles marked `[v0]`…`[v9]`). At 100k neither ingest embeds for real: the base texts' vectors come "
              "from the cache filled at 10k and each variant gets its base vector plus small deterministic noise "
              "(σ = 0.01 per coordinate), so 100k ingest times measure the pipelines, not the model; there is no "
              "encode floor at 100k. Latency at 100k is real (Chroma HNSW + BM25 over all chunks, real query "
              "embeddings).",
              "- The machine is shared: absolute times vary with its load; ratios within one run are the point."]
    return "\n".join(lines) + "\n"


def latency_chart(results: dict, path: Path) -> None:
    """Warm retrieve / ask p50 and p95 (and the baseline's similarity_search p50) against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [(k, v) for k, v in results["sizes"].items() if "error" not in v]
    if not sizes:
        return
    xs = [v["chunks"] for _, v in sizes]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    series = [("retrieve", "p50", "C0", "-"), ("retrieve", "p95", "C0", "--"), ("ask", "p50", "C1", "-"),
              ("ask", "p95", "C1", "--")]
    for what, pct, color, style in series:
        ax.plot(xs, [v["latency_ms"][what][pct] for _, v in sizes], marker="o", color=color, linestyle=style,
                label=f"ours: {what} {pct}")
    ax.plot(xs, [v["baseline"]["latency_ms"]["search"]["p50"] for _, v in sizes], marker="s", color="C2",
            linestyle=":", label="LangChain baseline: similarity_search p50")
    targets = [(v["chunks"], TARGETS["ask_p95_ms_unicancer" if k == "unicancer" else "ask_p95_ms_100k"])
               for k, v in sizes if k in ("unicancer", "100k")]
    if targets:
        ax.scatter([t[0] for t in targets], [t[1] for t in targets], marker="_", s=400, color="red",
                   label="target for ask p95")
    ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{k}\n{v['chunks']:,} chunks" for k, v in sizes], fontsize=8)
    ax.minorticks_off()
    ax.set_ylabel("warm latency (ms)")
    ax.set_title("Warm latency against corpus size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(results: dict, out: Path) -> dict[str, Path]:
    """``results.json``, ``report.md`` and ``latency.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": out / "results.json", "report": out / "report.md", "chart": out / "latency.png"}
    paths["results"].write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report = markdown_report(results)
    if any("error" not in v for v in results["sizes"].values()):
        latency_chart(results, paths["chart"])
        report += "\n![Warm latency against corpus size](latency.png)\n"
    paths["report"].write_text(report, encoding="utf-8")
    (out / "results.partial.json").unlink(missing_ok=True)
    return paths


if __name__ == "__main__":
    sys.exit(main())
