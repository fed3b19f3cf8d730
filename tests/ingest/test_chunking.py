"""Heading detection and structure-aware chunking, on the real corpus file and on constructed documents."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_document, detect_headings, looks_like_heading
from ingest.loaders import LoadedDocument, load_document

CORPUS_FILE = Path(__file__).resolve().parents[2] / "corpus" / "unicancer-international.txt"
SOURCE = "unicancer-international.txt"
META_KEYS = {"source", "title", "section", "start", "end", "chunk_index", "content_hash"}

# a sentence ends with . ! ? … (possibly followed by a closing quote or bracket)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# ends of units that are not sentences but still natural cut points: an intro line ending with ':' or ';'
_CLAUSE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")


@pytest.fixture(scope="module")
def doc() -> LoadedDocument:
    return load_document(CORPUS_FILE, SOURCE)


def text_doc(text: str, source: str = "doc.txt", title: str = "Doc") -> LoadedDocument:
    return LoadedDocument(source=source, title=title, text=text, format="txt")


def ends_cleanly(text: str, end: int) -> bool:
    """A chunk end is at the end of the text, of a line, or of a sentence."""
    if end == len(text) or text[end] in "\r\n":
        return True
    return text[end].isspace() and bool(_CLAUSE_END.search(text[:end]))


def starts_cleanly(text: str, start: int) -> bool:
    """A chunk start is at the start of the text, of a line (after indentation), or of a sentence."""
    before = text[:start].rstrip(" \t")
    if before == "" or before.endswith(("\n", "\r")):
        return True
    return text[start - 1].isspace() and bool(_SENTENCE_END.search(before))


def sentence_around(text: str, pos: int) -> tuple[int, int]:
    """The sentence (bounded by sentence ends and line breaks) that contains ``pos``."""
    left = max(text.rfind("\n", 0, pos) + 1,
               max((m.end() for m in re.finditer(r"[.!?…][\"'”’)\]]*\s", text[:pos])), default=0))
    m = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)|\n").search(text, pos)
    return left, (m.end() if m else len(text))


def assert_well_formed(d: LoadedDocument, chunks, size: int) -> None:
    """Offsets reproduce every chunk; no cut inside a sentence unless that sentence alone is too long."""
    assert chunks, "no chunks"
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert d.text[c.start : c.end] == c.text
        assert c.text == c.text.strip() and c.text
        assert set(c.metadata()) >= META_KEYS
        assert c.source == d.source and c.title == d.title
        clean = ends_cleanly(d.text, c.end) and starts_cleanly(d.text, c.start)
        if len(c.text) > size or not clean:
            # only a single over-long sentence may be cut, and its pieces still respect the size
            cut = c.end if not ends_cleanly(d.text, c.end) else c.start
            a, b = sentence_around(d.text, cut)
            assert b - a > size, f"chunk {c.chunk_index} cuts a sentence of {b - a} chars: {c.text!r}"
            assert len(c.text) <= size, f"chunk {c.chunk_index} is longer than {size}: {c.text!r}"
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)


# -- heading detection --------------------------------------------------------------------------------


def test_heading_detection_on_the_real_corpus(doc):
    headings = detect_headings(doc.text)
    names = [h.text for h in headings]
    for expected in (
        "Unicancer’s action on the international scene",
        "European leader in academic oncology research",
        "Cooperation projects at the European level",
        "CraNE and JANE: building a better Europe against cancer",
        "Membership of international organisations",
        "IHF, International Hospital Federation",
        "HOPE, European Hospital and Healthcare Federation",
        "UICC, Union for International Cancer Control",
        "French Healthcare",
        "Unicancer as a liaison office of the EORTC",
    ):
        assert expected in names
    # runs of heading-shaped lines: link texts and captions are not headings; the questions that
    # introduce lists end with '?' and are body text; the three lines that lost their numbers are body
    for not_heading in ("our international initiatives", "Flyer projet JANE", "Flyer projet CraNE",
                        "For further information", "Research area",
                        "What is Unicancer’s international action in a nutshell?",
                        "patients included", "of French publications in oncology at the international level"):
        assert not_heading not in names
    for h in headings:
        assert doc.text[h.start : h.end] == h.text


@pytest.mark.parametrize("line,expected", [
    ("HOPE, European Hospital and Healthcare Federation", True),
    ("French Healthcare", True),
    ("  Indented heading  ", True),
    ("A sentence that ends with a period.", False),
    ("What is the question?", False),
    ("Intro to a list:", False),
    ("  • Bullet item without punctuation", False),
    ("- dash item", False),
    ("(1) footnote text", False),
    ("12345", False),
    ("x", False),
    ("word " * 16, False),
    ("A" * 121, False),
])
def test_looks_like_heading(line, expected):
    assert looks_like_heading(line) is expected


def test_heading_needs_body_text_after_it():
    text = "Real Heading\n\nBody sentence here.\n\nTrailing line without body"
    assert [h.text for h in detect_headings(text)] == ["Real Heading"]
    text = "Caption one\n\nCaption two\n\nSection Title\n\nBody sentence."
    assert [h.text for h in detect_headings(text)] == ["Section Title"]
    # a heading-shaped line glued to the paragraph is part of the paragraph
    assert detect_headings("Not alone\nBody sentence.\n") == []


# -- chunking the real corpus -------------------------------------------------------------------------


def test_hope_head_office_chunk_has_its_section(doc):
    chunks = chunk_document(doc)
    hits = [c for c in chunks if "Its head office is located in Brussels" in c.text]
    assert len(hits) == 1
    assert hits[0].section == "HOPE, European Hospital and Healthcare Federation"
    assert hits[0].text.startswith("HOPE, European Hospital and Healthcare Federation")
    assert hits[0].embed_text.startswith(f"{doc.title}\nHOPE, European Hospital and Healthcare Federation\n")
    assert hits[0].embed_text.endswith(hits[0].text)


@pytest.mark.parametrize("size,overlap", [(700, 100), (500, 50), (300, 100), (150, 40)])
def test_real_corpus_chunks_are_exact_and_never_cut_a_sentence(doc, size, overlap):
    chunks = chunk_document(doc, size, overlap)
    assert_well_formed(doc, chunks, size)
    # every non-blank line of the document is covered by some chunk
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
    assert not missing, doc.text[missing[0] : missing[0] + 80]


def test_default_chunking_cuts_only_at_sentences_on_the_real_corpus(doc):
    """At the default size no sentence of the corpus is too long: every boundary is clean."""
    chunks = chunk_document(doc)
    assert len(chunks) >= 10
    for c in chunks:
        assert len(c.text) <= 700
        assert ends_cleanly(doc.text, c.end), c.text[-60:]
        assert starts_cleanly(doc.text, c.start), c.text[:60]


def test_smaller_chunk_size_gives_more_chunks_all_within_size(doc):
    default = chunk_document(doc)
    small = chunk_document(doc, chunk_size=300, chunk_overlap=50)
    assert len(small) > len(default)
    # no sentence of the corpus is longer than 300 characters, so no chunk is either
    assert max(len(c.text) for c in small) <= 300
    for c in small:
        assert ends_cleanly(doc.text, c.end) and starts_cleanly(doc.text, c.start), c.text


def test_nutshell_list_stays_with_its_intro(doc):
    chunks = chunk_document(doc)
    intro = "What is Unicancer’s international action in a nutshell?"
    holder = [c for c in chunks if intro in c.text]
    assert len(holder) == 1
    c = holder[0]
    for item in ("Multiple collaborations in oncology research", "More than 80 international cooperation",
                 "Dynamic support of the Europe’s Beating Cancer Plan", "The overall increase of international",
                 "Leading international partnerships (WHO, IHF, UICC, ESMO, ECO, HOPE, French Healthcare)"):
        assert item in c.text
    assert c.section == "Unicancer’s action on the international scene"


def test_list_with_intro_starts_a_new_chunk_rather_than_splitting():
    para = " ".join(f"Filler sentence number {i} is here." for i in range(8))  # ~280 chars
    text = f"{para}\n\nThe list below matters:\n\n• first item\n• second item\n• third item\n"
    # the paragraph and the intro would fit in 320 characters, the intro and its list would not
    assert len(para) + 2 + len("The list below matters:") <= 320 < len(text.rstrip())
    chunks = chunk_document(text_doc(text), chunk_size=320, chunk_overlap=0)
    holder = [c for c in chunks if "The list below matters:" in c.text]
    assert len(holder) == 1
    for item in ("first item", "second item", "third item"):
        assert item in holder[0].text
    assert holder[0].text.startswith("The list below matters:")


def test_long_list_item_is_split_at_its_sentences(doc):
    """A bullet longer than the chunk size is split between its sentences, not inside one."""
    chunks = chunk_document(doc, chunk_size=300, chunk_overlap=0)
    second = "Criteria of governance, research, innovation, integration of research and care, prevention"
    holder = next(c for c in chunks if second in c.text)
    assert holder.text.startswith("Criteria of governance")
    prev = chunks[holder.chunk_index - 1]
    assert prev.text.endswith("able to treat 90% of European citizens by 2030.")


def test_chunk_ids_are_deterministic(doc, tmp_path):
    first = chunk_document(doc)
    copy = tmp_path / "elsewhere.txt"
    copy.write_bytes(CORPUS_FILE.read_bytes())
    again = chunk_document(load_document(copy, SOURCE))
    assert [(c.id, c.start, c.end, c.content_hash) for c in first] == [
        (c.id, c.start, c.end, c.content_hash) for c in again]
    # the id depends on the source path too
    other = chunk_document(load_document(copy, "other/" + SOURCE))
    assert not {c.id for c in first} & {c.id for c in other}


def test_ids_depend_on_content_not_position(doc):
    before = chunk_document(doc)
    shifted = text_doc("Preface\n\nA new first paragraph was added. It shifts every offset.\n\n" + doc.text,
                       source=SOURCE, title=doc.title)
    after = chunk_document(shifted)
    assert after[0].text.startswith("Preface")
    same = {c.id for c in before} & {c.id for c in after}
    # everything but the first section's chunk keeps its id
    assert len(same) >= len(before) - 1
    by_id = {c.id: c for c in after}
    for c in before:
        if c.id in by_id:
            assert by_id[c.id].text == c.text
            assert by_id[c.id].start > c.start


def test_identical_text_twice_gets_two_distinct_stable_ids():
    text = (
        "Topic One\n\nShared paragraph sentence. Another shared sentence.\n\n"
        "Topic Two\n\nA unique body for the second topic.\n\n"
        "Topic One\n\nShared paragraph sentence. Another shared sentence.\n"
    )
    chunks = chunk_document(text_doc(text))
    twins = [c for c in chunks if c.text.startswith("Topic One")]
    assert len(twins) == 2
    assert twins[0].text == twins[1].text and twins[0].content_hash == twins[1].content_hash
    assert twins[0].id != twins[1].id
    assert twins[0].start < twins[1].start
    again = chunk_document(text_doc(text))
    assert [c.id for c in chunks] == [c.id for c in again]
    # editing the unique section between them changes neither twin's id
    edited = chunk_document(text_doc(text.replace("A unique body", "An edited, longer unique body")))
    assert [c.id for c in edited if c.text.startswith("Topic One")] == [t.id for t in twins]
    assert len({c.id for c in edited} - {c.id for c in chunks}) == 1


def test_overlap_carries_whole_sentences():
    text = " ".join(f"Sentence {i:02d} says something short." for i in range(40))
    d = text_doc(text)
    chunks = chunk_document(d, chunk_size=200, chunk_overlap=80)
    assert len(chunks) > 5
    assert_well_formed(d, chunks, 200)
    overlapping = 0
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start > a.start and b.end > a.end
        if b.start < a.end:
            overlapping += 1
            assert a.end - b.start <= 80
            assert starts_cleanly(d.text, b.start)
    assert overlapping == len(chunks) - 1
    none = chunk_document(d, chunk_size=200, chunk_overlap=0)
    assert all(b.start >= a.end for a, b in zip(none, none[1:], strict=False))


def test_overlap_must_be_smaller_than_size(doc):
    with pytest.raises(ValueError):
        chunk_document(doc, chunk_size=200, chunk_overlap=200)


def _huge_line(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = []
    total = 0
    while total < n:
        w = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 12)))
        words.append(w)
        total += len(w) + 1
    return " ".join(words)[:n].rstrip()


@pytest.mark.parametrize("kind", ["words", "unbroken"])
def test_200kb_line_without_punctuation(kind):
    text = _huge_line(200_000) if kind == "words" else "x" * 200_000
    d = text_doc(text, source="huge.txt")
    chunks = chunk_document(d, chunk_size=700, chunk_overlap=100)
    assert len(chunks) >= 200_000 // 700
    covered = 0
    prev_end = 0
    for c in chunks:
        assert d.text[c.start : c.end] == c.text
        assert 0 < len(c.text) <= 700
        assert c.start >= prev_end  # pieces of one sentence do not overlap
        assert d.text[prev_end : c.start].strip() == ""  # nothing is lost between pieces
        if kind == "words":
            assert c.start == 0 or d.text[c.start - 1] == " "  # cut at spaces, not inside words
            assert c.end == len(d.text) or d.text[c.end] == " "
        covered += len(c.text)
        prev_end = c.end
    assert prev_end == len(text)
    assert covered == len(text.replace(" ", "")) + sum(c.text.count(" ") for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)


def test_long_multiline_sentence_is_split_at_line_breaks():
    lines = [f"line {i} of a table without any punctuation at all" for i in range(30)]
    text = "\n".join(lines)
    d = text_doc(text)
    chunks = chunk_document(d, chunk_size=200, chunk_overlap=0)
    for c in chunks:
        assert d.text[c.start : c.end] == c.text
        assert len(c.text) <= 200
        assert c.start == 0 or d.text[c.start - 1] == "\n"
        assert c.end == len(d.text) or d.text[c.end] == "\n"


def test_sentence_spans_are_the_assistants_sentences(doc):
    # ingest stores one vector per sentence span; the assistant finds them by the spans it splits a passage into
    from assistant.citations import passage_sentences
    from ingest.chunking import sentence_spans

    texts = [c.text for c in chunk_document(doc, 700, 100)]
    texts += ["Heading line\n\nA paragraph. Another one!\n\n- item one\n- item two\n\n1) numbered: yes",
              "Intro to a list:\n• first\n• second\nClosing sentence.", "", "   \n  "]
    for text in texts:
        assert sentence_spans(text) == [(s.start, s.end) for s in passage_sentences(text)], text
