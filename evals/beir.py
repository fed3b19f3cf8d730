"""BEIR-format benchmarks (e.g. SciFact): dense, BM25 and fused retrieval of the assistant, scored with pytrec_eval.

The BEIR corpus gets its own index, never the chat index: one passage per document (title + text), vectors in
Chroma, BM25 with :func:`ingest.lexical.build_bm25`, and the manifest that :class:`assistant.retrieval.Retriever`
reads, so the three runs are exactly the assistant's ``dense``, ``lexical`` and fused ``retrieve``.
The index lives under ``<cache>/<dataset>-<model>`` and the document embeddings in
``<cache>/embeddings/<model>-<hash>.npy`` (hash of the model name and the corpus), so a rerun re-embeds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.metrics import evaluate, mean_of
from ingest.embeddings import Embedder
from ingest.settings import Settings

COLLECTION = "beir"
MEASURES = ("ndcg@10", "recall@100")
DEPTH = 100
# Published nDCG@10 on the BEIR test split, for orientation (BEIR paper; MTEB leaderboard).
PUBLISHED = {
    "scifact": {"bm25": 0.665, "all-MiniLM-L6-v2": 0.645, "bge-small-en-v1.5": 0.72},
}
# Fusion settings tried by ``--tune`` (on the tuning half of the queries only).
TUNE_GRID: list[dict] = (
    [{"fusion": "rrf", "rrf_k": k, "dense_weight": 1.0, "bm25_weight": w}
     for k in (10, 20, 40, 60, 100) for w in (0.5, 0.75, 1.0, 1.5, 2.0)]
    + [{"fusion": "weighted", "dense_weight": 1.0, "bm25_weight": w} for w in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)]
)

Progress = Callable[[str, int, int], None]


@dataclass
class BeirData:
    """A BEIR dataset: corpus ``{id: (title, text)}`` in file order, queries and qrels of one split."""

    name: str
    path: Path
    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def doc_text(self, doc_id: str) -> str:
        """What is embedded and indexed for a document: title and text, as BEIR's own models do."""
        title, text = self.corpus[doc_id]
        return f"{title} {text}".strip() if title else text

    def content_hash(self, model: str) -> str:
        h = hashlib.sha256(model.encode())
        for doc_id, (title, text) in self.corpus.items():
            h.update(b"\0" + doc_id.encode() + b"\0" + title.encode() + b"\0" + text.encode())
        return h.hexdigest()


def load_beir(path: Path, split: str = "test") -> BeirData:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` (with its header line)."""
    path = Path(path).expanduser().resolve()
    for need in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (path / need).is_file():
            raise FileNotFoundError(f"not a BEIR dataset folder: {path / need} is missing")
    corpus: dict[str, tuple[str, str]] = {}
    for obj in _jsonl(path / "corpus.jsonl"):
        corpus[str(obj["_id"])] = (str(obj.get("title") or ""), str(obj.get("text") or ""))
    queries = {str(o["_id"]): str(o["text"]) for o in _jsonl(path / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with (path / f"qrels/{split}.tsv").open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        header = next(rows, None)
        if header is None or header[0].strip().lower() not in ("query-id", "query_id", "qid"):
            raise ValueError(f"qrels/{split}.tsv: expected a header line 'query-id corpus-id score'")
        for row in rows:
            if len(row) >= 3 and row[0].strip():
                qrels.setdefault(row[0].strip(), {})[row[1].strip()] = int(row[2])
    missing = sorted(q for q in qrels if q not in queries)
    if missing:
        raise ValueError(f"qrels name queries that queries.jsonl lacks: {missing[:5]}")
    return BeirData(path.name, path, corpus, queries, qrels)


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def model_slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"


class BeirIndex:
    """The cached index of one BEIR corpus for one embedding model."""

    def __init__(self, settings: Settings, data: BeirData, cache_dir: Path) -> None:
        self.data = data
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        # int8 vectors (UCA_EMBEDDING_BACKEND=onnx-int8) differ from fp32 ones: they get their own cache
        model = settings.embedding_model + ("|int8" if settings.embedding_backend == "onnx-int8" else "")
        self.hash = data.content_hash(model)
        slug = model_slug(model)
        self.dir = self.cache_dir / f"{data.name}-{slug}"
        self.embeddings_file = self.cache_dir / "embeddings" / f"{slug}-{self.hash[:20]}.npy"
        # its own index folder, always embedded Chroma, and no near-duplicate removal (every document counts)
        self.settings = settings.model_copy(update={
            "index_dir": self.dir, "corpus_dir": data.path, "chroma_url": None, "dedup_threshold": 1.0,
        })

    def is_current(self) -> bool:
        """The index exists, finished, and was built from this corpus with this model."""
        from ingest.index import MANIFEST_FILE, Manifest

        path = self.dir / MANIFEST_FILE
        if not path.exists():
            return False
        manifest = Manifest(path)
        try:
            meta = manifest.meta()
            return meta.get("beir_hash") == self.hash and "generation" in meta and \
                manifest.count_chunks() == len(self.data.corpus)
        finally:
            manifest.close()

    def embeddings(self, embedder: Embedder, progress: Progress | None = None) -> tuple[np.ndarray, bool]:
        """Document vectors from the ``.npy`` cache, or computed and cached; and whether they were computed."""
        n = len(self.data.corpus)
        if self.embeddings_file.exists():
            vecs = np.load(self.embeddings_file)
            if vecs.shape[0] == n:
                return vecs, False
        texts = [self.data.doc_text(d) for d in self.data.corpus]
        vecs = embedder.encode(texts, progress=(lambda d, t: progress("embedding", d, t)) if progress else None)
        self.embeddings_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.embeddings_file.with_name(self.embeddings_file.stem + ".tmp.npy")
        np.save(tmp, vecs)
        tmp.replace(self.embeddings_file)
        return vecs, True

    def ensure(self, embedder: Embedder, progress: Progress | None = None) -> dict:
        """Build the index unless current: ``{"reused", "embedded", "seconds"}``."""
        from ingest.index import (
            MANIFEST_FILE,
            DocumentEntry,
            Manifest,
            StoredChunk,
            chroma_client,
            get_collection,
            index_config,
        )
        from ingest.lexical import build_bm25
        from ingest.pipeline import acquire_lock

        t0 = time.perf_counter()
        if self.is_current():
            return {"reused": True, "embedded": 0, "seconds": round(time.perf_counter() - t0, 3)}
        lock = acquire_lock(self.dir)
        manifest = Manifest(self.dir / MANIFEST_FILE)
        try:
            generation = int(manifest.get("generation", "0") or 0) + 1
            manifest.set_meta({"beir_hash": "building"})  # not current until the commit below
            vecs, computed = self.embeddings(embedder, progress)
            ids = list(self.data.corpus)
            client = chroma_client(self.settings)
            name = f"{COLLECTION}-{self.hash[:16]}"
            existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
            if name in existing:  # left by an unfinished build
                client.delete_collection(name)
            collection = get_collection(client, name, create=True)
            batch = max(1, min(client.get_max_batch_size(), 2000))
            for i in range(0, len(ids), batch):
                collection.upsert(ids=ids[i : i + batch], embeddings=vecs[i : i + batch])
                if progress:
                    progress("vectors", min(i + batch, len(ids)), len(ids))
            bm25_dir = self.dir / "bm25" / f"g{generation}"
            if bm25_dir.exists():
                shutil.rmtree(bm25_dir)
            build_bm25(ids, [f"{t}\n{x}" for t, x in self.data.corpus.values()], bm25_dir)
            docs, chunks = [], {}
            for doc_id, (title, text) in self.data.corpus.items():
                digest = hashlib.sha256(text.encode()).hexdigest()
                docs.append(DocumentEntry(doc_id, digest, len(text), 0, title, "beir", (doc_id,)))
                chunks[doc_id] = [StoredChunk(doc_id, doc_id, title, "", 0, len(text), 0, digest, text)]
            meta = dict(index_config(self.settings))
            meta.update({"generation": str(generation), "collection": name, "beir_hash": self.hash,
                         "bm25_dir": bm25_dir.relative_to(self.dir).as_posix(), "documents": str(len(ids)),
                         "chunks": str(len(ids)), "dimension": str(vecs.shape[1]),
                         "last_ingest": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            manifest.commit(docs, [], chunks, meta, replace_all=True)
            for old in existing - {name}:  # earlier corpora's vectors and BM25 directories
                if old.startswith(COLLECTION + "-"):
                    client.delete_collection(old)
            for d in (self.dir / "bm25").iterdir():
                if d != bm25_dir:
                    shutil.rmtree(d, ignore_errors=True)
        finally:
            manifest.close()
            lock.release()
        return {"reused": False, "embedded": len(ids) if computed else 0,
                "seconds": round(time.perf_counter() - t0, 3)}


class _QueryVectors:
    """The embedder with query vectors computed once (tuning runs each query many times)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def prime(self, queries: list[str]) -> None:
        todo = [q for q in dict.fromkeys(queries) if q not in self._cache]
        if todo:
            encode = getattr(self.embedder, "encode_queries", self.embedder.encode)  # e5: the "query: " prefix
            self._cache.update(zip(todo, encode(todo), strict=True))

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self._cache:
            self._cache[text] = self.embedder.encode_query(text)
        return self._cache[text]

    def encode(self, texts, **kwargs) -> np.ndarray:
        return self.embedder.encode(texts, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)


def fusion_of(settings: Settings) -> dict:
    return {"fusion": settings.fusion, "rrf_k": settings.rrf_k, "dense_weight": settings.dense_weight,
            "bm25_weight": settings.bm25_weight}


def _runs(retriever, queries: dict[str, str], systems: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {s: {} for s in systems}
    for qid, text in queries.items():
        if "dense" in systems:
            out["dense"][qid] = [d for d, _ in retriever.dense(text, DEPTH)]
        if "bm25" in systems:
            out["bm25"][qid] = [d for d, _ in retriever.lexical(text, DEPTH)]
        if "fused" in systems:
            out["fused"][qid] = [p.id for p in retriever.retrieve(text, k=DEPTH)]
    return out


def _scores(qrels: dict, runs: dict[str, dict[str, list[str]]], queries: list[str]) -> dict[str, dict[str, float]]:
    sub = {q: qrels[q] for q in queries}
    out = {}
    for system, run in runs.items():
        per_q = evaluate(sub, run, MEASURES)
        out[system] = {m: round(mean_of(per_q, m) or 0.0, 4) for m in MEASURES}
    return out


def halves(query_ids: list[str], seed: int = 13) -> tuple[list[str], list[str]]:
    """A seeded split of the judged queries into a tuning half and a held-out half."""
    ids = sorted(query_ids)
    random.Random(seed).shuffle(ids)
    cut = len(ids) // 2
    return sorted(ids[:cut]), sorted(ids[cut:])


def run_beir(settings: Settings, path: Path, cache_dir: Path, tune: bool = False, embedder: Embedder | None = None,
             progress: Progress | None = None) -> dict:
    """Index (or reuse) the BEIR corpus, run its test queries, and score dense, BM25 and fused retrieval.

    Without ``tune`` the fusion is the settings' (untuned). With ``tune`` the fusion is chosen on a seeded half
    of the queries and every figure is reported on the other half (``held_out``) as well as on all queries.
    """
    from assistant.retrieval import Retriever

    t0 = time.perf_counter()
    data = load_beir(path)
    index = BeirIndex(settings, data, cache_dir)
    embedder = embedder or Embedder(settings)
    build = index.ensure(embedder, progress)
    vectors = _QueryVectors(embedder)
    judged = sorted(q for q, docs in data.qrels.items() if any(docs.values()))
    queries = {q: data.queries[q] for q in judged}
    t1 = time.perf_counter()
    vectors.prime(list(queries.values()))
    retriever = Retriever(index.settings, vectors)
    runs = _runs(retriever, queries, ("dense", "bm25", "fused"))
    query_seconds = time.perf_counter() - t1
    result: dict = {
        "dataset": data.name, "path": str(data.path), "model": settings.embedding_model,
        "documents": len(data.corpus), "queries": len(judged), "fusion": fusion_of(index.settings),
        "all": _scores(data.qrels, runs, judged),
        "published_ndcg@10": PUBLISHED.get(data.name.lower(), {}),
        "tuned": False,
        "index": {"dir": str(index.dir), "embeddings": str(index.embeddings_file), **build},
    }
    if tune:
        tune_q, held_q = halves(judged)
        trials = []
        for grid in TUNE_GRID:
            s = index.settings.model_copy(update=grid)
            fused = _runs(Retriever(s, vectors), {q: queries[q] for q in tune_q}, ("fused",))
            trials.append((_scores(data.qrels, fused, tune_q)["fused"]["ndcg@10"], grid))
        best_score, best = max(trials, key=lambda t: t[0])
        tuned_settings = index.settings.model_copy(update=best)
        tuned_runs = _runs(Retriever(tuned_settings, vectors), queries, ("fused",))
        result.update({
            "tuned": True,
            "tuning": {"seed": 13, "tune_queries": len(tune_q), "held_out_queries": len(held_q),
                       "chosen": best, "tune_ndcg@10": round(best_score, 4),
                       "grid": [{"ndcg@10": round(sc, 4), **g} for sc, g in trials]},
            "held_out": {**_scores(data.qrels, {k: runs[k] for k in ("dense", "bm25")}, held_q),
                         "fused (settings)": _scores(data.qrels, {"f": runs["fused"]}, held_q)["f"],
                         "fused (tuned)": _scores(data.qrels, tuned_runs, held_q)["fused"]},
        })
        result["all"]["fused (tuned)"] = _scores(data.qrels, tuned_runs, judged)["fused"]
    result["seconds"] = {"total": round(time.perf_counter() - t0, 2), "queries": round(query_seconds, 2)}
    return result


def format_beir(result: dict) -> str:
    """A plain-text table of a :func:`run_beir` result."""
    published = result.get("published_ndcg@10") or {}
    model = result["model"]
    ref = {"dense": published.get(model), "bm25": published.get("bm25")}
    lines = [f"BEIR {result['dataset']}: {result['documents']} documents, {result['queries']} judged queries, "
             f"model {model}",
             f"fusion (settings): {result['fusion']}",
             f"index: {result['index']['dir']} ({'reused' if result['index']['reused'] else 'built'}, "
             f"{result['index']['embedded']} documents embedded)", ""]

    def table(title: str, rows: dict) -> None:
        lines.append(title)
        lines.append(f"  {'system':<18} {'nDCG@10':>8} {'Recall@100':>11} {'published nDCG@10':>18}")
        for system, m in rows.items():
            pub = ref.get(system)
            lines.append(f"  {system:<18} {m['ndcg@10']:>8.4f} {m['recall@100']:>11.4f} "
                         f"{(f'{pub:.3f}' if pub is not None else '-'):>18}")

    table("all judged queries" + (" (the tuned row saw half of them while tuning)" if result["tuned"] else ""),
          result["all"])
    if result["tuned"]:
        t = result["tuning"]
        lines.append("")
        lines.append(f"fusion tuned on {t['tune_queries']} queries (seed {t['seed']}): {t['chosen']} "
                     f"(nDCG@10 {t['tune_ndcg@10']:.4f} on the tuning half)")
        table(f"held-out half ({t['held_out_queries']} queries, never seen while tuning)", result["held_out"])
    lines.append(f"\n{result['seconds']['total']:.1f} s ({result['seconds']['queries']:.1f} s of queries)")
    return "\n".join(lines)
