"""The document viewer (issue 13, item 4): a cited passage in its whole document, rendered (headings as
headings, PDF pages marked) and escaped like the sources panel, the passage and its supporting sentence
highlighted, the page scrolled to the passage (``#uca-view-target``).

Only an indexed document is opened (its name must be a committed source of the manifest), through the same
loader, limits and time limit as ingest (a worker process stopped after ``UCA_MAX_FILE_SECONDS``: a file
swapped for a hostile one after its ingest cannot hold the app), inside the corpus folder. A document longer
than ``UCA_VIEWER_CHARS`` is shown around the passage.
"""

from __future__ import annotations

import functools
import html
import logging
from pathlib import Path
from typing import Any

from ingest.files import LoadError, LoadLimits
from ingest.isolation import IsolatedLoader, load_only
from ingest.loaders import LoadedDocument
from ingest.settings import Settings
from ui import citations, documents, render
from ui.i18n import skip_reason, t

log = logging.getLogger(__name__)

TARGET_ID = "uca-view-target"
PASSAGE_CLASS = "uca-view-passage"
PAGE_CACHE = 32  # PDFs whose page offsets are kept (per file version)


def _note(lang: str, key: str, **values: Any) -> str:
    return f"<p class=\"uca-view-note\">{html.escape(t(lang, key, **values))}</p>"


def _empty(lang: str, body: str) -> str:
    return f"<div class=\"uca-viewer uca-empty\">{body}</div>"


def empty_html(lang: str) -> str:
    return _empty(lang, _note(lang, "viewer_empty"))


def _locate(doc: LoadedDocument, c: dict[str, Any]) -> tuple[int, int] | None:
    """Offsets of the cited passage in the document as loaded now: where the index put it when the text there is
    still the passage, else where the passage text is found; None when it is not found."""
    text, passage = doc.text, str(c.get("text") or "")
    start, end = c.get("start"), c.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if text[start:end] == passage or (passage and text[start:end].strip() == passage.strip()):
            return start, end
    found = text.find(passage) if passage else -1
    return (found, found + len(passage)) if found >= 0 else None


def _headings(doc: LoadedDocument, lo: int, hi: int) -> list[tuple[int, int, int, str]]:
    """Heading spans of the document inside [lo, hi), relative to lo."""
    if doc.headings is not None:
        spans = [(h.start, h.end, h.level, h.text) for h in doc.headings]
    elif doc.format == "md":
        spans = citations.heading_lines(doc.text)
    else:
        spans = []
    return [(a - lo, b - lo, level, text) for a, b, level, text in spans if lo <= a and b <= hi]


def load_bounded(settings: Settings, path: Path, source: str, limits: LoadLimits | None = None) -> LoadedDocument:
    """``path`` loaded as at ingest: its loader and limits, in a worker stopped after ``UCA_MAX_FILE_SECONDS``;
    raises :class:`LoadError` with the reason (a timeout is one)."""
    loader = IsolatedLoader(settings, load_only)  # a module global: a test may patch it
    try:
        return loader.load(path, source, limits or LoadLimits.from_settings(settings))
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a timeout or a dead worker: the reason is shown, the app goes on
        raise loader.error(exc) from exc
    finally:
        loader.close()


@functools.lru_cache(maxsize=PAGE_CACHE)
def _pages(path: str, size: int, mtime_ns: int, limits: LoadLimits, source: str,
           seconds: float) -> tuple[tuple[int, int], ...]:
    """(offset, page number) of a PDF's pages, loaded once per version of the file."""
    timed = Settings.model_construct(max_file_seconds=seconds)  # the worker's time limit (an lru_cache key)
    return tuple(load_bounded(timed, Path(path), source, limits).pages)


def sentence_page(settings: Settings, c: dict[str, Any]) -> int | None:
    """The page of a PDF citation's supporting sentence (the index records the page its passage starts on; a
    passage can run over the next page). ``c["page"]`` when that cannot be told."""
    page = c.get("page")
    start, s0 = c.get("start"), c.get("sentence_start")
    if page is None or not isinstance(start, int) or not isinstance(s0, int):
        return page
    path = settings.resolved_corpus_dir() / str(c.get("source") or "")
    try:
        st = path.stat()
        pages = _pages(str(path), st.st_size, st.st_mtime_ns, LoadLimits.from_settings(settings),
                       str(c.get("source")), settings.max_file_seconds)
    except Exception as exc:  # gone or unreadable: the passage's page
        log.warning("page of %s: %s", c.get("source"), exc)
        return page
    found = page
    for offset, number in pages:
        if offset > start + s0:
            break
        found = number
    return found


def document_html(settings: Settings, c: dict[str, Any] | None, lang: str, key: str = "") -> str:
    """The viewer's content for citation ``c`` (a dict of ``Answer.to_dict()["citations"]``); ``key`` names the
    card it was opened from (``turn:n``: the page script scrolls to the passage once that key is shown)."""
    if not c:
        return empty_html(lang)
    source = str(c.get("source") or "")
    try:
        indexed = {d["source"] for d in documents.documents(settings)}
    except Exception as exc:  # no index
        return _empty(lang, _note(lang, "viewer_failed", message=render.without_paths(str(exc))))
    if source not in indexed:
        return _empty(lang, _note(lang, "viewer_missing"))
    corpus = settings.resolved_corpus_dir()
    try:
        doc = load_bounded(settings, corpus / source, source)
    except Exception as exc:  # gone, changed into something unreadable, over a limit
        log.warning("viewer: %s: %s", source, exc)
        reason = str(exc)
        if isinstance(exc, LoadError):  # a coded reason: said in the reader's language, as ingest's skip reasons
            reason = skip_reason({"reason": reason, "code": exc.code, "params": exc.params}, lang)
        return _empty(lang, _note(lang, "viewer_failed", message=render.without_paths(reason)))
    span = _locate(doc, c)
    notes = ""
    if span is None:
        notes = _note(lang, "viewer_not_found")
        lo, hi, marks, inserts = 0, min(len(doc.text), settings.viewer_chars), [], {}
    else:
        start, end = span
        if (start, end) != (c.get("start"), c.get("end")):
            notes = _note(lang, "viewer_changed")
        half = max(0, (settings.viewer_chars - (end - start)) // 2)
        lo, hi = max(0, start - half), min(len(doc.text), end + half)
        marks = [(start - lo, end - lo, PASSAGE_CLASS)]
        s0, s1 = c.get("sentence_start"), c.get("sentence_end")
        if isinstance(s0, int) and isinstance(s1, int) and 0 <= s0 < s1 <= end - start:
            marks.append((start - lo + s0, start - lo + s1, "uca-support"))
        inserts = {start - lo: f"<span id=\"{TARGET_ID}\"></span>"}
    for offset, number in doc.pages:
        if lo <= offset < hi and offset - lo not in inserts:
            inserts[offset - lo] = (f"<span class=\"uca-page\">{html.escape(t(lang, 'page_n', page=number))}"
                                    "</span>\n")
    body = citations.annotated_html(doc.text[lo:hi], marks, _headings(doc, lo, hi), inserts)
    title = html.escape(render.visible(doc.title or source))
    name = html.escape(render.visible(source))
    cut_before = "<p class=\"uca-view-cut\">…</p>" if lo > 0 else ""
    cut_after = "<p class=\"uca-view-cut\">…</p>" if hi < len(doc.text) else ""
    return (f"<div class=\"uca-viewer\" data-view=\"{html.escape(key)}\"><header><div class=\"uca-doc\">{title} "
            f"<span class=\"uca-file\">{name}</span></div></header>{notes}{cut_before}"
            f"<div class=\"uca-view-text\">{body}</div>{cut_after}</div>")
