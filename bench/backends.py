"""The embedding backends of ``uca bench`` (torch / onnx / onnx-int8): throughput on the same SciFact abstracts
and the dense retriever's SciFact nDCG@10 / recall@100 with each (document embeddings cached per backend)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.corpora import load_scifact
from bench.embedders import ModelHolder

if TYPE_CHECKING:
    from bench.cli import BenchOptions, Log
    from ingest.settings import Settings

WARMUP_TEXTS = 8  # texts encoded once before timing a backend (load, warm-up)
PROGRESS_SECONDS = 60  # seconds between two progress lines of a corpus embedding
TOP = 100  # ranked documents per query (recall@100)
SAME_VECTOR_COS = 0.999  # cached vectors count as this model's when fresh encodings are at least this close


def bench_backends(base: Settings, holder: ModelHolder, opts: BenchOptions, log: Log) -> dict:
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
    exporter = holder.embedder(settings.model_copy(update={"embedding_backend": "torch"}))
    exporter.export_onnx()  # the onnx backends need the export (done from the torch model)
    sample = texts[: opts.backend_sample]
    want_ndcg = opts.ndcg == "yes" or (opts.ndcg == "auto" and any(s in opts.sizes for s in ("10k", "100k")))
    out: dict[str, Any] = {"sample_texts": len(sample), "corpus": len(texts), "queries": len(queries),
                           "batch_size": base.embedding_batch_size, "per_backend": {}}
    vectors: dict[str, np.ndarray] = {}
    for backend in opts.backends:
        backend_settings = settings.model_copy(update={"embedding_backend": backend})
        emb = holder.embedder(backend_settings) if backend == "torch" else Embedder(backend_settings)
        emb.encode(sample[:WARMUP_TEXTS])  # load / warm up
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
            docs_v = emb.encode(texts, progress=_every(log, f"backend {backend}", PROGRESS_SECONDS))
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
            top = np.argsort(-scores, axis=1)[:, :TOP]
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
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # an optional shortcut only
        log(f"backend torch: the `uca eval --beir` cache is not usable here ({type(exc).__name__}: {exc})")
        return
    if vecs.shape[0] != len(texts):
        return
    probe = [0, len(texts) // 2, len(texts) - 1]
    fresh = emb.encode([texts[i] for i in probe])
    if float(np.min(np.sum(fresh * vecs[probe], axis=1))) < SAME_VECTOR_COS:
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
