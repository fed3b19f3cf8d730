"""Opening corpus files safely: regular files only, inside the corpus folder, never blocking, bounded.

Every file ingest reads goes through :func:`open_regular`: the path is opened read-only with ``O_NONBLOCK``
(a FIFO swapped in after the scan cannot block the ingest), then checked with ``fstat`` on the open
descriptor (regular file only, no hard link), and the path the descriptor really points to must lie
inside the corpus folder (a symlink, or a folder swapped for a symlink, cannot leak a file from outside).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.settings import Settings

READ_BLOCK = 1 << 20  # bytes per read() call when reading a file whole
HTML_SCAN_BLOCK = 1 << 16  # characters fed at a time to the HTML pre-scan (it stops at the first excess)
# elements that never hold children (html.parser / BeautifulSoup do not nest anything inside them)
VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class LoadError(Exception):
    """A file that cannot be ingested; the message is the reason (English), and ``code`` with ``params`` say it
    in any language (:mod:`ingest.reasons`; built with :meth:`of`)."""

    def __init__(self, message: str, code: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})

    @classmethod
    def of(cls, code: str, **params: Any) -> LoadError:
        """The error of reason ``code`` with ``params``, its English text as the message."""
        from ingest import reasons

        return cls(reasons.text(code, **params), code, params)


class FileVanished(LoadError):
    """The file was deleted (or renamed) between the scan and its reading."""


class OutsideCorpus(LoadError):
    """A link (symbolic or hard) that may show a file from outside the corpus: never indexed, and a version
    indexed before is removed rather than kept."""


def _default(name: str):
    from ingest.settings import Settings

    return Settings.model_fields[name].default


@dataclass(frozen=True)
class LoadLimits:
    """What one file may cost (from :class:`ingest.settings.Settings`); ``corpus`` None: no boundary check."""

    max_bytes: int
    max_chars: int
    max_pdf_pages: int
    max_html_depth: int
    max_html_elements: int
    corpus: Path | None = None
    links_inside: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> LoadLimits:
        return cls(settings.max_file_bytes, settings.max_file_chars, settings.max_pdf_pages,
                   settings.max_html_depth, settings.max_html_elements, settings.resolved_corpus_dir(),
                   settings.links_inside_corpus)

    @classmethod
    def coerce(cls, limits: LoadLimits | int | None) -> LoadLimits:
        """``limits`` as given, or the default limits with ``max_bytes`` (an int, the older API)."""
        if isinstance(limits, LoadLimits):
            return limits
        names = ("max_file_chars", "max_pdf_pages", "max_html_depth", "max_html_elements")
        return cls(limits if limits is not None else _default("max_file_bytes"), *(_default(n) for n in names))


def _inside(path: str, corpus: Path) -> bool:
    root = str(corpus)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _fd_path(fd: int, fallback: Path) -> str:
    """The real path of an open descriptor (Linux: /proc/self/fd), else the resolved path."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(fallback)


def open_regular(path: Path, limits: LoadLimits) -> tuple[int, os.stat_result]:
    """Open ``path`` read-only and non-blocking; raise :class:`LoadError` unless it is a regular file that may
    be indexed (:class:`OutsideCorpus` for links). The caller closes the descriptor."""
    corpus = limits.corpus
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        lst = os.lstat(path)
    except FileNotFoundError as exc:
        raise FileVanished.of("vanished_read") from exc
    except OSError as exc:
        raise LoadError.of("cannot_read", error=str(exc.strerror or exc)) from exc
    if stat.S_ISLNK(lst.st_mode) and corpus is not None:
        target = os.path.realpath(path)
        if not _inside(target, corpus):
            raise OutsideCorpus.of("link_outside")
        if not limits.links_inside:
            raise OutsideCorpus.of("symlink")
    if corpus is not None and not limits.links_inside:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise FileVanished.of("vanished_read") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutsideCorpus.of("symlink_swapped") from exc
        if exc.errno == errno.ENXIO:  # a socket
            raise LoadError.of("not_regular") from exc
        raise LoadError.of("cannot_read", error=str(exc.strerror or exc)) from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise LoadError.of("cannot_read", error="Is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise LoadError.of("not_regular")
        if corpus is not None:
            if st.st_nlink > 1 and not limits.links_inside:
                raise OutsideCorpus.of("hard_link", links=st.st_nlink)
            if not _inside(_fd_path(fd, path), corpus):
                raise OutsideCorpus.of("path_swapped")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_fd(fd: int, max_bytes: int) -> bytes:
    """The whole content of an open file, refusing more than ``max_bytes`` (it may grow while read)."""
    parts, total = [], 0
    while True:
        block = os.read(fd, READ_BLOCK)
        if not block:
            return b"".join(parts)
        total += len(block)
        if total > max_bytes:
            raise LoadError.of("too_large_read", limit=max_bytes)
        parts.append(block)


def read_regular(path: Path, limits: LoadLimits) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`), size-checked before and while it is read."""
    fd, st = open_regular(path, limits)
    try:
        if st.st_size == 0:
            raise LoadError.of("empty")
        if st.st_size > limits.max_bytes:
            raise LoadError.of("too_large", size=st.st_size, limit=limits.max_bytes)
        try:
            return read_fd(fd, limits.max_bytes)
        except OSError as exc:
            raise LoadError.of("cannot_read", error=str(exc.strerror or exc)) from exc
    finally:
        os.close(fd)


class _TooDeep(Exception):
    def __init__(self, code: str, limit: int) -> None:
        super().__init__(code, limit)
        self.code, self.limit = code, limit


class _DepthScan(HTMLParser):
    """Element nesting as BeautifulSoup's ``html.parser`` builds it (the same tokenizer): an end tag closes the
    innermost open element of its name and those inside it; void elements hold nothing."""

    def __init__(self, max_depth: int, max_elements: int) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.elements = 0
        self.max_depth, self.max_elements = max_depth, max_elements

    def handle_starttag(self, tag, attrs) -> None:
        self.elements += 1
        if self.elements > self.max_elements:
            raise _TooDeep("html_too_many_elements", self.max_elements)
        if tag in VOID_ELEMENTS:
            return
        self.stack.append(tag)
        if len(self.stack) > self.max_depth:
            raise _TooDeep("html_too_deep", self.max_depth)

    def handle_startendtag(self, tag, attrs) -> None:
        self.elements += 1

    def handle_endtag(self, tag) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == tag:
                del self.stack[i:]
                return


def check_html_shape(html: str, max_depth: int, max_elements: int) -> None:
    """Refuse HTML nested deeper than ``max_depth`` (or with more than ``max_elements`` elements) before
    BeautifulSoup builds a tree of it: the scan keeps only the stack of open elements and stops at the first
    excess."""
    scan = _DepthScan(max_depth, max_elements)
    try:
        for i in range(0, len(html), HTML_SCAN_BLOCK):
            scan.feed(html[i : i + HTML_SCAN_BLOCK])
        scan.close()
    except _TooDeep as exc:
        raise LoadError.of(exc.code, limit=exc.limit) from None
    except Exception:  # noqa: BLE001 - a tokenizer failure is left to the real parse, which reports it
        return
