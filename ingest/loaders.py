"""One loader per file format: a file becomes a :class:`LoadedDocument` (text + known headings + pages).

Offsets everywhere refer to ``LoadedDocument.text``. For ``.txt`` and ``.md`` that is the file's own text
(decoded as strict UTF-8, newlines untouched), so ``file_text[start:end]`` is a chunk. For ``.html`` it is
the visible text extracted from the page, for ``.pdf`` the extracted page texts joined by blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


class LoadError(Exception):
    """A file that cannot be ingested; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Heading:
    """A heading known from the format (Markdown ``#``, HTML ``<h1>``..): its span in the text and level."""

    start: int
    end: int
    level: int
    text: str


@dataclass
class LoadedDocument:
    """A document as text, ready for chunking."""

    source: str  # path relative to the corpus folder, '/'-separated
    title: str
    text: str
    format: str  # txt, md, html, pdf
    headings: list[Heading] | None = None  # None: detect headings from the text's shape
    pages: list[tuple[int, int]] = field(default_factory=list)  # (start offset, page number)

    def page_at(self, offset: int) -> int | None:
        """Page number (1-based) of a character offset, for PDFs."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


def _title_from_stem(path: Path) -> str:
    stem = re.sub(r"[-_]+", " ", path.stem).strip()
    return stem[:1].upper() + stem[1:] if stem else path.name


def _read_utf8(path: Path, max_bytes: int) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise LoadError("file disappeared before it could be read") from exc
    if size == 0:
        raise LoadError("empty file")
    if size > max_bytes:
        raise LoadError(f"file too large ({size:,} bytes > limit {max_bytes:,}; UCA_MAX_FILE_BYTES)")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise LoadError("file disappeared before it could be read") from exc
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise LoadError("binary content (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 (byte {exc.start}: {exc.reason})") from exc
    if not text.strip():
        raise LoadError("empty file (whitespace only)")
    return text


def load_text(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """Plain text (scraped pages): headings are detected later from line shapes."""
    text = _read_utf8(path, max_bytes)
    return LoadedDocument(source=source, title=_title_from_stem(path), text=text, format="txt")


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_SETEXT = re.compile(r"^(?P<text>[^\n]*\S[^\n]*)\n {0,3}(?P<rule>=+|-+)[ \t]*$", re.M)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)


def load_markdown(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """Markdown: the raw file text, with ATX and setext headings (outside code fences)."""
    text = _read_utf8(path, max_bytes)
    fenced: list[tuple[int, int]] = []
    marks = [m.start() for m in _FENCE.finditer(text)]
    for a, b in zip(marks[::2], marks[1::2] + [len(text)] * (len(marks) % 2), strict=False):
        fenced.append((a, b))

    def in_fence(pos: int) -> bool:
        return any(a <= pos < b for a, b in fenced)

    headings = [
        Heading(m.start(), m.end(), len(m.group(1)), m.group(2).strip())
        for m in _ATX.finditer(text)
        if not in_fence(m.start())
    ]
    for m in _SETEXT.finditer(text):
        line = m.group("text").strip()
        if in_fence(m.start()) or line.startswith(("#", "-", "*", ">", "|")):
            continue
        level = 1 if m.group("rule").startswith("=") else 2
        headings.append(Heading(m.start(), m.end(), level, line))
    headings.sort(key=lambda h: h.start)
    title = next((h.text for h in headings if h.level == 1), _title_from_stem(path))
    return LoadedDocument(source=source, title=title, text=text, format="md", headings=headings)


_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "li", "ul", "ol",
    "table", "tr", "blockquote", "pre", "br", "hr", "dd", "dt", "dl", "figure", "figcaption", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
}
_HIDDEN_TAGS = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed",
                "svg", "canvas", "meta", "link", "button", "select", "input", "textarea"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])", re.I)


def load_html(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """HTML: visible text and headings only; scripts, styles and hidden elements are dropped."""
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    raw = _read_utf8(path, max_bytes)
    try:
        soup = BeautifulSoup(raw, "html.parser")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a skip reason
        raise LoadError(f"HTML parse error: {exc}") from exc
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""

    parts: list[str] = []
    headings: list[Heading] = []
    length = 0
    line: list[str] = []

    def flush() -> None:
        nonlocal length
        words = " ".join(" ".join(line).split())
        line.clear()
        if not words:
            return
        if parts:
            parts.append("\n\n")
            length += 2
        parts.append(words)
        length += len(words)

    def hidden(tag: Tag) -> bool:
        if tag.name in _HIDDEN_TAGS:
            return True
        attrs = tag.attrs or {}
        if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
            return True
        return bool(_HIDDEN_STYLE.search(str(attrs.get("style", ""))))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                line.append(str(child))
                continue
            if not isinstance(child, Tag) or hidden(child):
                continue
            name = child.name or ""
            if re.fullmatch(r"h[1-6]", name):
                flush()
                text = " ".join(child.get_text(" ").split())
                if text:
                    line.append(text)
                    flush()
                    headings.append(Heading(length - len(text), length, int(name[1]), text))
                continue
            block = name in _BLOCK_TAGS
            if block:
                flush()
            walk(child)
            if block:
                flush()

    walk(soup.body or soup)
    flush()
    text = "".join(parts)
    if not text.strip():
        raise LoadError("no visible text in HTML")
    if not title:
        title = next((h.text for h in headings if h.level == 1), _title_from_stem(path))
    return LoadedDocument(source=source, title=title, text=text, format="html", headings=headings)


def load_pdf(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """PDF: text of each page (pypdf), joined by blank lines; page starts kept for metadata."""
    from pypdf import PdfReader

    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise LoadError("file disappeared before it could be read") from exc
    if size == 0:
        raise LoadError("empty file")
    if size > max_bytes:
        raise LoadError(f"file too large ({size:,} bytes > limit {max_bytes:,}; UCA_MAX_FILE_BYTES)")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise LoadError("encrypted PDF")
        page_texts = [(page.extract_text() or "") for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        raise LoadError(f"PDF parse error: {type(exc).__name__}: {exc}") from exc
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    length = 0
    for number, page_text in enumerate(page_texts, start=1):
        page_text = page_text.replace("\x00", "").strip()
        if not page_text:
            continue
        if parts:
            parts.append("\n\n")
            length += 2
        pages.append((length, number))
        parts.append(page_text)
        length += len(page_text)
    text = "".join(parts)
    if not text.strip():
        raise LoadError("PDF has no extractable text (scanned image?)")
    title = str(meta_title).strip() or _title_from_stem(path)
    return LoadedDocument(source=source, title=title, text=text, format="pdf", pages=pages)


LOADERS: dict[str, Callable[[Path, str, int], LoadedDocument]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def load_document(path: Path, source: str, max_bytes: int = 50_000_000) -> LoadedDocument:
    """Load one file with the loader of its format; raises :class:`LoadError` with the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported file type '{path.suffix or path.name}'")
    return loader(path, source, max_bytes)
