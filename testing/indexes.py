"""Real indexes for tests: the project's corpus file plus a few extra documents, ingested in-process with the
settings' (by default the real) embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

from testing.env import ROOT

CORPUS_FILE = ROOT / "corpus" / "unicancer-international.txt"


def corpus_index(base: Path, extra: dict[str, str] | None = None, **settings: object):
    """``base/corpus`` = the corpus file plus ``extra`` (``{file name: text}``), indexed into ``base/index``;
    returns ``(Settings, IngestReport)``. ``settings`` override fields of the default ``Settings``."""
    from ingest.pipeline import run_ingest
    from ingest.settings import Settings

    corpus = base / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS_FILE, corpus)
    for name, text in (extra or {}).items():
        (corpus / name).write_text(text, encoding="utf-8")
    s = Settings(corpus_dir=corpus, index_dir=base / "index", **settings)
    report = run_ingest(s)
    if report.skipped:  # a test index that silently lost a document makes later failures unreadable
        raise RuntimeError(f"test index at {base} skipped files: {report.skipped}")
    return s, report
