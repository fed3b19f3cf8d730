"""BEIR-format benchmarks (e.g. SciFact): dense, BM25 and fused retrieval of the assistant, scored with pytrec_eval.

The BEIR corpus gets its own index, never the chat index, built by the ingest pipeline
(:func:`ingest.pipeline.run_ingest`) from a corpus folder of one file per document (title + text, one chunk
each), so the three runs are exactly the assistant's ``dense``, ``lexical`` and fused ``retrieve`` on an index
like the product's. The index lives under ``<cache>/<dataset>-<model>``, the corpus files under
``<cache>/corpora/``, and the document vectors in the embedding cache ``<cache>/embeddings/``
(:mod:`evals.embed_cache`, keyed by model and text): a rerun finds the index current and embeds nothing, and a
rebuild (changed corpus, deleted index) embeds only documents it has never seen.
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

from evals.embed_cache import CACHE_FILE, vector_key
from evals.metrics import evaluate, mean_of
from ingest.embeddings import Embedder
from ingest.settings import Settings

DOC_FILE = "document.md"  # every document's file name (its folder is the document id)
MAX_CHUNK = 20_000  # the largest chunk size Settings allows: one chunk per abstract
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,100}")
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


class _ChunkVectorsOnly:
    """What the BEIR ingest needs from an embedder: chunk vectors (through the embedding cache) and queries.

    It has no ``encode_with_spans`` / ``encode_words``, so ``run_ingest`` stores no sentence or word vectors:
    retrieval is all a BEIR run measures."""

    def __init__(self, cached) -> None:
        self.cached = cached

    def encode(self, texts, progress=None, show_progress_bar: bool = False) -> np.ndarray:
        return self.cached.encode(texts, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.cached.inner.encode_query(text)

    def dimension(self) -> int:
        return self.cached.inner.dimension()

    @property
    def loaded(self) -> bool:
        return self.cached.inner.loaded


class BeirIndex:
    """The cached index of one BEIR corpus for one embedding model, built by :func:`ingest.pipeline.run_ingest`.

    Each document is one Markdown file ``<corpus>/<id>/document.md`` holding its title and text (one chunk:
    the chunk size is the largest the settings allow); the constant file name makes the loader's title the same
    word for every document, so it weighs nothing in BM25."""

    def __init__(self, settings: Settings, data: BeirData, cache_dir: Path) -> None:
        from ingest import model_choice

        # UCA_EMBEDDING_MODEL=auto: the model of the documents' main language (concrete settings pass unchanged)
        settings = model_choice.resolve_for_texts(settings, (data.doc_text(d) for d in data.corpus))
        self.data = data
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        # int8 vectors (UCA_EMBEDDING_BACKEND=onnx-int8) differ from fp32 ones: they get their own index
        model = settings.embedding_model + ("|int8" if settings.embedding_backend == "onnx-int8" else "")
        slug = model_slug(model)
        self.dir = self.cache_dir / f"{data.name}-{slug}"
        self.corpus_dir = self.cache_dir / "corpora" / f"{data.name}-{data.content_hash('')[:16]}"
        self.embeddings_file = self.cache_dir / "embeddings" / CACHE_FILE
        self.model_key = vector_key(settings)
        self.sources = {f"{_safe_id(doc_id)}/{DOC_FILE}": doc_id for doc_id in data.corpus}
        if len(self.sources) != len(data.corpus):
            raise ValueError(f"{data.path}: document ids collide once made file-safe")
        # its own index folder, always embedded Chroma, one chunk a document, no near-duplicate removal
        self.settings = settings.model_copy(update={
            "index_dir": self.dir, "corpus_dir": self.corpus_dir, "chroma_url": None, "dedup_threshold": 1.0,
            "chunk_size": MAX_CHUNK, "chunk_overlap": 0})

    def documents(self) -> dict[str, str]:
        """The files of the corpus folder: ``{source: text}``."""
        out = {}
        for source, doc_id in self.sources.items():
            title, text = self.data.corpus[doc_id]
            out[source] = f"{title}\n\n{text}\n" if title else f"{text}\n"
        return out

    def is_current(self) -> bool:
        """The index exists, finished, and holds exactly this corpus (same files, same contents)."""
        from ingest.index import MANIFEST_FILE, Manifest

        path = self.dir / MANIFEST_FILE
        if not path.exists():
            return False
        manifest = Manifest(path)
        try:
            if "generation" not in manifest.meta() or manifest.meta().get("dirty") == "1":
                return False
            docs = manifest.documents()
        finally:
            manifest.close()
        want = self.documents()
        return set(docs) == set(want) and all(
            docs[s].content_hash == hashlib.sha256(t.encode()).hexdigest() for s, t in want.items())

    def ensure(self, embedder: Embedder, progress: Progress | None = None) -> dict:
        """Bring the index in step with the corpus (``run_ingest``, incremental): ``{"reused", "embedded"
        (documents the model embedded), "stored" (vectors written), "seconds"}``."""
        from evals.embed_cache import CachedEmbedder
        from evals.opendomain import write_corpus
        from ingest.index import IndexMismatch
        from ingest.pipeline import run_ingest

        t0 = time.perf_counter()
        reused = self.is_current()
        docs = self.documents()
        folders = {s.split("/", 1)[0] for s in docs}
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        for d in self.corpus_dir.iterdir():
            if d.is_dir() and d.name not in folders:
                shutil.rmtree(d)
        for folder in folders:
            write_corpus(self.corpus_dir / folder, {DOC_FILE: docs[f"{folder}/{DOC_FILE}"]})
        cached = CachedEmbedder(embedder, self.embeddings_file.parent, self.model_key)
        ingest_progress = (lambda stage, d, t: progress(stage, d, t)) if progress else None
        try:
            try:
                report = run_ingest(self.settings, embedder=_ChunkVectorsOnly(cached), progress=ingest_progress)
            except IndexMismatch:  # built by an older version or other settings: rebuild (vectors are cached)
                report = run_ingest(self.settings, full=True, embedder=_ChunkVectorsOnly(cached),
                                    progress=ingest_progress)
        finally:
            cached.close()
        if report.skipped:
            raise ValueError(f"ingest skipped BEIR documents: {report.skipped[:3]}")
        return {"reused": reused and report.embedded == 0, "embedded": cached.misses, "stored": report.embedded,
                "seconds": round(time.perf_counter() - t0, 3)}

    def doc_ids(self) -> dict[str, str]:
        """Chunk id -> BEIR document id, for every committed chunk."""
        from ingest.index import MANIFEST_FILE, Manifest

        manifest = Manifest(self.dir / MANIFEST_FILE)
        try:
            return {c.id: self.sources[c.source] for c in manifest.chunks() if c.source in self.sources}
        finally:
            manifest.close()


def _safe_id(doc_id: str) -> str:
    """A document id as a folder name: kept when file-safe, else a slug plus a hash of the id."""
    if _SAFE.fullmatch(doc_id) and not doc_id.startswith("."):
        return doc_id
    return f"{re.sub(r'[^A-Za-z0-9_-]+', '_', doc_id)[:40]}-{hashlib.sha1(doc_id.encode()).hexdigest()[:10]}"


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


def _runs(retriever, queries: dict[str, str], systems: tuple[str, ...], doc_of: dict[str, str]
          ) -> dict[str, dict[str, list[str]]]:
    """Document rankings (chunk ids mapped to document ids, first occurrence kept) per system and query."""
    out: dict[str, dict[str, list[str]]] = {s: {} for s in systems}

    def docs(chunk_ids) -> list[str]:
        return list(dict.fromkeys(doc_of[c] for c in chunk_ids if c in doc_of))

    for qid, text in queries.items():
        if "dense" in systems:
            out["dense"][qid] = docs(d for d, _ in retriever.dense(text, DEPTH))
        if "bm25" in systems:
            out["bm25"][qid] = docs(d for d, _ in retriever.lexical(text, DEPTH))
        if "fused" in systems:
            out["fused"][qid] = docs(p.id for p in retriever.retrieve(text, k=DEPTH))
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
    from ingest import model_choice

    t0 = time.perf_counter()
    data = load_beir(path)
    # UCA_EMBEDDING_MODEL=auto
    settings = model_choice.resolve_for_build(settings, embedder, (data.doc_text(d) for d in data.corpus))
    index = BeirIndex(settings, data, cache_dir)
    embedder = embedder or Embedder(settings)
    build = index.ensure(embedder, progress)
    vectors = _QueryVectors(embedder)
    judged = sorted(q for q, docs in data.qrels.items() if any(docs.values()))
    queries = {q: data.queries[q] for q in judged}
    t1 = time.perf_counter()
    vectors.prime(list(queries.values()))
    retriever = Retriever(index.settings, vectors)
    doc_of = index.doc_ids()
    runs = _runs(retriever, queries, ("dense", "bm25", "fused"), doc_of)
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
            fused = _runs(Retriever(s, vectors), {q: queries[q] for q in tune_q}, ("fused",), doc_of)
            trials.append((_scores(data.qrels, fused, tune_q)["fused"]["ndcg@10"], grid))
        best_score, best = max(trials, key=lambda t: t[0])
        tuned_settings = index.settings.model_copy(update=best)
        tuned_runs = _runs(Retriever(tuned_settings, vectors), queries, ("fused",), doc_of)
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
