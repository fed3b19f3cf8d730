"""Shared fixtures: settings on temporary copies of the corpus, the fake embedder (``testing.fakes``), subprocess
helpers.

Tests never reach a model hub (``HF_HUB_OFFLINE=1``) and never depend on the developer's own ``UCA_*``
environment: every ``UCA_*`` variable is removed here, so ``Settings()`` sees only what a test passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing.env import OFFLINE, ROOT, UCA
from testing.fakes import FakeEmbedder

os.environ.update(OFFLINE)
for _key in [k for k in os.environ if k.startswith("UCA_")]:
    del os.environ[_key]

CORPUS_DIR = ROOT / "corpus"
CORPUS_FILE = CORPUS_DIR / "unicancer-international.txt"
FAKE_MODEL = "fake-hash-16"  # the test backend of ingest.embeddings: deterministic, no model load


@pytest.fixture
def no_real_model(monkeypatch):
    """Fail the test if anything loads a sentence-transformers model."""
    from ingest.embeddings import Embedder

    def _refuse(self):
        raise AssertionError(f"a real embedding model was loaded ({self.name})")

    monkeypatch.setattr(Embedder, "model", property(_refuse))


@pytest.fixture
def fake_embedder(no_real_model) -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the project's corpus folder."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, dest)
    return dest


@pytest.fixture
def real_settings(tmp_path, corpus_copy):
    """Settings with the real default model on a copy of the real corpus; the index in tmp."""
    from ingest.settings import Settings

    return Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index")


@pytest.fixture
def fake_settings(tmp_path):
    """Settings for fake-embedder tests: an empty corpus folder to fill, the index in tmp, and an
    embedding-model name that is not a real model (it is recorded in the index config)."""
    from ingest.settings import Settings

    corpus = tmp_path / "fcorpus"
    corpus.mkdir()
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "findex", embedding_model=FAKE_MODEL)


def uca_env(settings, **extra: str) -> dict[str, str]:
    """Environment for a ``uca`` subprocess working on ``settings``' corpus and index."""
    env = dict(os.environ)
    env.update(
        UCA_CORPUS_DIR=str(settings.corpus_dir),
        UCA_INDEX_DIR=str(settings.index_dir),
        UCA_EMBEDDING_MODEL=settings.embedding_model,
        UCA_CHUNK_SIZE=str(settings.chunk_size),
        UCA_CHUNK_OVERLAP=str(settings.chunk_overlap),
    )
    env.update(extra)
    return env


def run_uca(args: Sequence[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(UCA), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=str(ROOT))


def ingest_json(settings, *args: str, timeout: float = 300, **extra_env: str) -> dict:
    """Run ``uca ingest --json --quiet`` in a subprocess and return its JSON report (asserts success)."""
    proc = run_uca(["ingest", "--json", "--quiet", *args], uca_env(settings, **extra_env), timeout)
    assert proc.returncode == 0, f"uca ingest failed ({proc.returncode}):\n{proc.stderr}"
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one JSON line, got: {proc.stdout!r}"
    return json.loads(lines[0])


@contextmanager
def open_chroma(index_dir: Path) -> Iterator:
    """A Chroma client on ``index_dir/chroma``, closed afterwards so the next one re-reads the disk
    (another process may have written in between)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(Path(index_dir) / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    try:
        yield client
    finally:
        client.close()


def committed_collection_name(index_dir: Path) -> str:
    from ingest.index import Manifest

    manifest = Manifest(Path(index_dir) / "manifest.sqlite")
    try:
        name = manifest.get("collection")
    finally:
        manifest.close()
    assert name, "no committed collection in the manifest"
    return name


def chroma_records(index_dir: Path) -> dict[str, tuple[str, dict]]:
    """``{id: (document, metadata)}`` of every vector in the committed collection."""
    name = committed_collection_name(index_dir)
    with open_chroma(index_dir) as client:
        got = client.get_collection(name, embedding_function=None).get(include=["documents", "metadatas"])
    return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}


def manifest_state(index_dir: Path) -> tuple[dict, list]:
    """``(documents, chunks)`` as the manifest holds them."""
    from ingest.index import Manifest

    manifest = Manifest(Path(index_dir) / "manifest.sqlite")
    try:
        return manifest.documents(), manifest.chunks()
    finally:
        manifest.close()


def bm25_ids(index_dir: Path) -> list[str]:
    """Chunk ids of the current BM25 directory."""
    from ingest.index import Manifest

    manifest = Manifest(Path(index_dir) / "manifest.sqlite")
    try:
        rel = manifest.get("bm25_dir")
    finally:
        manifest.close()
    return json.loads((Path(index_dir) / rel / "ids.json").read_text(encoding="utf-8"))


def check(settings):
    """``ingest.pipeline.check_index`` with a fresh Chroma client (closed afterwards)."""
    from ingest.pipeline import check_index

    with open_chroma(settings.resolved_index_dir()) as client:
        return check_index(settings, client=client)


def make_pdf(pages: Sequence[Sequence[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF written by hand: one page per item, each line a Helvetica text line."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "50 750 Td", "14 TL", *(f"({esc(ln)}) Tj T*" for ln in lines), "ET"]
        stream = "\n".join(ops).encode("latin-1")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
                    f">> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title is not None:
        objs.append(f"<< /Title ({esc(title)}) >>".encode("latin-1"))
        info = len(objs)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objs) + 1) + (b" /Info %d 0 R" % info if info else b"") + b" >>"
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture(scope="session")
def helpers():
    """The module-level helpers, for test modules (``helpers.run_uca(...)`` etc.)."""
    import types

    return types.SimpleNamespace(
        FakeEmbedder=FakeEmbedder, uca_env=uca_env, run_uca=run_uca, ingest_json=ingest_json,
        open_chroma=open_chroma, chroma_records=chroma_records, manifest_state=manifest_state,
        bm25_ids=bm25_ids, check=check, make_pdf=make_pdf, committed_collection_name=committed_collection_name,
        ROOT=ROOT, CORPUS_DIR=CORPUS_DIR, CORPUS_FILE=CORPUS_FILE, UCA=UCA, FAKE_MODEL=FAKE_MODEL,
    )
