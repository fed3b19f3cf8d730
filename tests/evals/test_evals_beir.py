"""The BEIR runner on a tiny BEIR-format dataset written here, with the real model, Chroma and BM25."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals.beir import BeirIndex, format_beir, halves, load_beir, run_beir
from ingest.embeddings import Embedder
from ingest.settings import Settings

pytestmark = pytest.mark.slow

DOCS = {
    "d1": ("Photosynthesis", "Plants convert sunlight, water and carbon dioxide into glucose and oxygen inside their "
                             "chloroplasts."),
    "d2": ("Volcanic eruptions", "Magma rising through the crust erupts as lava and ash from volcanic vents."),
    "d3": ("Insulin", "The pancreas secretes insulin, a hormone that lowers blood glucose levels after meals."),
    "d4": ("Tides", "The gravitational pull of the Moon causes the daily rise and fall of ocean tides on Earth."),
    "d5": ("Antibiotic resistance", "Bacteria exposed to antibiotics can acquire resistance genes through "
                                    "horizontal gene transfer."),
    "d6": ("Plate tectonics", "Lithospheric plates move slowly over the mantle, causing earthquakes at their "
                              "boundaries."),
    "d7": ("Coffee", "Caffeine blocks adenosine receptors in the brain, which reduces the feeling of tiredness."),
    "d8": ("Glaciers", "Glaciers form where accumulated snow compresses into ice over many years."),
}
QUERIES = {
    "q1": "How does a leaf turn light into sugar?",  # paraphrase: shares no content word with d1
    "q2": "Which hormone from the pancreas lowers blood glucose?",
    "q3": "horizontal gene transfer of antibiotic resistance genes in bacteria",
    "q4": "Why does coffee make people feel less sleepy?",
    "q5": "A query nobody judged",
}
QRELS = [("q1", "d1"), ("q2", "d3"), ("q3", "d5"), ("q4", "d7")]
BODIES = {d: f"{title}\n\n{text}" for d, (title, text) in DOCS.items()}  # what a document file holds


def embedded_docs(texts) -> list[str]:
    """The documents among the embedded texts (ingest embeds a chunk with its title line before it)."""
    return [d for t in texts for d, body in BODIES.items() if t.endswith(body)]


def write_beir(root: Path, docs: dict = DOCS) -> Path:
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    with (root / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for i, (title, text) in docs.items():
            f.write(json.dumps({"_id": i, "title": title, "text": text}) + "\n")
    with (root / "queries.jsonl").open("w", encoding="utf-8") as f:
        for i, text in QUERIES.items():
            f.write(json.dumps({"_id": i, "text": text}) + "\n")
    lines = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, d in QRELS)]
    (root / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


class CountingEmbedder:
    """The real embedder, recording every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def encode(self, texts, **kwargs) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts, **kwargs)

    def encode_query(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return self.inner.encode_query(text)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("beir")
    settings = Settings(corpus_dir=base / "unused", index_dir=base / "unused-index")
    return settings, write_beir(base / "tinyfact"), base / "cache", Embedder(settings)


@pytest.fixture(scope="module")
def first_run(env):
    settings, path, cache, embedder = env
    counting = CountingEmbedder(embedder)
    return run_beir(settings, path, cache, embedder=counting), counting


def test_loader_reads_corpus_queries_and_qrels(env):
    data = load_beir(env[1])
    assert list(data.corpus) == list(DOCS) and data.corpus["d3"] == DOCS["d3"]
    assert data.qrels == {q: {d: 1} for q, d in QRELS}
    assert data.doc_text("d1").startswith("Photosynthesis Plants convert")


def test_loader_rejects_qrels_without_header(tmp_path):
    root = write_beir(tmp_path / "bad")
    (root / "qrels" / "test.tsv").write_text("q1\td1\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        load_beir(root)


def test_first_run_builds_its_own_cached_index_and_scores_three_systems(env, first_run):
    settings, path, cache, _ = env
    result, counting = first_run
    assert result["queries"] == 4 and result["documents"] == 8  # q5 has no judgement: not evaluated
    assert result["index"]["reused"] is False and result["index"]["embedded"] == 8
    assert Path(result["index"]["dir"]) == cache / "tinyfact-all-MiniLM-L6-v2"
    assert Path(result["index"]["embeddings"]).is_file()  # the embedding cache
    index = BeirIndex(settings, load_beir(path), cache)
    assert index.is_current() and len(index.doc_ids()) == 8  # built by run_ingest: one chunk per document
    assert sorted(index.doc_ids().values()) == sorted(DOCS)
    assert embedded_docs(counting.texts) == list(DOCS)  # each document embedded once, as its title and text
    systems = result["all"]
    assert set(systems) == {"dense", "bm25", "fused"}
    # q1 shares no word with its document: BM25 cannot find it, the model can, and the fusion keeps it
    assert systems["bm25"]["recall@100"] == pytest.approx(0.75)
    assert systems["dense"]["recall@100"] == 1.0 and systems["fused"]["recall@100"] == 1.0
    assert systems["dense"]["ndcg@10"] == 1.0
    assert systems["fused"]["ndcg@10"] > systems["bm25"]["ndcg@10"]
    assert not (Path(settings.index_dir)).exists()  # the chat index was never touched


def test_rerun_reuses_index_and_embeddings(env, first_run):
    settings, path, cache, embedder = env
    counting = CountingEmbedder(embedder)
    again = run_beir(settings, path, cache, embedder=counting)
    assert again["index"]["reused"] is True and again["index"]["embedded"] == 0
    assert not embedded_docs(counting.texts)  # only queries embedded
    assert again["all"] == first_run[0]["all"]


def test_changed_corpus_rebuilds_and_unchanged_embeddings_file_is_reused(env, tmp_path):
    settings, _, _, embedder = env
    cache = tmp_path / "cache"
    changed = dict(DOCS, d8=("Glaciers", "Glaciers are rivers of ice that flow slowly downhill."))
    path = write_beir(tmp_path / "tinyfact", changed)
    counting = CountingEmbedder(embedder)
    run_beir(settings, path, cache, embedder=counting)
    index = BeirIndex(settings, load_beir(path), cache)
    assert index.is_current()
    write_beir(path, DOCS)  # back to the original corpus: a different hash, so a rebuild
    assert not BeirIndex(settings, load_beir(path), cache).is_current()
    result = run_beir(settings, path, cache, embedder=(back := CountingEmbedder(embedder)))
    # incremental: only the changed document is embedded again (its original text was never embedded here)
    assert result["index"]["reused"] is False and result["index"]["embedded"] == 1
    assert embedded_docs(back.texts) == ["d8"]
    # an index that is gone or unfinished is rebuilt from the cached vectors: drop the manifest, keep the cache
    for f in Path(result["index"]["dir"]).glob("manifest.sqlite*"):
        f.unlink()
    again = run_beir(settings, path, cache, embedder=(c := CountingEmbedder(embedder)))
    assert again["index"]["reused"] is False and again["index"]["embedded"] == 0
    assert not embedded_docs(c.texts)
    assert again["all"] == result["all"]


def test_tuning_uses_one_half_and_reports_the_other(env, first_run):
    settings, path, cache, embedder = env
    result = run_beir(settings, path, cache, tune=True, embedder=embedder)
    tune_q, held_q = halves(sorted(q for q, _ in QRELS))
    assert not set(tune_q) & set(held_q) and sorted(tune_q + held_q) == sorted(q for q, _ in QRELS)
    assert halves(sorted(q for q, _ in QRELS)) == (tune_q, held_q)
    t = result["tuning"]
    assert (t["tune_queries"], t["held_out_queries"]) == (len(tune_q), len(held_q))
    assert t["chosen"] in [{k: v for k, v in g.items() if k != "ndcg@10"} for g in t["grid"]]
    assert set(result["held_out"]) == {"dense", "bm25", "fused (settings)", "fused (tuned)"}
    text = format_beir(result)
    assert "held-out half" in text and "fused (tuned)" in text


def test_cli_prints_the_three_systems(env, first_run, capsys):
    from uca.cli import main

    _, path, cache, _ = env
    assert main(["eval", "--beir", str(path), "--cache", str(cache), "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["index"]["reused"] is True
    assert out["all"] == first_run[0]["all"]
