"""Interrupted ingests: a kill -9 at any moment leaves the previous or the new index, consistent and
queryable, and the next ``uca ingest`` completes it.

The subprocess tests run ``uca ingest`` with ``UCA_EMBEDDING_MODEL=fake-hash-16`` (the deterministic test
backend of ``ingest.embeddings``: no model load) and kill it either at named stages of the pipeline
(``UCA_TEST_CRASH_AT``) or after random delays. The in-process tests interrupt ``run_ingest`` with an
exception at the same stages, to pin exact states cheaply.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess

import pytest

from ingest import pipeline
from ingest.embeddings import Embedder
from ingest.index import Manifest
from ingest.lexical import LexicalIndex
from ingest.loaders import load_document
from ingest.pipeline import run_ingest
from testing.crash import (
    committed_state,
    expected_state,
    paragraph,
    phase_of,
    report_text,
    sigkill_after,
    wait_until_writing,
)

META_KEYS = {"source", "title", "section", "start", "end", "chunk_index", "content_hash"}
STAGES = ["during_vectors", "after_vectors", "after_bm25", "after_commit", "during_gc"]
BEFORE_COMMIT = {"during_vectors", "after_vectors", "after_bm25"}

def assert_serves(settings, helpers, state: dict[str, tuple[str, ...]]) -> None:
    """The committed index is complete and consistent (orphans allowed) and answers queries."""
    index_dir = settings.resolved_index_dir()
    report = helpers.check(settings)
    assert report.ok, report.problems
    docs, chunks = helpers.manifest_state(index_dir)
    live = {c.id for c in chunks}
    assert live == {cid for ids in state.values() for cid in ids}
    records = helpers.chroma_records(index_dir)
    assert live <= set(records), "committed chunks missing from Chroma"
    for c in chunks:
        assert records[c.id][0] == c.text
    manifest = Manifest(index_dir / "manifest.sqlite")
    try:
        lexical = LexicalIndex(index_dir / manifest.get("bm25_dir"))
        collection_name = manifest.get("collection")
    finally:
        manifest.close()
    assert set(lexical.ids) == live
    if not chunks:
        return
    probe = max(chunks, key=lambda c: len(c.text))
    hits = lexical.search(probe.text, 5)
    assert hits and hits[0][0] == probe.id
    query = Embedder(settings).encode_query(probe.text)
    with helpers.open_chroma(index_dir) as client:
        got = client.get_collection(collection_name, embedding_function=None).query(
            query_embeddings=[query.tolist()], n_results=min(10, len(records)), include=["distances"])
    served = [i for i in got["ids"][0] if i in live]
    assert served, "no committed chunk answers a query"
    assert probe.id in got["ids"][0]


def assert_complete(settings, helpers) -> None:
    """After a finished ingest: clean, and exactly the corpus; Chroma's texts and offsets exact."""
    index_dir = settings.resolved_index_dir()
    report = helpers.check(settings)
    assert report.ok and report.clean, report.problems
    assert report.manifest_chunks == report.vector_chunks == report.bm25_chunks
    state = expected_state(settings)
    assert committed_state(index_dir) == state
    records = helpers.chroma_records(index_dir)
    assert set(records) == {cid for ids in state.values() for cid in ids}
    texts = {s: load_document(settings.corpus_dir / s, s).text for s in state}
    for document, meta in records.values():
        assert set(meta) >= META_KEYS
        assert texts[meta["source"]][meta["start"] : meta["end"]] == document
    assert_serves(settings, helpers, state)


# -- in-process: interrupt run_ingest at each stage ---------------------------------------------------


class Interrupted(BaseException):
    """Stands for the kill: raised at a crash point, caught by the test."""


@pytest.fixture
def interrupt_at(monkeypatch):
    def arm(stage: str | None) -> None:
        def crash_point(name: str) -> None:
            if name == stage:
                raise Interrupted(name)

        monkeypatch.setattr(pipeline, "_crash_point", crash_point)

    return arm


GUIDE = """# Network Guide

The network connects hospitals across Europe. It shares research results between centres.

## Research

Clinical trials are promoted by the federation. Patients are included in many studies every year.

## Training

Healthcare professionals take part in mobility and training programmes. Exchanges last several weeks.
"""
ZETA = "## Zeta\n\nZeta programmes fund genomics cohorts in three regions.\n\n"


@pytest.fixture
def crash_settings(fake_settings, no_real_model):
    """Fake-embedder settings with the ``fake-hash-64`` backend (bag of hashed words, so that a chunk's own
    text finds it in Chroma); in-process runs use ``Embedder(settings)``, like the subprocesses do."""
    return fake_settings.model_copy(update={"embedding_model": "fake-hash-64"})


@pytest.fixture
def hash_embedder(crash_settings) -> Embedder:
    return Embedder(crash_settings)


@pytest.mark.parametrize("stage", STAGES)
def test_interrupted_in_process_then_completed(stage, crash_settings, hash_embedder, helpers, interrupt_at):
    settings = crash_settings
    shutil.copy(helpers.CORPUS_FILE, settings.corpus_dir / "unicancer-international.txt")
    guide = settings.corpus_dir / "guide.md"
    guide.write_text(GUIDE, encoding="utf-8")
    (settings.corpus_dir / "old.txt").write_text("An old note about registries. It will be deleted.\n")
    run_ingest(settings, embedder=hash_embedder)
    before = committed_state(settings.resolved_index_dir())

    guide.write_text(GUIDE + "\n" + ZETA, encoding="utf-8")
    (settings.corpus_dir / "old.txt").unlink()
    (settings.corpus_dir / "new.md").write_text("# New\n\nA new document about biobanks.\n")
    after = expected_state(settings)
    interrupt_at(stage)
    with pytest.raises(Interrupted):
        run_ingest(settings, embedder=hash_embedder)
    interrupt_at(None)
    assert_serves(settings, helpers, before if stage in BEFORE_COMMIT else after)
    assert not helpers.check(settings).clean  # the interrupted run is visible until completed

    report = run_ingest(settings, embedder=hash_embedder)
    assert report.documents == 3
    assert_complete(settings, helpers)


def test_interrupted_vectors_of_another_version_get_exact_metadata(
        crash_settings, hash_embedder, helpers, interrupt_at):
    """An interrupted run leaves a vector for a chunk of version B; the file then becomes version C in
    which the same chunk sits elsewhere. Completing must fix the vector's offsets, not trust them."""
    settings = crash_settings
    guide = settings.corpus_dir / "guide.md"
    guide.write_text(GUIDE, encoding="utf-8")
    run_ingest(settings, embedder=hash_embedder)
    guide.write_text(GUIDE + "\n" + ZETA, encoding="utf-8")  # B: Zeta at the end
    interrupt_at("after_bm25")
    with pytest.raises(Interrupted):
        run_ingest(settings, embedder=hash_embedder)
    interrupt_at(None)
    head, tail = GUIDE.split("## Training")
    guide.write_text(head + ZETA + "## Training" + tail, encoding="utf-8")  # C: Zeta in the middle
    report = run_ingest(settings, embedder=hash_embedder)
    assert report.embedded < report.added  # the Zeta vector was reused, not embedded again
    assert_complete(settings, helpers)


def test_interrupted_edit_then_reverted_file(crash_settings, hash_embedder, helpers, interrupt_at):
    """The interrupted run updated metadata of chunks whose offsets moved; the user then reverts the file
    to the committed version. Completing must put back the committed offsets."""
    settings = crash_settings
    path = settings.corpus_dir / "unicancer-international.txt"
    shutil.copy(helpers.CORPUS_FILE, path)
    original = path.read_bytes()
    run_ingest(settings, embedder=hash_embedder)
    path.write_bytes(b"Preface\n\nA paragraph inserted at the top moves every offset.\n\n" + original)
    interrupt_at("after_vectors")
    with pytest.raises(Interrupted):
        run_ingest(settings, embedder=hash_embedder)
    interrupt_at(None)
    path.write_bytes(original)
    report = run_ingest(settings, embedder=hash_embedder)
    assert report.embedded == 0
    assert_complete(settings, helpers)


def test_interrupted_full_rebuild_resumes_with_its_vectors(crash_settings, hash_embedder, helpers, interrupt_at):
    settings = crash_settings
    shutil.copy(helpers.CORPUS_FILE, settings.corpus_dir / "unicancer-international.txt")
    (settings.corpus_dir / "guide.md").write_text(GUIDE, encoding="utf-8")
    first = run_ingest(settings, embedder=hash_embedder)
    old_collection = helpers.committed_collection_name(settings.resolved_index_dir())
    interrupt_at("after_bm25")
    with pytest.raises(Interrupted):
        run_ingest(settings, full=True, embedder=hash_embedder)
    interrupt_at(None)
    assert helpers.committed_collection_name(settings.resolved_index_dir()) == old_collection
    assert_serves(settings, helpers, committed_state(settings.resolved_index_dir()))
    report = run_ingest(settings, full=True, embedder=hash_embedder)
    assert report.embedded == 0 and report.chunks == first.chunks  # the rebuild's vectors were kept
    assert helpers.committed_collection_name(settings.resolved_index_dir()) != old_collection
    assert_complete(settings, helpers)


# -- subprocess: kill -9 ------------------------------------------------------------------------------


@pytest.fixture
def crash_corpus(crash_settings, helpers):
    """The real file plus 40 generated .md/.txt files."""
    rng = random.Random(20240601)
    corpus = crash_settings.corpus_dir
    shutil.copy(helpers.CORPUS_FILE, corpus / "unicancer-international.txt")
    for n in range(40):
        sub = corpus / f"group{n % 4}"
        sub.mkdir(exist_ok=True)
        kind = "md" if n % 2 == 0 else "txt"
        (sub / f"report{n:02d}.{kind}").write_text(report_text(rng, n, kind), encoding="utf-8")
    return crash_settings


def _mutate(settings, rng: random.Random, round_no: int, edits: int = 3) -> None:
    """Edit, add and delete files (sizes always change, so the change is seen even within one mtime tick)."""
    files = sorted(p for p in settings.corpus_dir.rglob("*") if p.is_file())
    for path in rng.sample(files, edits):
        with path.open("a", encoding="utf-8") as f:
            f.write(f"\n\nRound {round_no} adds text. {paragraph(rng, f'round{round_no}')}\n")
    victim = rng.choice([p for p in files if p.name.startswith("report")])
    victim.unlink()
    new = settings.corpus_dir / "added" / f"round{round_no}.md"
    new.parent.mkdir(exist_ok=True)
    new.write_text(report_text(rng, 100 + round_no, "md"), encoding="utf-8")
    if round_no % 3 == 0:  # also insert at the top of a file: ids stay, offsets move
        path = rng.choice([p for p in files if p != victim])
        path.write_text(f"Inserted heading {round_no}\n\n{paragraph(rng, 'inserted')}\n\n"
                        + path.read_text(encoding="utf-8"), encoding="utf-8")


def _recover(settings, helpers, cli: bool = True) -> None:
    """Complete the interrupted ingest: with ``uca ingest`` in a subprocess, or (cheaper: no interpreter
    start-up) with the same ``run_ingest`` in this process, on a Chroma client closed afterwards."""
    if cli:
        documents = helpers.ingest_json(settings)["documents"]
    else:
        with helpers.open_chroma(settings.resolved_index_dir()) as client:
            documents = run_ingest(settings, client=client).documents
    assert documents == len(expected_state(settings))
    assert_complete(settings, helpers)


def _after_kill(settings, helpers, before, after) -> None:
    """Right after a kill: the previous or the new index, consistent and queryable."""
    state = committed_state(settings.resolved_index_dir())
    if before is None and state is None:
        return  # killed during the very first build, before its commit: there is no index yet
    assert state in (before, after), "the committed index is neither the previous nor the new one"
    assert_serves(settings, helpers, state)


@pytest.mark.slow
def test_kill_at_each_stage_then_complete(crash_corpus, helpers):
    settings = crash_corpus
    index_dir = settings.resolved_index_dir()
    rng = random.Random(7)

    # the very first build killed before its commit: no index; then completed
    proc = helpers.run_uca(["ingest", "--quiet"], helpers.uca_env(settings, UCA_TEST_CRASH_AT="after_bm25"))
    assert proc.returncode == -signal.SIGKILL
    assert committed_state(index_dir) is None
    assert not helpers.check(settings).ok
    _recover(settings, helpers)

    for round_no, stage in enumerate(STAGES, start=1):
        before = committed_state(index_dir)
        _mutate(settings, rng, round_no)
        after = expected_state(settings)
        assert after != before
        proc = helpers.run_uca(["ingest", "--quiet"], helpers.uca_env(settings, UCA_TEST_CRASH_AT=stage))
        assert proc.returncode == -signal.SIGKILL, (stage, proc.returncode, proc.stderr[-2000:])
        assert committed_state(index_dir) == (before if stage in BEFORE_COMMIT else after), stage
        _after_kill(settings, helpers, before, after)
        _recover(settings, helpers, cli=round_no % 2 == 0)

    # a --full rebuild killed before its commit leaves the previous index; a plain ingest completes it
    before = committed_state(index_dir)
    _mutate(settings, rng, 99)
    proc = helpers.run_uca(["ingest", "--full", "--quiet"],
                           helpers.uca_env(settings, UCA_TEST_CRASH_AT="after_vectors"))
    assert proc.returncode == -signal.SIGKILL
    assert committed_state(index_dir) == before
    _after_kill(settings, helpers, before, expected_state(settings))
    _recover(settings, helpers)
    with helpers.open_chroma(index_dir) as client:
        assert len(client.list_collections()) == 1  # the abandoned rebuild's collection is gone


@pytest.mark.slow
def test_kill_after_random_delays_then_complete(crash_corpus, helpers):
    """Kills at random moments: the first 0.05-1.5 s after the start, the others 0-0.25 s after the ingest
    began writing (seen in the manifest; short, so that a fast idle machine is still killed mid-write). After
    each kill the index is checked, then completed."""
    settings = crash_corpus
    index_dir = settings.resolved_index_dir()
    rng = random.Random(11)
    before = None
    phases = []
    for round_no in range(1, 6):
        if round_no > 1:
            _mutate(settings, rng, round_no, edits=12)
        after = expected_state(settings)
        proc = subprocess.Popen([str(helpers.UCA), "ingest", "--quiet"], env=helpers.uca_env(settings),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                cwd=str(helpers.ROOT))
        if round_no == 1:
            delay = rng.uniform(0.05, 1.5)
        else:
            delay = rng.uniform(0.0, 0.25)
        writing = round_no == 1 or wait_until_writing(index_dir, proc, timeout=60) is not None
        killed = sigkill_after(proc, delay if writing else 0.0)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
        phases.append((round(delay, 2), phase_of(index_dir, before, after, killed) if killed else "not killed"))
        _after_kill(settings, helpers, before, after)
        _recover(settings, helpers, cli=False)
        before = committed_state(index_dir)
    print("kills:", phases)
    assert sum(p != "not killed" for _, p in phases) >= 3, phases
