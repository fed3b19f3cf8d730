"""Helpers of the ingest crash tests (``tests/ingest/test_ingest_crash.py``) and the crash loop
(``scripts/crash_loop.py``): generated reports, the committed and the expected index state, and killing an
ingest while it writes."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

WORDS = ("oncology research network hospital patients screening clinical trial europe partnership training "
         "mobility prevention diagnosis treatment survivors quality care innovation registry genomics "
         "radiotherapy surgery nursing pharmacy imaging pathology biobank cohort consortium").split()
DIRTY_POLL = 0.01  # seconds between two reads of the manifest's dirty flag
DIRTY_READ_TIMEOUT = 0.05  # seconds one read may wait for the writer's lock


def paragraph(rng: random.Random, marker: str) -> str:
    """2-5 sentences of project words, each with ``marker`` somewhere (so a search can find them)."""
    sentences = []
    for _ in range(rng.randint(2, 5)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        words[rng.randrange(len(words))] = marker
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def report_text(rng: random.Random, n: int, kind: str) -> str:
    """Report ``n`` with 2-4 sections, as Markdown (``md``), plain text (``txt``) or an HTML page (``html``,
    with a script and hidden text that the loader must drop)."""
    sections = [(f"Section {s} of report {n}", paragraph(rng, f"kw{n}s{s}")) for s in range(rng.randint(2, 4))]
    if kind == "md":
        return f"# Report {n}\n" + "".join(f"\n## {h}\n\n{p}\n" for h, p in sections)
    if kind == "html":
        body = "".join(f"<h2>{h}</h2><p>{p}</p>\n" for h, p in sections)
        return (f"<html><head><title>Report {n}</title><script>alert({n})</script></head>\n"
                f"<body><h1>Report {n}</h1>\n{body}<p style=\"display:none\">hidden {n}</p></body></html>\n")
    return f"Report number {n}\n" + "".join(f"\n{h}\n\n{p}\n" for h, p in sections)


def expected_state(settings) -> dict[str, tuple[str, ...]]:
    """What a completed ingest of the corpus as it is now commits: ``{source: chunk ids}``."""
    from ingest.chunking import chunk_document
    from ingest.loaders import LoadError, load_document
    from ingest.pipeline import scan_corpus

    files, _ = scan_corpus(settings.resolved_corpus_dir())
    out = {}
    for source, path in files:
        try:
            doc = load_document(path, source, settings.max_file_bytes)
        except LoadError:
            continue  # skipped by the ingest too
        out[source] = tuple(c.id for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap))
    return out


def committed_state(index_dir: Path) -> dict[str, tuple[str, ...]] | None:
    """``{source: chunk ids}`` of the committed manifest (None before the first commit)."""
    from ingest.index import Manifest

    if not (index_dir / "manifest.sqlite").exists():
        return None
    manifest = Manifest(index_dir / "manifest.sqlite")
    try:
        if manifest.get("generation") is None:
            return None
        return {s: d.chunk_ids for s, d in manifest.documents().items()}
    finally:
        manifest.close()


def read_dirty(index_dir: Path) -> bool:
    """The manifest's ``dirty`` flag, read without writing (an ingest may be running)."""
    path = index_dir / "manifest.sqlite"
    if not path.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=DIRTY_READ_TIMEOUT)
        try:
            row = con.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0] == "1")


def wait_until_writing(index_dir: Path, proc: subprocess.Popen, timeout: float) -> float | None:
    """Seconds until ``proc`` marks the index dirty (starts writing); None if it exited or timed out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and proc.poll() is None:
        if read_dirty(index_dir):
            return time.monotonic() - t0
        time.sleep(DIRTY_POLL)
    return None


def sigkill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds from now unless it has exited by then; whether it was killed."""
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    return killed


def phase_of(index_dir: Path, before, after, killed: bool) -> str:
    """Where a kill landed, judged from what it left."""
    if not killed:
        return "not killed (finished first)"
    state, dirty = committed_state(index_dir), read_dirty(index_dir)
    if state == after and state != before:
        return "after commit, before cleanup" if dirty else "after cleanup, before exit"
    return "during writes, before commit" if dirty else "before any write"
