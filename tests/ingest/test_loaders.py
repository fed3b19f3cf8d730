"""Loaders: one per format; what text, headings and pages each gives, and which files are refused."""

from __future__ import annotations

import random
import re

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import LoadError, load_document


def write(path, data: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return path


# -- plain text ---------------------------------------------------------------------------------------


def test_txt_is_the_exact_file_text(tmp_path, helpers):
    raw = helpers.CORPUS_FILE.read_bytes()
    doc = load_document(write(tmp_path / "unicancer-international.txt", raw), "unicancer-international.txt")
    assert doc.text == raw.decode("utf-8")
    assert doc.format == "txt"
    assert doc.headings is None  # scraped text: headings are detected from line shapes by the chunker
    assert doc.title == "Unicancer international"


def test_txt_keeps_crlf_and_unicode(tmp_path):
    text = "Première ligne — été.\r\nSecond line: 50 % “quoted”.\r\n\r\n  • bullet\r\n"
    doc = load_document(write(tmp_path / "notes_v2.txt", text), "sub/notes_v2.txt")
    assert doc.text == text
    assert doc.source == "sub/notes_v2.txt"
    assert doc.title == "Notes v2"


# -- markdown -----------------------------------------------------------------------------------------

MARKDOWN = """# Guide Title

Intro paragraph. Second sentence.

Setext Heading
==============

Body under setext.

```python
# not a heading inside a fence
x = 1
Not a heading either
---
```

~~~
## also fenced
~~~

## Sub *two* ##

Sub body text.

Another Section
---------------

- item one
- item two

    # indented four spaces: code, not a heading
"""


def test_markdown_atx_and_setext_headings_outside_code_fences(tmp_path):
    doc = load_document(write(tmp_path / "guide.md", MARKDOWN), "guide.md")
    assert doc.text == MARKDOWN
    got = [(h.text, h.level) for h in doc.headings]
    assert got == [("Guide Title", 1), ("Setext Heading", 1), ("Sub *two*", 2), ("Another Section", 2)]
    for h in doc.headings:
        assert h.text in doc.text[h.start : h.end]
        assert doc.text[h.start : h.end].lstrip("# ").startswith(h.text)
    assert doc.title == "Guide Title"


def test_markdown_sections_follow_heading_levels(tmp_path):
    doc = load_document(write(tmp_path / "guide.md", MARKDOWN), "guide.md")
    chunks = chunk_document(doc, chunk_size=200, chunk_overlap=0)
    by_text = {c.section: c.text for c in chunks}
    assert "Guide Title" in by_text and "Intro paragraph." in by_text["Guide Title"]
    # setext '=' is level 1: a sibling of the first title, not its child
    assert "Setext Heading" in by_text
    sub = next(c for c in chunks if "Sub body text." in c.text)
    assert sub.section == "Setext Heading > Sub *two*"
    fenced = next(c for c in chunks if "# not a heading inside a fence" in c.text)
    assert fenced.section == "Setext Heading"
    items = next(c for c in chunks if "- item one" in c.text)
    assert items.section == "Setext Heading > Another Section"
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text


def test_markdown_title_falls_back_to_file_name(tmp_path):
    doc = load_document(write(tmp_path / "release-notes.md", "Just text.\n\n## Minor\n\nMore.\n"), "r.md")
    assert doc.title == "Release notes"
    assert [h.text for h in doc.headings] == ["Minor"]


# -- HTML ---------------------------------------------------------------------------------------------

HTML = """<!doctype html>
<html><head><title>Page Title</title>
<style>.x { color: red } /* STYLE-TEXT */</style>
<script>var secret = "SCRIPT-TEXT";</script>
</head>
<body>
<nav><a href="/">Home</a></nav>
<h1>Main &amp; <em>Title</em></h1>
<p>First paragraph with <b>bold</b> text.
   Spread over lines.</p>
<div style="display: none">HIDDEN-DISPLAY</div>
<p hidden>HIDDEN-ATTR</p>
<span aria-hidden="true">HIDDEN-ARIA</span>
<span style="visibility:hidden">HIDDEN-VIS</span>
<noscript>NOSCRIPT-TEXT</noscript>
<template><p>TEMPLATE-TEXT</p></template>
<!-- COMMENT-TEXT -->
<section>
  <h2>Second   heading</h2>
  <ul><li>Alpha item</li><li>Beta item</li></ul>
  <h3>Deeper</h3>
  <p>Deep text.<script>document.write("INLINE-SCRIPT")</script></p>
</section>
<h2>Third heading</h2><p>Last words.</p>
</body></html>
"""


def test_html_visible_text_only(tmp_path):
    doc = load_document(write(tmp_path / "page.html", HTML), "page.html")
    assert doc.format == "html"
    for hidden in ("STYLE-TEXT", "SCRIPT-TEXT", "HIDDEN-DISPLAY", "HIDDEN-ATTR", "HIDDEN-ARIA", "HIDDEN-VIS",
                   "NOSCRIPT-TEXT", "TEMPLATE-TEXT", "COMMENT-TEXT", "INLINE-SCRIPT", "color: red"):
        assert hidden not in doc.text, hidden
    for visible in ("Home", "Main & Title", "First paragraph with bold text. Spread over lines.",
                    "Alpha item", "Beta item", "Deep text.", "Last words."):
        assert visible in doc.text, visible
    assert doc.title == "Page Title"


def test_html_headings_have_exact_offsets_and_levels(tmp_path):
    doc = load_document(write(tmp_path / "page.htm", HTML), "page.htm")
    assert [(h.text, h.level) for h in doc.headings] == [
        ("Main & Title", 1), ("Second heading", 2), ("Deeper", 3), ("Third heading", 2)]
    for h in doc.headings:
        assert doc.text[h.start : h.end] == h.text
    chunks = chunk_document(doc, chunk_size=300, chunk_overlap=0)
    section_of = {s: c.section for c in chunks for s in ("Deep text.", "Last words.", "Alpha item") if s in c.text}
    assert section_of["Deep text."] == "Main & Title > Second heading > Deeper"
    assert section_of["Alpha item"] == "Main & Title > Second heading"
    assert section_of["Last words."] == "Main & Title > Third heading"
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text


def test_html_without_visible_text_is_refused(tmp_path):
    path = write(tmp_path / "empty.html", "<html><head><script>x()</script></head><body> </body></html>")
    with pytest.raises(LoadError, match="no visible text"):
        load_document(path, "empty.html")


# -- PDF ----------------------------------------------------------------------------------------------

PAGE1 = [
    "Annual report of the network",
    "Alpha sentence on the first page talks about research.",
    "Another first page sentence talks about hospitals.",
    "A third sentence closes the first page (with brackets).",
]
PAGE2 = [
    "Beta sentence opens the second page about partnerships.",
    "The second page ends here.",
]


def test_pdf_text_and_page_numbers(tmp_path, helpers):
    path = write(tmp_path / "report.pdf", helpers.make_pdf([PAGE1, PAGE2], title="Network Report"))
    doc = load_document(path, "docs/report.pdf")
    assert doc.format == "pdf"
    assert doc.title == "Network Report"
    for line in PAGE1 + PAGE2:
        assert line in doc.text
    p2 = doc.text.index("Beta sentence")
    assert doc.text.index("Alpha sentence") < p2
    assert [n for _, n in doc.pages] == [1, 2]
    assert doc.page_at(0) == 1 and doc.page_at(p2) == 2 and doc.page_at(p2 - 1) == 1
    # page 1 is about 200 characters: with chunk_size 200 the second page starts a chunk of its own
    assert len(doc.text[:p2].strip()) <= 200 < len(doc.text)
    chunks = chunk_document(doc, chunk_size=200, chunk_overlap=0)
    assert {c.page for c in chunks} == {1, 2}
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.page == (2 if c.start >= p2 else 1)
        assert c.metadata()["page"] == c.page
    beta = next(c for c in chunks if "Beta sentence" in c.text)
    assert beta.page == 2


def test_pdf_title_falls_back_to_file_name(tmp_path, helpers):
    doc = load_document(write(tmp_path / "annual_report.pdf", helpers.make_pdf([PAGE1])), "annual_report.pdf")
    assert doc.title == "Annual report"
    assert doc.pages == [(0, 1)]


def test_pdf_empty_page_skipped_but_numbers_kept(tmp_path, helpers):
    doc = load_document(write(tmp_path / "r.pdf", helpers.make_pdf([PAGE1, [], PAGE2])), "r.pdf")
    assert [n for _, n in doc.pages] == [1, 3]
    assert doc.page_at(doc.text.index("Beta sentence")) == 3


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,          # an image named .pdf
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog",               # truncated header only
    b"this is not a pdf at all, just text\n" * 20,
], ids=["binary", "truncated", "text"])
def test_broken_pdf_is_a_load_error(tmp_path, data):
    with pytest.raises(LoadError, match="PDF"):
        load_document(write(tmp_path / "broken.pdf", data), "broken.pdf")


def test_pdf_without_text_is_refused(tmp_path, helpers):
    with pytest.raises(LoadError, match="no extractable text"):
        load_document(write(tmp_path / "scan.pdf", helpers.make_pdf([[], []])), "scan.pdf")


# -- refused files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["junk.txt", "junk.md", "junk.html"])
def test_binary_junk_is_a_load_error(tmp_path, name):
    data = bytes(range(256)) * 64  # contains NUL bytes and invalid UTF-8
    with pytest.raises(LoadError, match="binary"):
        load_document(write(tmp_path / name, data), name)


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.pdf"])
def test_empty_file_is_a_load_error(tmp_path, name):
    with pytest.raises(LoadError, match="empty"):
        load_document(write(tmp_path / name, b""), name)


def test_whitespace_only_file_is_a_load_error(tmp_path):
    with pytest.raises(LoadError, match="empty"):
        load_document(write(tmp_path / "blank.txt", " \n\t\n \r\n"), "blank.txt")


def test_invalid_utf8_is_a_load_error(tmp_path):
    latin1 = "Café crème à Genève.\n".encode("latin-1")
    with pytest.raises(LoadError, match="not valid UTF-8"):
        load_document(write(tmp_path / "latin1.txt", latin1), "latin1.txt")


def test_unsupported_suffix_is_a_load_error(tmp_path):
    with pytest.raises(LoadError, match="unsupported file type '.docx'"):
        load_document(write(tmp_path / "a.docx", "text"), "a.docx")


def test_file_over_size_limit_is_a_load_error(tmp_path):
    path = write(tmp_path / "big.txt", "word " * 1000)
    with pytest.raises(LoadError, match="too large"):
        load_document(path, "big.txt", max_bytes=1000)
    assert load_document(path, "big.txt", max_bytes=5000).text == "word " * 1000


# -- the line-based Markdown headings and the linear CSS parsing give what the old regular expressions gave ---

_OLD_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_OLD_SETEXT = re.compile(r"^(?P<text>[^\n]*\S[^\n]*)\n {0,3}(?P<rule>=+|-+)[ \t]*$", re.M)
_OLD_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)


def _old_headings(text: str) -> list[tuple[int, int, int, str]]:
    """The regex version the loader had before (quadratic on one long line; fine on short documents)."""
    marks = [m.start() for m in _OLD_FENCE.finditer(text)]
    fenced = list(zip(marks[::2], marks[1::2] + [len(text)] * (len(marks) % 2), strict=False))

    def in_fence(pos: int) -> bool:
        return any(a <= pos < b for a, b in fenced)

    out = [(m.start(), m.end(), len(m.group(1)), m.group(2).strip()) for m in _OLD_ATX.finditer(text)
           if not in_fence(m.start())]
    for m in _OLD_SETEXT.finditer(text):
        line = m.group("text").strip()
        if not in_fence(m.start()) and not line.startswith(("#", "-", "*", ">", "|")):
            out.append((m.start(), m.end(), 1 if m.group("rule").startswith("=") else 2, line))
    return sorted(out, key=lambda h: h[0])


def test_markdown_headings_match_the_old_regular_expressions(tmp_path):
    rng = random.Random(7)
    pieces = ["#", "# ", "## ", "###### ", "####### ", "=", "-", "---", "===", "\n", "\n", "\n", " ", "  ", "\t",
              "a", "b c", "```", "~~~", "\r", "*", ">", " #", "|", "Title"]
    path = tmp_path / "x.md"
    checked = 0
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        if not text.strip():
            continue
        path.write_bytes(text.encode())
        got = [(h.start, h.end, h.level, h.text) for h in load_document(path, "x.md").headings]
        assert got == _old_headings(text), repr(text)
        checked += 1
    assert checked > 1000


def test_css_rules_match_the_old_regular_expression():
    from ingest.loaders import _css_rules

    old = re.compile(r"([^{}]+)\{([^{}]*)\}")
    rng = random.Random(11)
    for _ in range(5000):
        css = "".join(rng.choice("ab .#{}:;/* ") for _ in range(rng.randrange(0, 40)))
        assert _css_rules(css) == old.findall(css), css
