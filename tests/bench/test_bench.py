"""``uca bench``: the helpers of the synthetic 100k corpus (fast), and a real run on the Unicancer corpus (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.corpora import base_text, write_scifact_corpus
from bench.embedders import VectorCache, synthetic_vectors, text_key
from testing.env import ROOT


def test_variants_map_back_to_their_base_text(tmp_path: Path) -> None:
    docs = [(str(i), f"Title {i}", f"Sentence one of abstract {i}. Sentence two.") for i in range(120)]
    n = write_scifact_corpus(docs, tmp_path, variants=3)
    assert n == 3 * 3  # 120 abstracts in files of 50 -> 3 files per variant
    base = (tmp_path / "v0" / "scifact-001.md").read_text(encoding="utf-8")
    var = (tmp_path / "v2" / "scifact-001.md").read_text(encoding="utf-8")
    assert var != base and len(var) == len(base) and base_text(var) == base
    assert base.count("\n## ") == 50


def test_synthetic_vectors_cached_base_and_noisy_variants(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "v.sqlite", "m|torch")
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        v = np.ones((len(texts), 8), dtype=np.float32)
        v[:, 0] = [len(t) for t in texts]
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    texts = ["A [v0] text", "A [v3] text", "B [v0]"]
    vecs, real = synthetic_vectors(texts, cache, encode)
    assert real == 2 and calls == [["A [v0] text", "B [v0]"]]
    assert np.allclose(vecs[0], cache.get(text_key("A [v0] text")))
    cos = float(vecs[0] @ vecs[1])
    assert 0.95 < cos < 0.9999 and abs(float(np.linalg.norm(vecs[1])) - 1) < 1e-5
    again, real = synthetic_vectors(texts, cache, encode)
    assert real == 0 and np.array_equal(again, vecs)  # deterministic, served from the cache
    cache.close()
    reopened = VectorCache(tmp_path / "v.sqlite", "m|torch")
    assert len(reopened) == 2
    reopened.close()


@pytest.mark.slow
def test_bench_unicancer_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "unicancer", "--json", "--quiet", "--questions", "5",
         "--cold-runs", "1", "--backends", "none", "--cache", str(tmp_path / "cache"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=str(ROOT), stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout)
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["sizes"].keys() == {"unicancer"}
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# `uca bench` results")
    assert (out / "latency.png").stat().st_size > 1000
    r = res["sizes"]["unicancer"]
    assert "error" not in r, r
    assert r["documents"] == 1 and r["chunks"] > 5 and r["embeddings"] == "real"
    assert r["ingest"]["seconds"] > 0 and r["ingest"]["embedded"] == r["chunks"]
    assert r["encode_floor"]["texts"] == r["chunks"] and r["ingest_over_encode"] > 0
    assert r["encode_floor"]["encoder"] == r["ingest"]["encoder"] in ("onnx", "torch")
    assert r["ingest_over_encode_cpu"] > 0 and r["ingest"]["in_encode_seconds"] > 0
    assert r["noop"]["embedded"] == 0 and r["noop"]["texts_sent_to_embedder"] == 0 and 0 < r["noop"]["ratio"] < 1
    ch = r["change_one"]
    assert ch["changed_documents"] == ["unicancer-international.txt"] and ch["only_that_document"] is True
    assert 1 <= ch["embedded"] == ch["new_chunks"] < ch["document_chunks"]
    for what in ("retrieve", "ask", "ask_repeat"):
        lat = r["latency_ms"][what]
        assert 0 < lat["p50"] <= lat["p95"] and lat["n"] == 5
    assert r["latency_ms"]["query_encoder"] == "onnx"  # the index's ONNX export, as `uca ask` uses
    assert r["cold_ask"]["median_seconds"] > 0 and r["cold_ask"]["peak_rss_mb"] > 50
    assert r["cold_ask"]["answer"]["citations"] >= 1 and "Brussels" in r["cold_ask"]["answer"]["text"]
    assert r["chat"]["startup_seconds"] > 0 and r["chat"]["peak_rss_mb"] > 50 and r["chat"]["api_ok"] is True
    b = r["baseline"]
    assert b["chunks"] > 5 and b["ingest_seconds"] > 0 and b["latency_ms"]["search"]["p50"] > 0
    assert b["cold"]["median_seconds"] > 0
    assert all(v is not None and v > 0 for v in r["ratios"].values()), r["ratios"]
    names = {t["target"] for t in res["targets"]}
    assert {"cold `uca ask` / baseline cold", "warm ask p95 (ms)", "ingest / bare encode"} <= names
    assert all(t["met"] in (True, False) for t in res["targets"])
