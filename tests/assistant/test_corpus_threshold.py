"""The refusal threshold fitted to the corpus (assistant.corpus_threshold): a real French corpus of ten
Wikipedia articles (the PIAF sample), the real embedding model, a real Chroma store, the real `uca` script."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from assistant import corpus_threshold
from assistant.core import Assistant
from evals.squad import load_squad
from ingest.embeddings import Embedder
from ingest.lexical import tokenize
from ingest.pipeline import run_ingest
from ingest.settings import Settings
from testing.env import offline_env, uca_command

PIAF_SAMPLE = Path(__file__).parents[1] / "data" / "piaf_sample.json"


def _write_articles(folder: Path) -> dict[str, str]:
    ds = load_squad(PIAF_SAMPLE)
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for i, (article, text) in enumerate(sorted(ds.documents.items())):
        name = f"article-{i:02d}.md"
        (folder / name).write_text(text, encoding="utf-8")
        names[name] = article
    return names


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    """Ten French articles ingested with the real model; the assistant over them (shared: read-only use)."""
    root = tmp_path_factory.mktemp("articles")
    _write_articles(root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", corpus_threshold_questions=40,
                        corpus_threshold_min_questions=20)
    embedder = Embedder(settings)
    run_ingest(settings, embedder=embedder)
    return settings, embedder, Assistant(settings, embedder=embedder)


def test_pseudo_questions_are_seeded_fragments_of_a_sentence():
    text = ("Le centre a ouvert ses portes en 1923 à Lyon, sous la direction du professeur Léon Bérard. "
            "Il accueille aujourd'hui des patients de toute la région.")
    first = corpus_threshold.pseudo_question(random.Random(3), text)
    assert first == corpus_threshold.pseudo_question(random.Random(3), text)
    words = first.split()
    assert corpus_threshold.MIN_WORDS <= len(words) < len(text.split())
    assert all(w in text.split() for w in words)  # words of the text, in its order
    assert corpus_threshold.pseudo_question(random.Random(3), "Trop court.") is None


def test_a_left_out_document_is_not_searched_and_its_own_words_are_unknown(articles):
    settings, _, bot = articles
    source = bot.retriever.view.sources[0]
    chunk = bot.retriever.manifest.chunks(source=source)[0]
    query = " ".join(chunk.text.split()[:12])
    assert any(p.source == source for p in bot.retriever.retrieve(query))
    left_out = bot.retriever.retrieve(query, exclude=source)
    assert left_out and all(p.source != source for p in left_out)
    assert all(c != source for c, _ in [(bot.retriever.chunks([i])[0].source, s)
                                        for i, s in bot.retriever.dense(query, 10, exclude=source)])
    own = bot.retriever.own_tokens(source)
    others = set()
    for other in bot.retriever.view.sources[1:]:
        for c in bot.retriever.manifest.chunks(source=other):
            others |= set(tokenize(f"{c.title}\n{c.section}\n{c.text}", c.lang or None))
    assert own and not own & others
    # the gate counts them as words the corpus never uses
    answer = bot.ask(query, exclude=source)
    assert answer.signals["oov"] > bot.ask(query).signals["oov"]
    assert next(t for t in answer.trace if t.name == "retrieve").decided["left_out"] == source


def test_the_fit_is_stored_used_by_the_gate_and_dropped_when_the_index_changes(articles, tmp_path):
    settings, embedder, _ = articles
    # a private copy: this test ingests again
    copy = settings.model_copy(update={"corpus_dir": tmp_path / "corpus", "index_dir": tmp_path / "index"})
    _write_articles(copy.corpus_dir)
    run_ingest(copy, embedder=embedder)
    bot = Assistant(copy, embedder=embedder)
    model_threshold = float(bot.thresholds.refusal_model["threshold"])
    assert bot.corpus_threshold() is None  # not fitted yet: the model's threshold
    first = bot.ask("Quelle est la capitale du royaume ?")
    gate = next(t for t in first.trace if t.name == "gate").decided
    assert gate["threshold"] == model_threshold and "threshold_from" not in gate

    record = bot.fit_corpus_threshold()
    assert record["documents"] == 10 and record["questions"] >= copy.corpus_threshold_min_questions
    assert len(record["pseudo_signals"]) == record["questions"]
    assert model_threshold <= record["threshold"] <= max(model_threshold, copy.corpus_threshold_max)
    stored = json.loads((copy.index_dir / corpus_threshold.FILE).read_text(encoding="utf-8"))
    assert stored == record
    again = Assistant(copy, embedder=embedder)  # a new process reads the stored fit
    assert again.corpus_threshold() == record
    assert again.fit_corpus_threshold() == record  # fresh: not fitted again
    gate = next(t for t in again.ask("Quelle est la capitale du royaume ?").trace if t.name == "gate").decided
    assert gate["threshold"] == record["threshold"] and gate["threshold_from"] == "corpus"

    (copy.corpus_dir / "article-00.md").unlink()
    run_ingest(copy, embedder=embedder)
    assert again.corpus_threshold() is None  # another generation: stale, the model's threshold again
    assert again.fit_corpus_threshold()["generation"] != record["generation"]


def test_a_rebuilt_index_that_starts_its_generations_again_is_not_taken_for_the_old_one(articles, tmp_path):
    settings, embedder, _ = articles
    copy = settings.model_copy(update={"corpus_dir": tmp_path / "corpus", "index_dir": tmp_path / "index"})
    _write_articles(copy.corpus_dir)
    run_ingest(copy, embedder=embedder)
    record = Assistant(copy, embedder=embedder).fit_corpus_threshold()
    kept = (copy.index_dir / corpus_threshold.FILE).read_text(encoding="utf-8")
    # a new index from scratch over another corpus (a rebuild from an empty folder): generation 1 again
    (copy.corpus_dir / "article-03.md").unlink()
    rebuilt = copy.model_copy(update={"index_dir": tmp_path / "rebuilt"})
    run_ingest(rebuilt, embedder=embedder)
    (rebuilt.index_dir / corpus_threshold.FILE).write_text(kept, encoding="utf-8")
    bot = Assistant(rebuilt, embedder=embedder)
    assert bot.retriever.view.generation == record["generation"]
    assert bot.corpus_threshold() is None  # other chunks: stale


def test_a_corpus_too_small_keeps_the_models_threshold(real_settings, tmp_path):
    embedder = Embedder(real_settings)
    run_ingest(real_settings, embedder=embedder)
    bot = Assistant(real_settings, embedder=embedder)
    record = bot.fit_corpus_threshold()
    assert record["threshold"] is None and "fewer than" in record["reason"]
    assert bot.corpus_threshold() is None
    off = Assistant(real_settings.model_copy(update={"corpus_threshold": False}), embedder=embedder)
    assert off.fit_corpus_threshold() is None and off.corpus_threshold() is None


@pytest.mark.slow
def test_uca_ingest_fits_it_and_says_so(tmp_path):
    _write_articles(tmp_path / "corpus")
    env = {"UCA_CORPUS_DIR": str(tmp_path / "corpus"), "UCA_INDEX_DIR": str(tmp_path / "index"),
           "UCA_CORPUS_THRESHOLD_QUESTIONS": "30", "UCA_CORPUS_THRESHOLD_MIN_QUESTIONS": "20"}
    run = subprocess.run([*uca_command(), "ingest"], capture_output=True, text=True, timeout=600,
                         env={**offline_env(tmp_path / "corpus", tmp_path / "index"), **env})
    assert run.returncode == 0, run.stderr
    assert "10 documents" in run.stdout
    assert "refusal threshold fitted to this corpus:" in run.stderr
    record = json.loads((tmp_path / "index" / corpus_threshold.FILE).read_text(encoding="utf-8"))
    assert record["threshold"] is not None and record["questions"] >= 20
