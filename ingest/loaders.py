"""One loader per file format: a file becomes a :class:`LoadedDocument` (text + known headings + pages).

Offsets everywhere refer to ``LoadedDocument.text``. For ``.txt`` and ``.md`` that is the file's own text
(decoded as strict UTF-8, newlines untouched), so ``file_text[start:end]`` is a chunk. For ``.html`` it is
the visible text extracted from the page, for ``.pdf`` the extracted page texts joined by blank lines.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.files import LoadError, LoadLimits, OutsideCorpus, check_html_shape, read_regular

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
__all__ = ["LoadError", "LoadLimits", "OutsideCorpus", "LoadedDocument", "Heading", "load_document"]


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
    notes: list[str] = field(default_factory=list)  # what the loader dropped or flagged (for the ingest report)

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


def _too_many_chars(limits: LoadLimits) -> LoadError:
    return LoadError.of("too_many_chars", limit=limits.max_chars)


def _read_utf8(path: Path, limits: LoadLimits) -> str:
    data = read_regular(path, limits)
    if b"\x00" in data[:8192]:
        raise LoadError.of("binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError.of("not_utf8", offset=exc.start, error=exc.reason) from exc
    if not text.strip():
        raise LoadError.of("empty_text")
    if len(text) > limits.max_chars:
        raise _too_many_chars(limits)
    return text


# Unicode tag characters ("ASCII smuggling") and bidi overrides/isolates: text a reader does not see.
_INVISIBLE = re.compile("[\U000e0000-\U000e007f\u202a-\u202e\u2066-\u2069]")


def _invisible_notes(text: str) -> list[str]:
    """A note when plain text or Markdown holds invisible characters (kept: offsets must stay exact)."""
    n = len(_INVISIBLE.findall(text))
    if not n:
        return []
    return [f"contains {n} invisible Unicode tag/bidi-control character(s); kept verbatim, treat as untrusted"]


def load_text(path: Path, source: str, limits: LoadLimits) -> LoadedDocument:
    """Plain text (scraped pages): headings are detected later from line shapes."""
    text = _read_utf8(path, limits)
    return LoadedDocument(source=source, title=_title_from_stem(path), text=text, format="txt",
                          notes=_invisible_notes(text))


# Markdown headings are found line by line (a regular expression spanning lines, or one with a lazy group
# before a trailing class, backtracks quadratically on one long line: 1 MB never finished).
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})[ \t]+")  # matched at a line start; the rest of the line is the heading
_SETEXT_RULE = re.compile(r" {0,3}(=+|-+)[ \t]*")  # a whole line under a text line
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, split at '\n' only (as ``re.M``'s ^ and $), newline excluded."""
    out, pos, n = [], 0, len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        out.append((pos, end))
        if nl < 0:
            break
        pos = nl + 1
    return out


def _atx_text(rest: str) -> str:
    """The heading text of an ATX line after its opening hashes: trailing spaces and hashes dropped, but at
    least one character kept (as ``(.+?)[ \t#]*$``)."""
    body = rest.rstrip(" \t#")
    return body if body else rest[:1]


def load_markdown(path: Path, source: str, limits: LoadLimits) -> LoadedDocument:
    """Markdown: the raw file text, with ATX and setext headings (outside code fences)."""
    text = _read_utf8(path, limits)
    marks = [m.start() for m in _FENCE.finditer(text)]
    fences = list(zip(marks[::2], marks[1::2] + [len(text)] * (len(marks) % 2), strict=False))
    fence_starts = [a for a, _ in fences]

    def in_fence(pos: int) -> bool:
        i = bisect.bisect_right(fence_starts, pos) - 1
        return i >= 0 and pos < fences[i][1]

    lines = _lines(text)
    headings = []
    for a, b in lines:
        m = _ATX_OPEN.match(text, a, b)
        if m is None or in_fence(a):
            continue
        if m.end() < b:
            headings.append(Heading(a, b, len(m.group(1)), _atx_text(text[m.end() : b]).strip()))
        elif m.end() - m.end(1) >= 2:  # "#" and blanks only: the last blank is the (empty) heading text
            headings.append(Heading(a, b, len(m.group(1)), ""))
    i = 0
    while i + 1 < len(lines):
        (a, b), (ra, rb) = lines[i], lines[i + 1]
        rule = _SETEXT_RULE.fullmatch(text, ra, rb)
        if rule is None or not text[a:b].strip():
            i += 1
            continue
        line = text[a:b].strip()
        if not in_fence(a) and not line.startswith(("#", "-", "*", ">", "|")):
            headings.append(Heading(a, rb, 1 if rule.group(1).startswith("=") else 2, line))
        i += 2  # the rule line is part of this match (as with finditer, matches do not overlap)
    headings.sort(key=lambda h: h.start)
    title = next((h.text for h in headings if h.level == 1), _title_from_stem(path))
    return LoadedDocument(source=source, title=title, text=text, format="md", headings=headings,
                          notes=_invisible_notes(text))


_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "li", "ul", "ol",
    "table", "tr", "blockquote", "pre", "br", "hr", "dd", "dt", "dl", "figure", "figcaption", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
}
_HIDDEN_TAGS = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed",
                "svg", "canvas", "meta", "link", "button", "select", "input", "textarea"}
_REPORTED_TAGS = {"noscript", "template", "iframe", "object", "embed"}  # named in the report when they hold text
_TINY = re.compile(r"(-?[\d.]+)(px|pt|em|rem|%|vw|vh)?\s*(?:!important)?$")  # a length, e.g. 0, 1px, .1em
_TINY_LIMIT = {"px": 2.0, "pt": 1.5, "em": 0.15, "rem": 0.15, "%": 15.0, "vw": 0.1, "vh": 0.1, None: 0.0}
_OFFSCREEN = re.compile(r"-\d{3,}(?:\.\d+)?(?:px|pt|em|rem|vw|vh)")
# (css property, test of its value, reason for the report): any match hides the element and its content
_HIDING_DECLS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("display", lambda v: v.startswith("none"), "display:none"),
    ("visibility", lambda v: v.startswith(("hidden", "collapse")), "visibility:hidden"),
    ("font-size", lambda v: _tiny(v), "font-size:0 (or tiny)"),
    ("opacity", lambda v: _tiny(v, opacity=True), "opacity:0"),
    ("transform", lambda v: _scaled_to_zero(v), "transform:scale(0)"),
    ("clip-path", lambda v: bool(re.match(r"inset\(\s*(?:50|100)%", v)), "clip-path"),
    ("text-indent", lambda v: bool(_OFFSCREEN.match(v)), "off-screen position"),
    ("left", lambda v: bool(_OFFSCREEN.match(v)), "off-screen position"),
    ("top", lambda v: bool(_OFFSCREEN.match(v)), "off-screen position"),
)


def _scaled_to_zero(value: str) -> bool:
    """True for a CSS transform that scales to 0 (``scale(0)``, ``scaleX(0.0, 1)``...)."""
    for m in _SCALE.finditer(value):
        try:
            if float(m.group(1)) == 0:
                return True
        except ValueError:
            continue
    return False


def _tiny(value: str, opacity: bool = False) -> bool:
    """True for a CSS length (or opacity) too small to show text: 0, 1px, 0.1em, opacity 0.05."""
    m = _TINY.match(value.strip())
    if not m:
        return False
    try:
        number = float(m.group(1))
    except ValueError:
        return False
    if opacity:
        return number <= (5.0 if m.group(2) == "%" else 0.05)
    return number <= _TINY_LIMIT.get(m.group(2), 0.0)


_BRACE = re.compile(r"[{}]")
_SCALE = re.compile(r"scale[xy]?\(\s*(-?[0-9.]{1,32})\s*[,)]")  # bounded number: no backtracking on long runs
_SIMPLE_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?(?:([.#])([\w-]+))?$", re.I)
_NAMED_COLORS = {
    "white": "#ffffff", "snow": "#fffafa", "ghostwhite": "#f8f8ff", "whitesmoke": "#f5f5f5",
    "floralwhite": "#fffaf0", "ivory": "#fffff0", "azure": "#f0ffff", "mintcream": "#f5fffa",
    "honeydew": "#f0fff0", "seashell": "#fff5ee", "linen": "#faf0e6", "aliceblue": "#f0f8ff",
    "black": "#000000", "red": "#ff0000", "green": "#008000", "blue": "#0000ff", "yellow": "#ffff00",
    "gray": "#808080", "grey": "#808080", "silver": "#c0c0c0", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3",
    "gainsboro": "#dcdcdc", "navy": "#000080", "maroon": "#800000", "purple": "#800080", "orange": "#ffa500",
}
_COLOR_TOKEN = re.compile(r"#[0-9a-f]{3,8}\b|rgba?\([^)]{0,64}\)|hsla?\([^)]{0,64}\)|\btransparent\b|\b[a-z]{3,20}\b",
                          re.I)  # bounded (...) : an unclosed "rgb(" repeated must not rescan the rest each time
RGBA = tuple[float, float, float, float]
_WHITE: RGBA = (255.0, 255.0, 255.0, 1.0)
_BLACK: RGBA = (0.0, 0.0, 0.0, 1.0)
_MIN_CONTRAST = 1.25  # text less distinct from its background than this is treated as hidden


def _parse_color(value: str) -> RGBA | None:
    """A CSS colour (hex, rgb/rgba, hsl/hsla, a common name, transparent) as RGBA; None if unknown."""
    v = value.strip().lower().replace("!important", "").strip()
    v = _NAMED_COLORS.get(v, v)
    if v == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if v.startswith("#") and len(v) in (4, 5, 7, 9) and re.fullmatch(r"#[0-9a-f]+", v):
        h = v[1:]
        if len(h) <= 4:
            h = "".join(c * 2 for c in h)
        alpha = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
        return (float(int(h[0:2], 16)), float(int(h[2:4], 16)), float(int(h[4:6], 16)), alpha)
    m = re.fullmatch(r"(rgba?|hsla?)\((.*)\)", v)
    if not m:
        return None
    nums = re.findall(r"-?[\d.]+%?", m.group(2))
    if len(nums) < 3:
        return None

    def num(s: str, scale: float) -> float:
        try:
            return float(s[:-1]) * scale / 100 if s.endswith("%") else float(s)
        except ValueError:
            return 0.0

    alpha = min(1.0, max(0.0, num(nums[3], 1.0))) if len(nums) > 3 else 1.0
    if m.group(1).startswith("rgb"):
        r, g, b = (min(255.0, max(0.0, num(s, 255.0))) for s in nums[:3])
        return (r, g, b, alpha)
    import colorsys

    hue, sat, light = num(nums[0], 360.0) % 360 / 360, num(nums[1], 1.0), num(nums[2], 1.0)
    r, g, b = colorsys.hls_to_rgb(hue, min(1.0, max(0.0, light)), min(1.0, max(0.0, sat)))
    return (r * 255, g * 255, b * 255, alpha)


def _over(top: RGBA, below: RGBA) -> RGBA:
    """``top`` composited over an opaque ``below``."""
    a = top[3]
    return (top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1.0)


def _contrast(fg: RGBA, bg: RGBA) -> float:
    """WCAG contrast ratio of text colour ``fg`` (alpha applied) on opaque ``bg``: 1 (invisible) to 21."""

    def lum(c: RGBA) -> float:
        ch = [x / 255 for x in c[:3]]
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((lum(_over(fg, bg)), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _declarations(style: str) -> dict[str, str]:
    out = {}
    for decl in style.split(";"):
        prop, sep, value = decl.partition(":")
        if sep:
            out[prop.strip().lower()] = value.strip().lower()
    return out


def _strip_css_comments(css: str) -> str:
    """CSS without ``/* ... */`` comments (an unclosed one runs to the end), in linear time."""
    out, pos = [], 0
    while (start := css.find("/*", pos)) >= 0:
        out.append(css[pos:start])
        out.append(" ")
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(out)
        pos = end + 2
    out.append(css[pos:])
    return "".join(out)


def _css_rules(css: str) -> list[tuple[str, str]]:
    r"""``(selectors, body)`` of each ``selectors { body }`` with no brace inside either, in order: what
    ``re.findall(r"([^{}]+)\{([^{}]*)\}")`` gives, in linear time (that pattern rescans a long brace-free run
    from every position)."""
    out: list[tuple[str, str]] = []
    prev_brace, last, last_char = -1, -1, ""  # the brace before the previous one, the previous one and its kind
    for m in _BRACE.finditer(css):
        pos, char = m.start(), m.group()
        if char == "}" and last_char == "{":
            sel_start = prev_brace + 1
            if last > sel_start:
                out.append((css[sel_start:last], css[last + 1 : pos]))
        prev_brace = last
        last, last_char = pos, char
    return out


def _stylesheet(css: str) -> list[tuple[str | None, str | None, str | None, dict[str, str]]]:
    """Rules with simple selectors (``tag``, ``.class``, ``#id``, ``tag.class``, ``tag#id``) from CSS text;
    rules inside @media and the like, and compound selectors, are not applied."""
    rules = []
    for selectors, body in _css_rules(_strip_css_comments(css)):
        decls = _declarations(body)
        for sel in selectors.split(","):
            m = _SIMPLE_SELECTOR.match(sel.strip())
            if m and (m.group(1) or m.group(3)):
                tag = m.group(1).lower() if m.group(1) else None
                cls = m.group(3) if m.group(2) == "." else None
                ident = m.group(3) if m.group(2) == "#" else None
                rules.append((tag, cls, ident, decls))
    return rules


def load_html(path: Path, source: str, limits: LoadLimits) -> LoadedDocument:
    """HTML: visible text and headings only. Scripts, styles, and text a browser would not show (hidden by
    attribute or CSS, or coloured like its background) are dropped, and counted in ``notes``."""
    from collections import Counter

    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import PreformattedString

    raw = _read_utf8(path, limits)
    check_html_shape(raw, limits.max_html_depth, limits.max_html_elements)  # before a tree is built
    try:
        soup = BeautifulSoup(raw, "html.parser")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a skip reason
        raise LoadError.of("html_parse_error", error=str(exc)) from exc
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    rules: dict[tuple[str | None, str | None, str | None], list[tuple[int, dict[str, str]]]] = {}
    for order, (r_tag, r_cls, r_id, r_decls) in enumerate(
            _stylesheet(" ".join(s.get_text() for s in soup.find_all("style")))):
        rules.setdefault((r_tag, r_cls, r_id), []).append((order, r_decls))

    parts: list[str] = []
    headings: list[Heading] = []
    length = 0
    line: list[str] = []
    removed: Counter[str] = Counter()  # reason -> elements (or text runs) dropped
    pending = 0  # characters in ``line``, counted as text nodes arrive (the limit is checked while extracting)

    def flush() -> str:
        nonlocal length, pending
        pending = 0
        words = " ".join(" ".join(line).split())
        line.clear()
        if not words:
            return ""
        if parts:
            parts.append("\n\n")
            length += 2
        parts.append(words)
        length += len(words)
        return words

    def style_of(tag: Tag) -> dict[str, str]:
        """Declarations of the stylesheet rules matching ``tag`` (in stylesheet order), then its style
        attribute. Rules are looked up by key, not scanned: a large stylesheet times many elements stays cheap."""
        decls: dict[str, str] = {}
        if rules:
            classes = [c for c in dict.fromkeys(tag.get("class") or []) if isinstance(c, str)]
            ident = tag.get("id")
            ident = ident if isinstance(ident, str) else None
            keys = [(t, None, None) for t in (None, tag.name)]
            keys += [(t, c, None) for t in (None, tag.name) for c in classes]
            keys += [(t, None, ident) for t in (None, tag.name)] if ident is not None else []
            matched = sorted(hit for k in keys for hit in rules.get(k, ()))
            for _, r_decls in matched:
                decls.update(r_decls)
        decls.update(_declarations(str(tag.get("style") or "")))
        return decls

    def hiding_reason(tag: Tag, decls: dict[str, str]) -> str | None:
        if tag.name in _HIDDEN_TAGS:
            return f"<{tag.name}> element" if tag.name in _REPORTED_TAGS else ""
        if tag.has_attr("hidden"):
            return "hidden attribute"
        if str(tag.get("aria-hidden", "")).lower() == "true":
            return "aria-hidden"
        for prop, hides, reason in _HIDING_DECLS:
            if prop in decls and hides(decls[prop]):
                return reason
        return None

    def colours(tag: Tag, decls: dict[str, str], fg: RGBA, bg: RGBA | None) -> tuple[RGBA, RGBA | None]:
        """Text and background colour inside ``tag`` (background None: unknown, e.g. an image)."""
        color = decls.get("color") or (str(tag.get("color")) if tag.name == "font" else None)
        fg = (_parse_color(color) if color else None) or fg
        back = decls.get("background-color") or decls.get("background") or tag.get("bgcolor")
        if back:
            back = str(back)
            parsed = next((c for t in _COLOR_TOKEN.findall(back) if (c := _parse_color(t)) is not None), None)
            if parsed is not None and parsed[3] > 0:
                bg = _over(parsed, bg) if bg is not None else (parsed if parsed[3] == 1 else None)
            elif "url(" in back or "gradient" in back:
                bg = None
        if "url(" in decls.get("background-image", "") or "gradient" in decls.get("background-image", ""):
            bg = None
        return fg, bg

    def walk(node: Tag, fg: RGBA, bg: RGBA | None, depth: int = 0) -> None:
        nonlocal pending
        if depth > limits.max_html_depth:
            raise LoadError.of("html_too_deep", limit=limits.max_html_depth)
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, processing instructions
                continue
            if isinstance(child, NavigableString):
                text = _INVISIBLE.sub("", str(child))
                if text != str(child):
                    removed["invisible Unicode tag/bidi-control characters"] += 1
                if text.strip() and bg is not None and _contrast(fg, bg) < _MIN_CONTRAST:
                    removed["text coloured like its background"] += 1
                    continue
                pending += len(text)
                if length + pending > limits.max_chars:
                    raise _too_many_chars(limits)
                line.append(text)
                continue
            if not isinstance(child, Tag):
                continue
            decls = style_of(child)
            reason = hiding_reason(child, decls)
            if reason is not None:
                if reason and child.get_text().strip():
                    removed[reason] += 1
                continue
            child_fg, child_bg = colours(child, decls, fg, bg)
            name = child.name or ""
            if re.fullmatch(r"h[1-6]", name):
                flush()
                walk(child, child_fg, child_bg, depth + 1)
                text = flush()
                if text:
                    headings.append(Heading(length - len(text), length, int(name[1]), text))
                continue
            block = name in _BLOCK_TAGS
            if block:
                flush()
            walk(child, child_fg, child_bg, depth + 1)
            if block:
                flush()

    fg, bg = _BLACK, _WHITE
    for outer in (soup.find("html"), soup.body):
        if isinstance(outer, Tag):
            fg, bg = colours(outer, style_of(outer), fg, bg)
    walk(soup.body or soup, fg, bg)
    flush()
    text = "".join(parts)
    if not text.strip():
        raise LoadError.of("html_no_text")
    if not title:
        title = next((h.text for h in headings if h.level == 1), _title_from_stem(path))
    scripts = len(soup.find_all("script"))
    if scripts:
        removed["<script> element"] = scripts
    notes = []
    if removed:
        notes.append("dropped hidden or executable content: "
                     + ", ".join(f"{reason} ({n})" for reason, n in sorted(removed.items())))
    handlers = sum(1 for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on"))
    js_links = sum(1 for t in soup.find_all(href=True) if str(t["href"]).strip().lower().startswith("javascript:"))
    if handlers:
        notes.append(f"ignored {handlers} event-handler attribute(s)")
    if js_links:
        notes.append(f"ignored {js_links} javascript: link(s) (their text is kept)")
    return LoadedDocument(source=source, title=title, text=text, format="html", headings=headings, notes=notes)


def load_pdf(path: Path, source: str, limits: LoadLimits) -> LoadedDocument:
    """PDF: text of each page (pypdf), joined by blank lines; page starts kept for metadata. The page count is
    checked before any page is read, the characters after each page (a small file can hold pages that share
    one large compressed content stream)."""
    import io

    from pypdf import PdfReader

    data = read_regular(path, limits)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise LoadError.of("pdf_encrypted")
        n_pages = len(reader.pages)
        if n_pages > limits.max_pdf_pages:
            raise LoadError.of("pdf_too_many_pages", pages=n_pages, limit=limits.max_pdf_pages)
        page_texts, total = [], 0
        for page in reader.pages:
            page_texts.append(page.extract_text() or "")
            total += len(page_texts[-1])
            if total > limits.max_chars:
                raise _too_many_chars(limits)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        raise LoadError.of("pdf_parse_error", error=f"{type(exc).__name__}: {exc}") from exc
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
        raise LoadError.of("pdf_no_text")
    title = str(meta_title).strip() or _title_from_stem(path)
    return LoadedDocument(source=source, title=title, text=text, format="pdf", pages=pages)


LOADERS: dict[str, Callable[[Path, str, LoadLimits], LoadedDocument]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def load_document(path: Path, source: str, max_bytes: LoadLimits | int | None = None) -> LoadedDocument:
    """Load one file with the loader of its format; raises :class:`LoadError` with the reason.

    ``max_bytes``: the :class:`LoadLimits` of an ingest (``LoadLimits.from_settings``), or (the older API) only
    a byte limit, with the default limits otherwise and no corpus-boundary check."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError.of("unsupported_type", suffix=path.suffix or path.name)
    return loader(path, source, LoadLimits.coerce(max_bytes))
