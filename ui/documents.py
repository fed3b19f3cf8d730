"""The Documents panel's work: files uploaded from the browser are checked (count, size, name, content), stored
in the corpus folder under safe names, and ingested through :func:`ingest.pipeline.run_ingest` (the CLI's
pipeline and lock); a document is removed by deleting its file and ingesting again (its chunks leave the index
in the same atomic switch).

Content checks are done here, before a file reaches the corpus: a PDF must start with ``%PDF-``; a text,
Markdown or HTML file must be UTF-8 without NUL or other binary control bytes. The content decides, not the
name: a binary file named ``.txt`` is refused with its reason. No library is used for this (``python-magic``
needs libmagic and answers "data" for most of what matters here; the rules above are the loaders' own).
"""

from __future__ import annotations

import codecs
import os
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ingest.index import MANIFEST_FILE, Manifest
from ingest.pipeline import IngestLocked, IngestReport, acquire_lock, run_ingest
from ingest.settings import Settings
from ui.i18n import skip_reason, t

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")  # what the panel accepts (issue 13)
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
NAME_CHARS = " ._-()+,'"  # allowed in stored names besides letters and digits (the rest becomes "_")
MAX_NAME_BYTES = 200  # stored file names are cut to this many UTF-8 bytes (file systems allow 255)
READ_BLOCK = 1 << 20  # bytes read at a time when checking a file's content
MAX_CONTROL_SHARE = 0.01  # more control bytes (besides tab, newlines, form feed) than this share: binary
TEXT_CONTROLS = {9, 10, 12, 13}  # tab, line feed, form feed, carriage return
PARTIAL_PREFIX = ".uca-upload-"  # a file being stored (hidden: ingest ignores it)


class UploadError(Exception):
    """A file that cannot be stored, with the reason shown to the user."""


@dataclass
class FileResult:
    """What happened to one uploaded (or removed) file."""

    name: str  # the name shown (the stored name when there is one)
    status: str  # added | replaced | unchanged | refused | removed | stored
    reason: str = ""
    chunks: int | None = None


def safe_name(original: str) -> str:
    """The name a file is stored under: its last path part only, NFC, letters, digits and a few punctuation
    marks kept (the rest ``_``), no leading dot, at most :data:`MAX_NAME_BYTES` bytes, a supported suffix."""
    base = PureWindowsPath(PurePosixPath(str(original)).name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch if ch.isalnum() or ch in NAME_CHARS else "_" for ch in base).strip(" .")
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UploadError(f"unsupported file type '{suffix or base}' (accepted: {', '.join(UPLOAD_SUFFIXES)})")
    stem = base[: -len(suffix)]
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    if not stem.strip(" ._"):
        raise UploadError("the file has no usable name")
    return stem + suffix


def content_problem(path: Path, suffix: str, lang: str = "en") -> str | None:
    """Why the content of ``path`` is not a ``suffix`` document (in ``lang``), or ``None`` when it is."""
    with path.open("rb") as fh:
        head = fh.read(READ_BLOCK)
        if not head.strip():
            return t(lang, "doc_empty")
        if suffix == ".pdf":
            return None if head.startswith(b"%PDF-") else t(lang, "doc_not_pdf")
        if head.startswith(b"%PDF-"):
            return t(lang, "doc_pdf_named", suffix=suffix)
        decoder = codecs.getincrementaldecoder("utf-8")()
        block = head
        while block:
            if b"\0" in block:
                return t(lang, "doc_binary_nul", suffix=suffix)
            controls = sum(1 for b in block if b < 32 and b not in TEXT_CONTROLS)
            if controls > MAX_CONTROL_SHARE * len(block):
                return t(lang, "doc_binary", controls=controls, size=len(block), suffix=suffix)
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return t(lang, "doc_not_utf8", offset=exc.start)
            block = fh.read(READ_BLOCK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return t(lang, "doc_utf8_cut")
    return None


def _store(src: Path, dest: Path, replace: bool) -> None:
    """Copy ``src`` to ``dest`` through a hidden partial file; never replaces ``dest`` unless ``replace``."""
    partial = dest.with_name(PARTIAL_PREFIX + dest.name)
    shutil.copyfile(src, partial)
    try:
        if replace:
            os.replace(partial, dest)
        else:
            os.link(partial, dest)  # fails if dest exists: no overwrite even in a race
    finally:
        partial.unlink(missing_ok=True)


def documents(settings: Settings) -> list[dict[str, Any]]:
    """The committed documents: source, title, format, languages, chunks, size, file modification time
    (sorted)."""
    path = settings.resolved_index_dir() / MANIFEST_FILE
    if not path.exists():
        return []
    manifest = Manifest(path)
    try:
        entries, langs = manifest.documents(), manifest.languages()
    finally:
        manifest.close()
    return [{"source": e.source, "title": e.title, "format": e.format, "chunks": len(e.chunk_ids), "size": e.size,
             "languages": _by_share(langs.get(e.source, {})),
             "modified": datetime.fromtimestamp(e.mtime_ns / 1e9, UTC).isoformat(timespec="seconds")}
            for e in sorted(entries.values(), key=lambda e: e.source.lower())]


def _by_share(chars: dict[str, int]) -> list[str]:
    """A document's languages, the one with most text first (sections may differ: a French report with an
    English abstract is ``["fr", "en"]``)."""
    return [lang for lang, _ in sorted(chars.items(), key=lambda kv: -kv[1]) if lang]


class Library:
    """Adds and removes corpus files for the panel; one ingest at a time (the ingest lock)."""

    def __init__(self, settings: Settings, embedder: Any) -> None:
        self.settings = settings
        self.embedder = embedder

    def _ensure_free(self) -> None:
        """Raise :class:`IngestLocked` now, before a file is touched, when an ingest is running."""
        acquire_lock(self.settings.resolved_index_dir()).release()

    def _ingest(self, progress: Any) -> IngestReport:
        return run_ingest(self.settings, embedder=self.embedder, progress=progress)

    def add(self, paths: list[str], replace: bool, progress: Any = None,
            lang: str = "en") -> tuple[list[FileResult], str]:
        """Check, store and ingest uploaded files: a result per file and a one-line summary (in ``lang``)."""
        s = self.settings
        if len(paths) > s.max_upload_files:
            return [], t(lang, "doc_too_many", n=len(paths), limit=s.max_upload_files)
        self._ensure_free()
        corpus = s.resolved_corpus_dir()
        corpus.mkdir(parents=True, exist_ok=True)
        results: list[FileResult] = []
        stored: dict[str, bool] = {}  # stored name -> existed before
        for raw in paths:
            src = Path(raw)
            shown = src.name
            try:
                name = safe_name(src.name)
                shown = name
                if name in stored:
                    raise UploadError(t(lang, "doc_same_name"))
                size = src.stat().st_size
                if size > s.max_upload_bytes:
                    raise UploadError(t(lang, "doc_too_big", size=f"{size:,}", limit=f"{s.max_upload_bytes:,}"))
                problem = content_problem(src, Path(name).suffix.lower(), lang)
                if problem:
                    raise UploadError(problem)
                dest = corpus / name
                existed = dest.exists() or dest.is_symlink()
                if existed and (not replace or dest.is_symlink() or not dest.is_file()):
                    raise UploadError(t(lang, "doc_exists"))
                _store(src, dest, replace=existed)
                stored[name] = existed
            except (UploadError, OSError) as exc:
                reason = str(exc) if isinstance(exc, UploadError) else t(lang, "doc_not_stored", error=exc.strerror)
                results.append(FileResult(shown, "refused", reason))
            finally:
                src.unlink(missing_ok=True)  # Gradio's temporary copy is not needed any more
        if not stored:
            return results, t(lang, "doc_nothing_added")
        try:
            report = self._ingest(progress)
        except IngestLocked:
            results += [FileResult(n, "stored", t(lang, "doc_stored_reason")) for n in stored]
            return results, t(lang, "doc_stored")
        skipped = {d["source"]: skip_reason(d, lang) for d in report.skipped}
        changed = set(report.changed_documents)
        chunks = {d["source"]: d["chunks"] for d in documents(s)}
        for name, existed in stored.items():
            if name in skipped:
                if not existed:  # a new file the loaders refused does not stay in the corpus
                    (corpus / name).unlink(missing_ok=True)
                results.append(FileResult(name, "refused", skipped[name]))
            elif name in changed:
                results.append(FileResult(name, "replaced" if existed else "added", chunks=chunks.get(name)))
            else:
                results.append(FileResult(name, "unchanged", chunks=chunks.get(name)))
        ok = sum(r.status in ("added", "replaced", "unchanged") for r in results)
        return results, t(lang, "doc_indexed", ok=ok, n=len(results), seconds=f"{report.seconds:.1f}")

    def remove(self, source: str, progress: Any = None, lang: str = "en") -> tuple[list[FileResult], str]:
        """Delete the file of an indexed document and ingest (its chunks leave the index)."""
        known = {d["source"] for d in documents(self.settings)}
        if source not in known:
            return [], t(lang, "doc_no_such")
        corpus = self.settings.resolved_corpus_dir()
        path = corpus / source
        if path.is_symlink() or not path.resolve().is_relative_to(corpus):
            return [], t(lang, "doc_outside")
        self._ensure_free()
        path.unlink(missing_ok=True)
        try:
            report = self._ingest(progress)
        except IngestLocked:
            return [FileResult(source, "removed", t(lang, "doc_removed_reason"))], t(lang, "doc_removed_later")
        return [FileResult(source, "removed")], t(lang, "doc_removed", seconds=f"{report.seconds:.1f}")
