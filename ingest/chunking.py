"""Structure-aware chunking: sections from headings, sentences never cut, bullet lists kept with their intro.

Every chunk is an exact slice ``document.text[start:end]``. A heading belongs to the first chunk of its
section; chunks never span two sections. Units packed into chunks are sentences of body paragraphs and
whole bullet items; a list is kept with the sentence that introduces it when it fits. Only a single
sentence longer than ``chunk_size`` is split, at whitespace (pathological input such as a 5 MB line).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from common.text import (  # noqa: F401 - the text kernel, re-exported for ingest's callers
    BULLET_RE,
    Line,
    is_continuation,
    line_spans,
    looks_like_heading,
    sentence_spans,
    split_sentences,
)
from ingest.loaders import Heading, LoadedDocument

CHUNKER_VERSION = "4"  # bump when chunk or sentence boundaries can move (old indexes re-chunk and re-embed):
# 3 = French abbreviations in the sentence splitter, 4 = hard-wrapped lines are one sentence stream
LANG_SAMPLE_CHARS = 3000  # characters of a document or section given to the language detector
LANG_SECTION_MIN_CHARS = 200  # a shorter section takes its document's language (too little text to tell)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document with its provenance: the one chunk record, made by chunking, stored by the index
    (Chroma metadata, manifest) and extended with its ranking into ``assistant.results.Passage``."""

    id: str
    source: str
    title: str
    section: str
    start: int  # offsets of ``text`` in the document's text
    end: int
    chunk_index: int
    text: str
    content_hash: str = ""  # sha256 of ``text``
    embed_text: str = ""  # what the model embeds (heading path, list intro, text); not stored, "" once read back
    page: int | None = None
    lang: str = ""  # ISO 639-1 code of the chunk's language, set by the ingest pipeline ("" until detected)

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata (scalars only)."""
        meta: dict[str, str | int] = {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "chunk_index": self.chunk_index,
            "content_hash": self.content_hash,
        }
        if self.page is not None:
            meta["page"] = self.page
        if self.lang:
            meta["lang"] = self.lang
        return meta


@dataclass
class _Unit:
    start: int
    end: int
    kind: str  # heading, sentence, bullet, intro (sentence ending a paragraph that introduces a list)
    group: int  # units of the same list group share a number; -1 for none


def detect_headings(text: str) -> list[Heading]:
    """Headings of scraped plain text.

    A heading is a heading-shaped line standing alone (blank line or start before it, blank line
    after it) and followed, possibly after other heading-shaped lines, by body text. In a run of such
    lines only the last is the heading; the earlier ones (link texts, lost-number captions) stay body
    text of the section before. Levels are unknown in scraped text: all headings are level 1.
    """
    lines = line_spans(text)
    blank = [not ln.text(text).strip() for ln in lines]
    candidates: list[int] = []
    for i, ln in enumerate(lines):
        if blank[i]:
            continue
        alone = (i == 0 or blank[i - 1]) and (i + 1 < len(lines) and blank[i + 1])
        if alone and looks_like_heading(ln.text(text)):
            candidates.append(i)
    cand_set = set(candidates)
    headings = []
    for i in candidates:
        j = i + 1
        while j < len(lines) and blank[j]:
            j += 1
        if j < len(lines) and j not in cand_set:  # followed by body text, not by another heading line
            s = lines[i].text(text)
            lead = len(s) - len(s.lstrip())
            headings.append(Heading(lines[i].start + lead, lines[i].start + len(s.rstrip()), 1, s.strip()))
    return headings


def _hard_split(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Split an over-long sentence at a line break, else at a space (or anywhere, for unbroken text)."""
    out, cur = [], start
    while end - cur > size:
        lo, hi = cur + size // 2, cur + size
        cut = text.rfind("\n", lo, hi)
        if cut <= cur:
            cut = max(text.rfind(" ", lo, hi), text.rfind("\t", lo, hi))
        if cut <= cur:
            cut = cur + size
        piece_end = cut
        while piece_end > cur and text[piece_end - 1].isspace():
            piece_end -= 1
        out.append((cur, piece_end))
        cur = cut
        while cur < end and text[cur].isspace():
            cur += 1
    if cur < end:
        out.append((cur, end))
    return out


def _units(text: str, a: int, b: int, size: int) -> list[_Unit]:
    """Units of the body text ``text[a:b]`` (one section, heading excluded)."""
    lines = [ln for ln in line_spans(text[a:b])]
    # paragraphs: runs of non-blank, non-bullet lines; a bullet line is its own item
    blocks: list[tuple[str, int, int]] = []  # kind, start, end (absolute)
    para: list[Line] = []

    def close_para() -> None:
        if para:
            blocks.append(("para", a + para[0].start, a + para[-1].end))
            para.clear()

    prev_blank = True
    for ln in lines:
        s = text[a + ln.start : a + ln.end]
        under_bullet = not prev_blank and bool(blocks) and blocks[-1][0] == "bullet"
        prev_blank = not s.strip()
        if not s.strip():
            close_para()
        elif BULLET_RE.match(s):
            close_para()
            blocks.append(("bullet", a + ln.start, a + ln.end))
        elif under_bullet and not para and is_continuation(s):
            blocks[-1] = ("bullet", blocks[-1][1], a + ln.end)  # a wrapped bullet item: its indented next line
        else:
            para.append(ln)
    close_para()

    units: list[_Unit] = []
    group = 0
    for idx, (kind, s, e) in enumerate(blocks):
        nxt = blocks[idx + 1][0] if idx + 1 < len(blocks) else None
        if kind == "bullet":
            prev = blocks[idx - 1][0] if idx > 0 else None
            if prev != "bullet" and not (units and units[-1].kind == "intro"):
                group += 1
            bs = s + len(text[s:e]) - len(text[s:e].lstrip())
            # an over-long item is split at its sentences first; only an over-long sentence is cut
            spans = split_sentences(text, bs, e) if e - bs > size else [(bs, e)]
            for ss, se in spans:
                for hs, he in _hard_split(text, ss, se, size) if se - ss > size else [(ss, se)]:
                    units.append(_Unit(hs, he, "bullet", group))
            continue
        sents = split_sentences(text, s, e)
        for k, (ss, se) in enumerate(sents):
            last = k == len(sents) - 1
            intro = last and nxt == "bullet"
            if intro:
                group += 1
            pieces = _hard_split(text, ss, se, size) if se - ss > size else [(ss, se)]
            for hs, he in pieces:
                units.append(_Unit(hs, he, "intro" if intro else "sentence", group if intro else -1))
    return units


def _pack(units: list[_Unit], size: int, overlap: int) -> list[list[_Unit]]:
    """Greedy packing of units into chunks of at most ``size`` characters (span length)."""
    chunks: list[list[_Unit]] = []
    cur: list[_Unit] = []

    def span(us: list[_Unit]) -> int:
        return us[-1].end - us[0].start if us else 0

    i = 0
    while i < len(units):
        u = units[i]
        # keep a list group (intro + bullets) together: if it fits in a fresh chunk but not in this one,
        # start a new chunk for it
        if u.group >= 0 and (i == 0 or units[i - 1].group != u.group) and cur:
            j = i
            while j < len(units) and units[j].group == u.group:
                j += 1
            group_len = units[j - 1].end - u.start
            if span(cur + [u]) > size or (group_len <= size and units[j - 1].end - cur[0].start > size):
                chunks.append(cur)
                cur = []
        if cur and u.end - cur[0].start > size:
            chunks.append(cur)
            # overlap: carry whole trailing sentences (not headings) up to `overlap` characters
            carry: list[_Unit] = []
            for prev in reversed(cur):
                if prev.kind == "heading" or u.end - prev.start > size:
                    break
                if (cur[-1].end - prev.start) > overlap:
                    break
                carry.insert(0, prev)
            cur = carry
        cur.append(u)
        i += 1
    if cur:
        chunks.append(cur)
    return chunks


def _chunk_id(source: str, text: str, occurrence: int) -> str:
    h = hashlib.sha256(f"{source}\x00{occurrence}\x00{text}".encode()).hexdigest()
    return h[:32]


def chunk_document(doc: LoadedDocument, chunk_size: int = 700, chunk_overlap: int = 100) -> list[Chunk]:
    """Split a loaded document into chunks with provenance; deterministic for a given text."""
    if chunk_overlap >= chunk_size:
        raise ValueError("chunk_overlap must be smaller than chunk_size")
    text = doc.text
    headings = doc.headings if doc.headings is not None else detect_headings(text)
    headings = sorted(headings, key=lambda h: h.start)

    # sections: (heading or None, heading path, body start, body end)
    sections: list[tuple[Heading | None, str, int, int]] = []
    stack: list[Heading] = []
    first = headings[0].start if headings else len(text)
    if text[:first].strip():
        sections.append((None, "", 0, first))
    for k, h in enumerate(headings):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
        path = " > ".join(x.text for x in stack)
        end = headings[k + 1].start if k + 1 < len(headings) else len(text)
        sections.append((h, path, h.end, end))

    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for heading, path, a, b in sections:
        units = _units(text, a, b, chunk_size)
        if heading is not None:
            units.insert(0, _Unit(heading.start, heading.end, "heading", -1))
        if not units:
            continue
        intro_of_group: dict[int, _Unit] = {u.group: u for u in units if u.kind == "intro"}
        for packed in _pack(units, chunk_size, chunk_overlap):
            start, end = packed[0].start, packed[-1].end
            body = text[start:end]
            occurrence = seen.get(body, 0)
            seen[body] = occurrence + 1
            context = [doc.title]
            if path:
                context.append(path)
            first_unit = packed[0]
            if first_unit.kind == "bullet" and first_unit.group in intro_of_group:
                intro = intro_of_group[first_unit.group]
                context.append(text[intro.start : intro.end])
            chunks.append(
                Chunk(
                    id=_chunk_id(doc.source, body, occurrence),
                    source=doc.source,
                    title=doc.title,
                    section=path,
                    start=start,
                    end=end,
                    chunk_index=len(chunks),
                    content_hash=hashlib.sha256(body.encode()).hexdigest(),
                    text=body,
                    embed_text="\n".join(context + [body]),
                    page=doc.page_at(start) if doc.pages else None,
                )
            )
    return chunks


def with_languages(text: str, chunks: list[Chunk], default: str) -> list[Chunk]:
    """The chunks with their ``lang``: each section's detected language when the section has text enough
    to tell, else the document's (``default`` when even the document cannot tell: a table of numbers)."""
    from common.lang import detect

    if not chunks:
        return chunks
    doc_lang = detect(text[:LANG_SAMPLE_CHARS], default)
    samples: dict[str, str] = {}  # section path -> its first LANG_SAMPLE_CHARS characters or so
    for c in chunks:
        body = samples.get(c.section, "")
        if len(body) < LANG_SAMPLE_CHARS:
            samples[c.section] = body + c.text + "\n"
    langs = {sec: detect(body[:LANG_SAMPLE_CHARS], doc_lang) if len(body) >= LANG_SECTION_MIN_CHARS else doc_lang
             for sec, body in samples.items()}
    return [replace(c, lang=langs[c.section]) for c in chunks]
