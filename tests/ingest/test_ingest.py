"""Ingest: manifest bookkeeping, re-ingest, skipped files, settings mismatch, the lock (fast, fake embedder);
then the real model on the real corpus through the ``uca ingest`` CLI (slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from ingest.chunking import chunk_document, sentence_spans
from ingest.embeddings import Embedder
from ingest.index import IndexMismatch, Manifest
from ingest.lexical import LexicalIndex, content_words
from ingest.loaders import load_document
from ingest.pipeline import IngestLocked, acquire_lock, run_ingest

META_KEYS = {"source", "title", "section", "start", "end", "chunk_index", "content_hash"}
REPORT_KEYS = {"documents", "chunks", "added", "removed", "unchanged_documents", "embedded", "skipped", "seconds"}

GUIDE = """# Cancer Network Guide

The network connects hospitals across Europe. It shares research results between centres.

## Research

Clinical trials are promoted by the federation. Patients are included in many studies every year.
Research teams collaborate with universities and industry partners.

## Partnerships

The federation is a member of several international organisations:

- the World Health Organisation
- the International Hospital Federation
- the Union for International Cancer Control

## Training

Healthcare professionals take part in mobility and training programmes. Exchanges last several weeks.
"""


def write(path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def expected_ids(settings, source: str) -> list[str]:
    path = settings.corpus_dir / source
    doc = load_document(path, source)
    return [c.id for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap)]


def ids_by_source(index_dir) -> dict[str, tuple[str, ...]]:
    manifest = Manifest(index_dir / "manifest.sqlite")
    try:
        return {s: d.chunk_ids for s, d in manifest.documents().items()}
    finally:
        manifest.close()


def assert_consistent(settings, helpers) -> set[str]:
    """Manifest, Chroma and BM25 hold the same ids; Chroma's documents and metadata match the files."""
    index_dir = settings.resolved_index_dir()
    report = helpers.check(settings)
    assert report.ok and report.clean, report.problems
    assert report.manifest_chunks == report.vector_chunks == report.bm25_chunks
    docs, chunks = helpers.manifest_state(index_dir)
    live = {c.id for c in chunks}
    assert live == {cid for d in docs.values() for cid in d.chunk_ids}
    records = helpers.chroma_records(index_dir)
    assert set(records) == live
    assert set(helpers.bm25_ids(index_dir)) == live
    texts = {}
    for c in chunks:
        if c.source not in texts:
            texts[c.source] = load_document(settings.corpus_dir / c.source, c.source).text
        document, meta = records[c.id]
        assert document == c.text == texts[c.source][c.start : c.end]
        assert set(meta) >= META_KEYS
        assert (meta["source"], meta["start"], meta["end"], meta["chunk_index"], meta["section"]) == (
            c.source, c.start, c.end, c.chunk_index, c.section)
    return live


@pytest.fixture
def two_docs(fake_settings, helpers):
    """A corpus of the real file and a Markdown guide."""
    shutil.copy(helpers.CORPUS_FILE, fake_settings.corpus_dir / "unicancer-international.txt")
    write(fake_settings.corpus_dir / "guides" / "guide.md", GUIDE)
    return fake_settings


# -- first ingest, unchanged re-ingest ----------------------------------------------------------------


def test_first_ingest_adds_everything(two_docs, fake_embedder, helpers):
    settings = two_docs
    stages = []
    report = run_ingest(settings, embedder=fake_embedder, progress=lambda s, d, t: stages.append((s, d, t)))
    real_ids = expected_ids(settings, "unicancer-international.txt")
    guide_ids = expected_ids(settings, "guides/guide.md")
    assert report.documents == 2
    assert report.chunks == len(real_ids) + len(guide_ids)
    assert report.added == report.embedded == report.chunks
    assert report.removed == report.unchanged_documents == 0
    assert report.skipped == []
    assert report.changed_documents == ["guides/guide.md", "unicancer-international.txt"]
    assert fake_embedder.loads == 1 and len(fake_embedder.encoded) == report.chunks
    assert ("embedding", report.chunks, report.chunks) in stages
    assert ids_by_source(settings.resolved_index_dir()) == {
        "unicancer-international.txt": tuple(real_ids), "guides/guide.md": tuple(guide_ids)}
    assert_consistent(settings, helpers)
    manifest = Manifest(settings.resolved_index_dir() / "manifest.sqlite")
    meta = manifest.meta()
    assert meta["embedding_model"] == helpers.FAKE_MODEL
    assert meta["dimension"] == "16"
    assert (meta["chunk_size"], meta["chunk_overlap"]) == ("700", "100")
    assert meta["dirty"] == "0"


def _sentence_vectors(settings) -> tuple[dict, dict, list]:
    manifest = Manifest(settings.resolved_index_dir() / "manifest.sqlite")
    try:
        chunks = manifest.chunks()
        return manifest.sentence_vectors([c.id for c in chunks]), manifest.word_vectors(
            [w for c in chunks for w in content_words(f"{c.title} {c.section} {c.text}")]), chunks
    finally:
        manifest.close()


def test_ingest_stores_sentence_and_word_vectors_and_collects_stale_ones(two_docs, fake_embedder):
    settings = two_docs
    report = run_ingest(settings, embedder=fake_embedder)
    sentences, words, chunks = _sentence_vectors(settings)
    # every committed chunk has one vector per sentence, keyed by the sentence's span in the chunk text
    assert set(sentences) == {c.id for c in chunks}
    for c in chunks:
        assert set(sentences[c.id]) == set(sentence_spans(c.text)), c.text
        vec = next(iter(sentences[c.id].values()))
        assert vec.shape == (16,) and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-2
    # the vector of a sentence is the vector of its text (the fake embedder's span vectors), stored as float16
    c = chunks[0]
    (a, b), vec = sorted(sentences[c.id].items())[0]
    assert np.allclose(vec, fake_embedder._vectors([c.text[a:b]])[0], atol=2e-3)
    # every content word of the corpus has a vector, each embedded once
    vocab = {w for c in chunks for w in content_words(f"{c.title} {c.section} {c.text}")}
    assert set(words) == vocab and report.words_embedded == len(vocab) == len(fake_embedder.words)
    assert "federation" in vocab and "the" not in vocab
    # a changed document: new sentences stored, those of removed chunks collected, known words not re-embedded
    fake_embedder.words.clear()
    guide = settings.corpus_dir / "guides" / "guide.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace(
        "Exchanges last several weeks.", "Exchanges last several weeks in Zanzibar."), encoding="utf-8")
    run_ingest(settings, embedder=fake_embedder)
    after, words_after, chunks_after = _sentence_vectors(settings)
    assert set(after) == {c.id for c in chunks_after} and set(after) != set(sentences)
    manifest = Manifest(settings.resolved_index_dir() / "manifest.sqlite")
    try:
        stored = {r[0] for r in manifest.connect().execute("SELECT id FROM sentence_vectors")}
    finally:
        manifest.close()
    assert stored == {c.id for c in chunks_after}  # nothing left of the replaced chunks
    assert fake_embedder.words == ["zanzibar"] and "zanzibar" in words_after


def test_what_is_embedded_carries_title_and_section(two_docs, fake_embedder):
    run_ingest(two_docs, embedder=fake_embedder)
    hope = [t for t in fake_embedder.encoded if "Its head office is located in Brussels" in t]
    assert len(hope) == 1
    assert hope[0].startswith("Unicancer international\nHOPE, European Hospital and Healthcare Federation\n")
    research = [t for t in fake_embedder.encoded if "Clinical trials are promoted" in t]
    assert research[0].startswith("Cancer Network Guide\nCancer Network Guide > Research\n")


def test_second_ingest_embeds_nothing_and_never_loads_a_model(two_docs, fake_embedder):
    first = run_ingest(two_docs, embedder=fake_embedder)
    idle = type(fake_embedder)()
    second = run_ingest(two_docs, embedder=idle)
    assert (second.embedded, second.added, second.removed) == (0, 0, 0)
    assert second.unchanged_documents == second.documents == 2
    assert second.chunks == first.chunks
    assert second.generation == first.generation
    assert idle.loads == 0 and not idle.encoded
    # touched but identical: hashed again, still nothing to embed
    path = two_docs.corpus_dir / "guides" / "guide.md"
    path.write_bytes(path.read_bytes())
    third = run_ingest(two_docs, embedder=idle)
    assert third.embedded == 0 and idle.loads == 0
    assert third.unchanged_documents == 2


def test_unchanged_corpus_does_not_load_a_real_model(fake_settings, fake_embedder, helpers):
    """Without an explicit embedder run_ingest makes its own; with nothing to embed it must not load it
    (the ``no_real_model`` guard of ``fake_embedder`` fails the test if a model is loaded)."""
    from ingest.settings import Settings

    settings = Settings(corpus_dir=fake_settings.corpus_dir, index_dir=fake_settings.index_dir)  # real name
    shutil.copy(helpers.CORPUS_FILE, settings.corpus_dir / "u.txt")
    run_ingest(settings, embedder=fake_embedder)
    report = run_ingest(settings)
    assert report.embedded == 0 and report.documents == 1
    real = Embedder(settings)
    (settings.corpus_dir / "u.txt").touch()  # touched, same content: hashed again, still nothing to embed
    report = run_ingest(settings, embedder=real)
    assert report.embedded == 0
    assert real.loads == 0 and not real.loaded


# -- edits, deletions, restores -----------------------------------------------------------------------


def test_editing_one_file_reembeds_only_its_changed_chunks(two_docs, fake_embedder, helpers):
    settings = two_docs
    run_ingest(settings, embedder=fake_embedder)
    before = ids_by_source(settings.resolved_index_dir())
    path = settings.corpus_dir / "guides" / "guide.md"
    write(path, GUIDE.replace("Exchanges last several weeks.", "Exchanges last several weeks or months."))
    new_guide = expected_ids(settings, "guides/guide.md")
    changed = set(new_guide) - set(before["guides/guide.md"])
    assert 0 < len(changed) < len(new_guide)
    spy = type(fake_embedder)()
    report = run_ingest(settings, embedder=spy)
    assert report.changed_documents == ["guides/guide.md"]
    assert report.unchanged_documents == 1
    assert report.embedded == report.added == len(changed)
    assert report.removed == len(set(before["guides/guide.md"]) - set(new_guide))
    assert all("or months" in t for t in spy.encoded)
    after = ids_by_source(settings.resolved_index_dir())
    assert after["unicancer-international.txt"] == before["unicancer-international.txt"]
    assert after["guides/guide.md"] == tuple(new_guide)
    live = assert_consistent(settings, helpers)
    assert not (set(before["guides/guide.md"]) - set(new_guide)) & live


def test_inserting_text_shifts_offsets_and_keeps_metadata_exact(two_docs, fake_embedder, helpers):
    """Chunks after an insertion keep their ids, and their stored offsets follow the new text."""
    settings = two_docs
    run_ingest(settings, embedder=fake_embedder)
    before = ids_by_source(settings.resolved_index_dir())["unicancer-international.txt"]
    path = settings.corpus_dir / "unicancer-international.txt"
    original = path.read_text(encoding="utf-8")
    write(path, "News of the week\n\nA new paragraph was added at the top. It moves every offset.\n\n" + original)
    report = run_ingest(settings, embedder=type(fake_embedder)())
    assert report.skipped == [] and report.changed_documents == ["unicancer-international.txt"]
    after = ids_by_source(settings.resolved_index_dir())["unicancer-international.txt"]
    assert len(set(before) & set(after)) >= len(before) - 1
    assert report.embedded == len(set(after) - set(before)) <= 2
    assert_consistent(settings, helpers)


def test_deleting_a_file_removes_its_chunks_and_restoring_brings_back_the_same_ids(
        two_docs, fake_embedder, helpers):
    settings = two_docs
    index_dir = settings.resolved_index_dir()
    run_ingest(settings, embedder=fake_embedder)
    original = ids_by_source(index_dir)
    guide = settings.corpus_dir / "guides" / "guide.md"
    saved = guide.read_bytes()
    guide.unlink()
    report = run_ingest(settings, embedder=fake_embedder)
    assert report.deleted_documents == ["guides/guide.md"]
    assert report.removed == len(original["guides/guide.md"]) and report.embedded == 0
    assert report.documents == 1
    live = assert_consistent(settings, helpers)
    assert live == set(original["unicancer-international.txt"])
    lexical = LexicalIndex(index_dir / Manifest(index_dir / "manifest.sqlite").get("bm25_dir"))
    assert set(lexical.ids) == live
    assert all(cid in live for cid, _ in lexical.search("universities industry partners", 5))

    write(guide, saved)
    report = run_ingest(settings, embedder=fake_embedder)
    assert report.embedded == report.added == len(original["guides/guide.md"])
    assert ids_by_source(index_dir) == original
    assert_consistent(settings, helpers)
    hits = LexicalIndex(index_dir / Manifest(index_dir / "manifest.sqlite").get("bm25_dir")).search(
        "universities industry partners", 3)
    assert hits and hits[0][0] in original["guides/guide.md"]


def test_emptying_the_corpus_removes_everything(two_docs, fake_embedder, helpers):
    run_ingest(two_docs, embedder=fake_embedder)
    for p in list(two_docs.corpus_dir.rglob("*")):
        if p.is_file():
            p.unlink()
    report = run_ingest(two_docs, embedder=fake_embedder)
    assert report.documents == report.chunks == 0
    check = helpers.check(two_docs)
    assert check.ok and check.clean and check.manifest_chunks == check.vector_chunks == 0


def test_full_rebuild_gives_the_same_ids_in_a_fresh_collection(two_docs, fake_embedder, helpers):
    settings = two_docs
    index_dir = settings.resolved_index_dir()
    run_ingest(settings, embedder=fake_embedder)
    ids = ids_by_source(index_dir)
    old_collection = helpers.committed_collection_name(index_dir)
    report = run_ingest(settings, full=True, embedder=fake_embedder)
    assert report.embedded == report.chunks == sum(len(v) for v in ids.values())
    assert ids_by_source(index_dir) == ids
    new_collection = helpers.committed_collection_name(index_dir)
    assert new_collection != old_collection
    assert_consistent(settings, helpers)
    with helpers.open_chroma(index_dir) as client:
        names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert names == {new_collection}
    assert [p.name for p in (index_dir / "bm25").iterdir()] == [Manifest(index_dir / "manifest.sqlite")
                                                               .get("bm25_dir").split("/")[-1]]


@pytest.mark.parametrize("change", [{"chunk_size": 400}, {"chunk_overlap": 50}, {"embedding_model": "fake-hash-32"}])
def test_other_settings_without_full_is_a_clear_error(two_docs, fake_embedder, helpers, change):
    run_ingest(two_docs, embedder=fake_embedder)
    ids = ids_by_source(two_docs.resolved_index_dir())
    other = two_docs.model_copy(update=change)
    with pytest.raises(IndexMismatch) as err:
        run_ingest(other, embedder=fake_embedder)
    message = str(err.value)
    assert "uca ingest --full" in message
    assert next(iter(change)) in message
    assert ids_by_source(two_docs.resolved_index_dir()) == ids  # nothing was touched
    report = run_ingest(other, full=True, embedder=type(fake_embedder)())
    assert report.chunks > 0
    assert Manifest(two_docs.resolved_index_dir() / "manifest.sqlite").get(next(iter(change))) == str(
        next(iter(change.values())))
    assert run_ingest(other, embedder=fake_embedder).embedded == 0
    assert_consistent(other, helpers)


def test_mismatch_error_from_the_cli(two_docs, fake_embedder, helpers):
    run_ingest(two_docs, embedder=fake_embedder)
    env = helpers.uca_env(two_docs, UCA_CHUNK_SIZE="400")
    proc = helpers.run_uca(["ingest", "--json", "--quiet"], env)
    assert proc.returncode != 0
    assert "uca ingest --full" in proc.stderr and "chunk_size" in proc.stderr
    assert proc.stdout.strip() == ""


# -- files that cannot be read ------------------------------------------------------------------------


def test_bad_files_are_reported_and_skipped(fake_settings, fake_embedder, helpers):
    corpus = fake_settings.corpus_dir
    shutil.copy(helpers.CORPUS_FILE, corpus / "good.txt")
    write(corpus / "junk.txt", bytes(range(256)) * 40)
    write(corpus / "empty.md", b"")
    write(corpus / "broken.pdf", b"%PDF-1.4\n" + bytes(range(1, 256)) * 10)
    write(corpus / "latin1.txt", "Café à Genève.\n".encode("latin-1"))
    write(corpus / "deep" / "image.png", b"\x89PNG\r\n\x1a\n")
    write(corpus / "notes.docx", b"PK\x03\x04")
    write(corpus / ".hidden.txt", "Hidden files are ignored.")
    write(corpus / ".git" / "HEAD.txt", "Hidden folders are ignored.")
    report = run_ingest(fake_settings, embedder=fake_embedder)
    skipped = {s["source"]: s["reason"] for s in report.skipped}
    assert set(skipped) == {"junk.txt", "empty.md", "broken.pdf", "latin1.txt", "deep/image.png", "notes.docx"}, \
        skipped
    assert "binary" in skipped["junk.txt"]
    assert "empty" in skipped["empty.md"]
    assert "PDF" in skipped["broken.pdf"]
    assert "UTF-8" in skipped["latin1.txt"]
    assert skipped["deep/image.png"] == "unsupported file type '.png'"
    assert "unsupported" in skipped["notes.docx"]
    assert report.documents == 1
    assert set(ids_by_source(fake_settings.resolved_index_dir())) == {"good.txt"}
    assert_consistent(fake_settings, helpers)


def test_a_file_that_turns_bad_keeps_its_previous_version(two_docs, fake_embedder, helpers):
    index_dir = two_docs.resolved_index_dir()
    first = run_ingest(two_docs, embedder=fake_embedder)
    assert first.skipped == [] and first.documents == 2, first  # both indexed before one turns bad
    ids = ids_by_source(index_dir)
    write(two_docs.corpus_dir / "guides" / "guide.md", GUIDE.encode("utf-8") + b"\xff\xfe broken tail")
    report = run_ingest(two_docs, embedder=fake_embedder)
    assert [s["source"] for s in report.skipped] == ["guides/guide.md"], report
    assert "keeping the previously indexed version" in report.skipped[0]["reason"]
    assert report.documents == 2 and report.embedded == 0, report
    assert ids_by_source(index_dir) == ids
    assert helpers.check(two_docs).clean


def test_pdf_pages_reach_chroma_metadata(fake_settings, fake_embedder, helpers):
    page1 = [f"First page sentence number {i} talks about research networks." for i in range(12)]
    page2 = [f"Second page sentence number {i} talks about hospital partners." for i in range(12)]
    write(fake_settings.corpus_dir / "report.pdf", helpers.make_pdf([page1, page2]))
    run_ingest(fake_settings, embedder=fake_embedder)
    records = helpers.chroma_records(fake_settings.resolved_index_dir())
    pages = {meta["page"] for _, meta in records.values()}
    assert pages == {1, 2}
    for document, meta in records.values():
        assert ("Second page" in document.split(".")[0]) == (meta["page"] == 2)


# -- the lock -----------------------------------------------------------------------------------------


def test_second_ingest_is_refused_while_the_lock_is_held(two_docs, fake_embedder):
    index_dir = two_docs.resolved_index_dir()
    lock = acquire_lock(index_dir)
    try:
        with pytest.raises(IngestLocked) as err:
            run_ingest(two_docs, embedder=fake_embedder)
        assert "another ingest is running" in str(err.value)
        assert str(index_dir) in str(err.value)
        assert fake_embedder.loads == 0
        with pytest.raises(IngestLocked):
            acquire_lock(index_dir)
    finally:
        lock.release()
    assert run_ingest(two_docs, embedder=fake_embedder).documents == 2


HOLDER = """
import sys, time
from pathlib import Path
from ingest.pipeline import acquire_lock
lock = acquire_lock(Path(sys.argv[1]))
print("locked", flush=True)
time.sleep(120)
"""


def test_cli_refuses_while_another_process_holds_the_lock(two_docs, helpers):
    index_dir = two_docs.resolved_index_dir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(index_dir)], stdout=subprocess.PIPE, text=True,
                              cwd=str(helpers.ROOT))
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = helpers.run_uca(["ingest", "--json"], helpers.uca_env(two_docs), timeout=120)
        assert proc.returncode != 0
        assert "another ingest is running" in proc.stderr
        assert proc.stdout.strip() == ""
    finally:
        holder.kill()  # like a kill -9: the OS releases the lock
        holder.wait()
    report = helpers.ingest_json(two_docs)
    assert report["documents"] == 2


def test_cli_json_report(two_docs, helpers):
    (two_docs.corpus_dir / "notes.odt").write_bytes(b"PK")
    first = helpers.ingest_json(two_docs)
    assert set(first) >= REPORT_KEYS
    assert first["documents"] == 2 and first["embedded"] == first["chunks"] == first["added"] > 10
    assert first["skipped"] == [{"source": "notes.odt", "reason": "unsupported file type '.odt'"}]
    second = helpers.ingest_json(two_docs)
    assert second["embedded"] == 0 and second["unchanged_documents"] == 2
    assert helpers.check(two_docs).clean


# -- real model, real corpus, through the CLI (slow) --------------------------------------------------


@pytest.fixture(scope="module")
def real_index(tmp_path_factory, helpers):
    """One real-model index of a copy of the real corpus, built by ``uca ingest --json``; the two reports
    and the settings. Tests that change the corpus restore it before they finish."""
    from ingest.settings import Settings

    root = tmp_path_factory.mktemp("real")
    corpus = root / "corpus"
    shutil.copytree(helpers.CORPUS_DIR, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    t0 = time.perf_counter()
    first = helpers.ingest_json(settings)
    first_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = helpers.ingest_json(settings)
    second_wall = time.perf_counter() - t0
    return {"settings": settings, "first": first, "second": second, "first_wall": first_wall,
            "second_wall": second_wall}


def chroma_ids(index_dir, helpers) -> set[str]:
    return set(helpers.chroma_records(index_dir))


@pytest.mark.slow
def test_real_first_ingest_reports_the_corpus(real_index):
    first = real_index["first"]
    assert set(first) >= REPORT_KEYS
    assert first["documents"] == 1
    assert first["chunks"] >= 10
    assert first["embedded"] == first["added"] == first["chunks"]
    assert first["skipped"] == [] and first["removed"] == 0


@pytest.mark.slow
def test_real_second_ingest_does_no_work(real_index):
    # how fast it is is measured by `uca bench` (no-op ratio), not asserted here: timings vary with load
    second = real_index["second"]
    assert second["embedded"] == 0 and second["added"] == 0 and second["removed"] == 0
    assert second["unchanged_documents"] == 1 and second["chunks"] == real_index["first"]["chunks"]


@pytest.mark.slow
def test_real_every_chunk_in_chroma_is_an_exact_slice_with_metadata(real_index, helpers):
    settings = real_index["settings"]
    records = helpers.chroma_records(settings.resolved_index_dir())
    assert len(records) == real_index["first"]["chunks"]
    texts = {}
    for document, meta in records.values():
        assert set(meta) >= META_KEYS
        source = meta["source"]
        if source not in texts:
            texts[source] = (settings.corpus_dir / source).read_bytes().decode("utf-8")
        assert texts[source][meta["start"] : meta["end"]] == document
    hope = [(d, m) for d, m in records.values() if "Its head office is located in Brussels" in d]
    assert len(hope) == 1 and hope[0][1]["section"] == "HOPE, European Hospital and Healthcare Federation"
    assert helpers.check(settings).clean


@pytest.mark.slow
def test_real_query_finds_the_hope_chunk(real_index, helpers):
    from ingest.embeddings import Embedder

    settings = real_index["settings"]
    index_dir = settings.resolved_index_dir()
    vector = Embedder(settings).encode_query("Where is HOPE's head office?")
    assert vector.shape == (int(Manifest(index_dir / "manifest.sqlite").get("dimension")),)
    with helpers.open_chroma(index_dir) as client:
        collection = client.get_collection(helpers.committed_collection_name(index_dir), embedding_function=None)
        got = collection.query(query_embeddings=[vector.tolist()], n_results=3, include=["documents"])
    assert any("Its head office is located in Brussels" in d for d in got["documents"][0]), got["documents"][0]


@pytest.mark.slow
def test_real_append_reembeds_a_few_chunks_and_restore_gives_back_the_ids(real_index, helpers):
    settings = real_index["settings"]
    index_dir = settings.resolved_index_dir()
    path = settings.corpus_dir / "unicancer-international.txt"
    original = path.read_bytes()
    original_ids = chroma_ids(index_dir, helpers)
    try:
        with path.open("ab") as f:
            f.write(b"\n\nUnicancer also welcomes international fellows every year. They spend six months in one "
                    b"of the centres and then return to their home hospital.\n")
        appended = helpers.ingest_json(settings)
        assert appended["changed_documents"] == ["unicancer-international.txt"]
        assert 1 <= appended["embedded"] < appended["chunks"]
        assert appended["embedded"] == appended["added"] <= 2
        after_ids = chroma_ids(index_dir, helpers)
        assert len(after_ids ^ original_ids) <= 4
        records = helpers.chroma_records(index_dir)
        assert any("international fellows" in d for d, _ in records.values())
    finally:
        path.write_bytes(original)
    restored = helpers.ingest_json(settings)
    assert restored["embedded"] == restored["added"] == appended["removed"]
    assert chroma_ids(index_dir, helpers) == original_ids
    assert {c for ids in ids_by_source(index_dir).values() for c in ids} == original_ids
    assert helpers.check(settings).clean


def test_uca_ingest_check_cli(two_docs, fake_embedder, helpers):
    run_ingest(two_docs, embedder=fake_embedder)
    proc = helpers.run_uca(["ingest", "--check", "--json"], helpers.uca_env(two_docs))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["clean"] and report["manifest_chunks"] == report["vector_chunks"] > 10


@pytest.mark.slow
def test_existing_ids_asks_chroma_in_slices_beyond_sqlite_variable_limit(tmp_path):
    # a first ingest of a corpus of more than ~32k chunks asks Chroma which of its new ids it already has;
    # one `get` with that many ids fails in Chroma's SQLite ("too many SQL variables")
    import chromadb
    import numpy as np

    from ingest.pipeline import existing_ids

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    collection = client.get_or_create_collection("many-ids", embedding_function=None)
    ids = [f"c{i}" for i in range(33_000)]
    step = client.get_max_batch_size()
    for i in range(0, len(ids), step):
        part = ids[i : i + step]
        collection.add(ids=part, embeddings=np.ones((len(part), 2), dtype=np.float32))
    asked = ids + [f"new{i}" for i in range(10)]
    assert existing_ids(collection, asked) == set(ids)
    assert existing_ids(collection, asked[:50], batch=7) == set(ids[:50])
    assert existing_ids(collection, []) == set()
