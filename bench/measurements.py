"""The measurements of ``uca bench`` at one corpus size: full, no-op and one-document ingests against the bare
encode, the LangChain baseline's ingest, warm latency (ours and the baseline's), cold starts in new processes,
and ``uca chat``'s start time and memory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.corpora import baseline_documents, baseline_splitter, corpus_chars, edit_one_document, prepare_corpus
from bench.embedders import ModelHolder, VectorCache, make_bench_embedder, make_lc_embeddings, text_key
from bench.harness import BASELINE_SCRIPT, RssSampler, child_env, gradio_ask, timed_process
from testing.env import uca_command
from testing.servers import ChatServer

if TYPE_CHECKING:
    from bench.cli import BenchOptions, Log
    from ingest.settings import Settings

WARMUP = 3  # questions asked before timing (encoder session, index, caches)
PROGRESS_SECONDS = 30  # seconds between two embedding progress lines
PREFILL_BATCH = 2048  # texts per cache-prefill step at 100k
CHAT_POLL = 0.1  # seconds between two "is uca chat up?" requests: the resolution of its start time
CHAT_SETTLE = 1.0  # seconds of memory sampling after the answer
CHAT_STOP_GRACE = 15  # seconds uca chat gets after SIGINT before SIGKILL


def bench_size(size: str, base: Settings, holder: ModelHolder, opts: BenchOptions, log: Log) -> dict:
    """All measurements at one corpus size."""
    import gc

    from ingest.pipeline import run_ingest

    work = opts.cache / "work" / size
    if work.exists():
        shutil.rmtree(work)
    corpus, index, lc_dir = work / "corpus", work / "index", work / "baseline"
    synthetic = size == "100k"
    questions, cold_question = prepare_corpus(size, base, corpus, opts.scifact, opts.questions)
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
        out.update(documents=rep.documents, chunks=rep.chunks, corpus_chars=corpus_chars(corpus))
        out["ingest"] = {"seconds": round(full_s, 3), "chunks_per_s": round(rep.chunks / full_s, 1),
                         "cpu_seconds": round(full_cpu, 2), "embedded": rep.embedded, "model_encoded": emb.real,
                         "in_encode_seconds": round(emb.encode_seconds, 2),
                         "words_encoded": emb.words, "words_encode_seconds": round(emb.words_seconds, 2),
                         "onnx_export_seconds": round(emb.export_seconds, 2),
                         "pipeline_seconds": round(full_s - emb.encode_seconds - emb.words_seconds
                                                   - emb.export_seconds, 2),
                         "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]}
        out["ingest"]["encoder"] = "onnx" if emb.onnx is not None else "torch"
        log(f"{size}: {rep.documents} documents, {rep.chunks} chunks, ingest {full_s:.1f} s "
            f"({out['ingest']['encoder']} encoder)")
        if not synthetic:
            cache.put(emb.pending)
            emb.pending.clear()
            log(f"{size}: bare encode of the same {len(texts)} texts ({out['ingest']['encoder']})")
            out["encode_floor"], enc_s, enc_cpu = encode_floor(emb.onnx, model, texts, settings.embedding_batch_size)
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


def encode_floor(onnx: Any, model: Any, texts: list[str], batch_size: int) -> tuple[dict, float, float]:
    """One bare call of the encoder that ingest used (its ONNX encoder once the machine has the export, else the
    torch model) on the same texts with the same batch size: the figures, the wall and the CPU seconds."""
    load0, t, c = os.getloadavg()[0], time.perf_counter(), time.process_time()
    if onnx is not None:
        onnx.encode(texts, batch_size=batch_size)
    else:
        model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                     show_progress_bar=False)
    enc_s, enc_cpu = time.perf_counter() - t, time.process_time() - c
    return ({"encoder": "onnx" if onnx is not None else "torch",
             "call": "OnnxEncoder.encode" if onnx is not None else "SentenceTransformer.encode",
             "seconds": round(enc_s, 3), "cpu_seconds": round(enc_cpu, 2), "texts": len(texts),
             "texts_per_s": round(len(texts) / enc_s, 1),
             "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]}, enc_s, enc_cpu)


def _progress_logger(log: Log, size: str) -> Callable[[str, int, int], None]:
    state = {"last": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "embedding" and total and (now - state["last"] > PROGRESS_SECONDS or done == total):
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
        for i in range(0, len(missing), PREFILL_BATCH):
            part = missing[i : i + PREFILL_BATCH]
            vecs = np.asarray(model.encode(part, batch_size=settings.embedding_batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
            cache.put({text_key(t): v for t, v in zip(part, vecs, strict=True)})
            log(f"100k: cached {min(i + PREFILL_BATCH, len(missing))}/{len(missing)}")
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
    from assistant import Assistant

    bot = Assistant(settings)
    for q in questions[:WARMUP]:
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
    backend = "onnx" if bot.embedder.onnx is not None else "torch"
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
    for q in questions[:WARMUP]:
        db.similarity_search(q, k=settings.top_k)
    lat = []
    for q in questions:
        t = time.perf_counter()
        db.similarity_search(q, k=settings.top_k)
        lat.append(1000 * (time.perf_counter() - t))
    return {"search": _stats(lat)}


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


def chat_memory(settings: Settings, question: str, work: Path, timeout: float = 300) -> dict:
    """Start ``uca chat`` on a free loopback port, wait for HTTP, ask once through its API, record the peak
    RSS (process + children, sampled) and the start time, then stop it."""
    server = ChatServer(settings.corpus_dir, settings.index_dir, work / "chat.log", env=child_env(settings), cwd=work)
    t = time.perf_counter()
    server.start()
    assert server.proc is not None
    sampler = RssSampler(server.proc.pid)
    result: dict[str, Any] = {"port": server.port}
    try:
        server.wait(timeout, poll=CHAT_POLL)
        result["startup_seconds"] = round(time.perf_counter() - t, 2)
        t1 = time.perf_counter()
        try:
            answer = gradio_ask(server.url, question)
            result["api_ask_seconds"] = round(time.perf_counter() - t1, 3)
            result["api_ok"] = "error" not in answer
        except (OSError, ValueError, KeyError) as exc:
            result["api_ok"], result["api_error"] = False, str(exc)
        time.sleep(CHAT_SETTLE)
    finally:
        peak = sampler.stop()
        server.stop(signal.SIGINT, grace=CHAT_STOP_GRACE)
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
