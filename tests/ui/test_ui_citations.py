"""Unit tests of the chat's daily-use pieces (issue 13, items 3-5): citation numbering and links, passages with
headings and marks (escaped), the document viewer on a real ingest (fake embedder), the conversation store as
the browser sends it back, and the interface texts of every language."""

from __future__ import annotations

import html
import re
import string

import pytest

from common.lang import available, get
from ingest.pipeline import run_ingest
from testing import loaders
from ui import citations, conversations, render, viewer
from ui.i18n import t, ui_language

HOSTILE = "<img src=x onerror=alert(1)> [click](javascript:alert(2)) https://evil.example.com/x"


def _cite(n: int, text: str, sentence: str, **kw) -> dict:
    start = text.index(sentence)
    return {"n": n, "source": "doc.md", "title": "Doc", "section": "Doc > Part", "text": text, "sentence": sentence,
            "sentence_start": start, "sentence_end": start + len(sentence), "supported": True, "page": None,
            "start": 0, "end": len(text), **kw}


def test_citations_are_renumbered_in_the_order_of_the_answer():
    answer = {"text": "First [2]. Second [5]. Both [2, 5]. Again [5].",
              "citations": [_cite(2, "A two.", "A two."), _cite(5, "A five.", "A five.")],
              "claims": [{"text": "First [2].", "citations": [2]}, {"text": "Second [5].", "citations": [5]}]}
    out = citations.renumber(answer)
    assert out["text"] == "First [1]. Second [2]. Both [1, 2]. Again [2]."
    assert [(c["n"], c["text"]) for c in out["citations"]] == [(1, "A two."), (2, "A five.")]
    assert [c["citations"] for c in out["claims"]] == [[1], [2]]
    assert answer["text"].startswith("First [2]"), "the original answer was changed"
    ordered = {"text": "A [1] b [2].", "citations": [_cite(1, "x.", "x."), _cite(2, "y.", "y.")]}
    assert citations.renumber(ordered) is ordered


def test_markers_become_links_to_cards_and_nothing_else_does():
    md = render.answer_markdown({"text": f"Fact [1]. Group [1, 2]. Unknown [7]. {HOSTILE}", "claims": []})
    out = citations.link_markers(md, 3, {1, 2})
    assert "[\\[1\\]](#uca-src-3-1)" in out and "[\\[2\\]](#uca-src-3-2)" in out
    assert "\\[7\\]" in out and "#uca-src-3-7" not in out
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", out)  # an escaped "\](" is text, not a link
    assert all(href.startswith("#uca-src-3-") for href in links), links


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_cards_fold_under_their_count_and_start_open(lang):
    cards = [_cite(1, "Its head office is in Brussels.", "Its head office is in Brussels."),
             _cite(2, f"{HOSTILE} It has 900 members.", "It has 900 members.")]
    out = render.sources_html({"text": "Brussels [1]. Members [2].", "citations": cards,
                               "trace": [{"name": "gate", "decided": {}, "ms": 1.0}]}, lang, 4)
    fold = re.search(r'<details class="uca-fold" open><summary class="uca-count" title="([^"]*)">([^<]*)</summary>'
                     r"(.*)</details></div>$", out, re.S)
    assert fold, out
    assert fold.group(1) == html.escape(t(lang, "fold_sources")) and fold.group(2) == t(lang, "cited_many", n=2)
    assert re.findall(r'<article class="uca-card" id="([^"]+)"', fold.group(3)) == ["uca-src-4-1", "uca-src-4-2"]
    assert 'class="uca-trace"' in fold.group(3)  # folded with the cards
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out


def test_plain_text_and_footnotes_give_markers_and_sources():
    c = _cite(1, "Its head office is in Brussels.", "Its head office is in Brussels.", page=4)
    answer = {"text": "It is in Brussels. [1]", "citations": [c]}
    assert citations.plain_text(answer, "en") == ("It is in Brussels. [1]\n\nSources:\n"
                                                  "[1] Doc (doc.md) › Part · page 4")
    assert "Sources :" in citations.plain_text(answer, "fr")
    notes = citations.footnotes_markdown(answer, "en", render.escape_markdown)
    assert "- \\[1\\] Doc (doc.md) › Part · page 4" in notes
    assert citations.footnotes_markdown({**answer, "refused": True}, "en", render.escape_markdown) == ""


def test_markdown_passage_headings_render_as_escaped_headings_with_the_sentence_marked():
    text = "## Partners <b>and</b> funding\n\nIts partners are the Snark Registry. " + HOSTILE
    out = citations.passage_html(_cite(1, text, "Its partners are the Snark Registry."), 400)
    assert "<h4 class=\"uca-h\">Partners &lt;b&gt;and&lt;/b&gt; funding</h4>" in out
    assert "##" not in out
    assert re.search(r"<mark class=\"uca-support\">Its partners are the Snark Registry\.</mark>", out)
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    plain = citations.passage_html(_cite(1, text, "Its partners are the Snark Registry.", source="doc.txt"), 400)
    assert "## Partners &lt;b&gt;and&lt;/b&gt; funding" in plain  # not Markdown: shown as written


def test_annotated_html_nests_marks_and_keeps_every_character():
    text = "Line one.\nA <passage> with its sentence here.\nEnd & more."
    a, b = text.index("A <"), text.index("\nEnd")
    s0, s1 = text.index("its"), text.index(" here")
    out = citations.annotated_html(text, [(a, b, "outer"), (s0, s1, "inner")], [], {a: "<span id=\"t\"></span>"})
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    # the inner mark opens inside the outer one, which stays one element
    assert ("<span id=\"t\"></span><mark class=\"outer\">A &lt;passage&gt; with <mark class=\"inner\">its sentence"
            "</mark> here.</mark>\nEnd") in out
    assert out.count("<mark") == 2
    # a heading inside a mark: the mark closes around the heading element and is reopened inside and after it
    md = "Intro text\n## Title\nBody here."
    out = citations.annotated_html(md, [(0, len(md), "outer")], citations.heading_lines(md))
    assert out == ("<mark class=\"outer\">Intro text\n</mark><h4 class=\"uca-h\"><mark class=\"outer\">Title</mark>"
                   "</h4><mark class=\"outer\">Body here.</mark>"), out



def test_the_viewer_loads_under_the_ingest_time_limit(fake_settings, fake_embedder, monkeypatch):
    import time

    (fake_settings.corpus_dir / "slow.md").write_text("# Slow\n\nThe clinic opened in 2031.\n", encoding="utf-8")
    run_ingest(fake_settings, embedder=fake_embedder)
    c = {"source": "slow.md", "text": "The clinic opened in 2031.", "start": 8, "end": 34}
    assert "opened in 2031" in viewer.document_html(fake_settings, c, "en")  # the worker loads it
    monkeypatch.setattr(viewer, "load_only", loaders.slow)  # the worker runs this instead: it never ends in time
    timed = fake_settings.model_copy(update={"max_file_seconds": 1.0})
    began = time.monotonic()
    out = viewer.document_html(timed, c, "en")
    assert time.monotonic() - began < 15, "the viewer waited for the loader past its time limit"
    assert "took longer than 1 s to load" in out and "2031" not in out, out
    out = viewer.document_html(timed, c, "fr")  # the reason in the reader's language, as ingest's skip reasons
    assert "Le document n&#x27;a pas pu être ouvert : chargement plus long que 1 s" in out, out

def test_the_viewer_shows_an_indexed_document_escaped_with_the_passage_marked(fake_settings, fake_embedder):
    doc = "# Vorpal\n\n## Founding\n\nThe clinic was founded in 2029. " + HOSTILE + "\n\n## Later\n\nMore text.\n"
    (fake_settings.corpus_dir / "vorpal.md").write_text(doc, encoding="utf-8")
    run_ingest(fake_settings, embedder=fake_embedder)
    start = doc.index("## Founding")
    end = doc.index("\n\n## Later")
    passage = doc[start:end]
    c = {"source": "vorpal.md", "text": passage, "start": start, "end": end,
         "sentence_start": passage.index("The clinic"), "sentence_end": passage.index(" 2029.") + 6}
    out = viewer.document_html(fake_settings, c, "en", key="0:1")
    assert "data-view=\"0:1\"" in out and "id=\"uca-view-target\"" in out
    assert re.search(r"<mark class=\"uca-view-passage\">\n?<mark class=\"uca-support\">The clinic was founded in "
                     r"2029\.</mark> [^<]*&lt;img", out), out
    assert "<h4 class=\"uca-h\">Later</h4>" in out and "##" not in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    moved = dict(c, start=0, end=len(passage))  # offsets of an older version of the file
    assert "changed since it was indexed" in viewer.document_html(fake_settings, moved, "en")
    for source in ("../../etc/passwd", "missing.md", "/etc/hosts"):
        assert "no longer in the index" in viewer.document_html(fake_settings, dict(c, source=source), "en")


# -- the conversation store as the browser sends it back

def test_the_store_is_cleaned_and_bounded(fake_settings):
    settings = fake_settings.model_copy(update={"conversations_kept": 3, "conversation_turns": 2,
                                                "conversation_store_bytes": 20_000})
    turn = {"question": "Q?", "answer": {"text": "A. [1]", "citations": [], "trace": ["big"] * 50}}
    store = {"current": "c-1", "items": [
        {"id": "c-1", "title": "x" * 500, "turns": [turn, turn, turn, {"question": 3}, "junk"]},
        {"id": "not an id", "turns": []}, {"id": "c-2", "turns": "junk"}, {"id": "c-1", "turns": []},
        {"id": "c-3", "turns": [turn]}, {"id": "c-4", "turns": [turn]}, {"id": "c-5", "turns": [turn]}]}
    out = conversations.clean(store, settings)
    assert [c["id"] for c in out["items"]] == ["c-3", "c-4", "c-5"]
    assert out["current"] == "c-5"  # c-1 fell out: the most recent is shown
    kept = conversations.clean({"current": "c-1", "items": store["items"][:1]}, settings)
    conv = conversations.current(kept)
    assert len(conv["turns"]) == 2 and len(conv["title"]) == conversations.TITLE_CHARS
    assert "trace" not in conv["turns"][0]["answer"]
    for junk in (None, "x", [], {"items": "x"}, {"items": [None]}):
        assert conversations.current(conversations.clean(junk, settings))["turns"] == []
    big = {"question": "Q?", "answer": {"text": "word " * 2000}}
    grown = kept
    for _ in range(5):
        grown = conversations.with_turns(conversations.with_new(grown, settings), [big], settings)
    assert len(conversations.json.dumps(grown).encode()) <= settings.conversation_store_bytes
    assert conversations.current(grown)["turns"], "the current conversation was dropped"


def test_new_rename_delete_and_export():
    store = conversations.empty()
    from ingest.settings import Settings

    settings = Settings()
    store = conversations.with_turns(store, [{"question": "What is JANE?", "answer": {
        "text": "JANE is a joint action. [1]", "citations": [_cite(1, "JANE <b>is</b>.", "JANE <b>is</b>.")]}}],
        settings)
    first = store["current"]
    store = conversations.with_new(store, settings)
    assert store["current"] != first and conversations.with_new(store, settings) == store  # empty one reused
    assert [name for name, _ in conversations.choices(store, "fr")] == ["Nouvelle conversation", "What is JANE?"]
    store = conversations.renamed(conversations.with_current(store, first), "My <i>notes</i>")
    md = conversations.export_markdown(conversations.current(store), "en")
    assert md.startswith("# Conversation: My &lt;i&gt;notes&lt;/i&gt;")
    assert "**Answer:** JANE is a joint action. [1]" in md
    assert "- [1] Doc (doc.md) › Part" in md and "  > JANE &lt;b&gt;is&lt;/b&gt;." in md
    assert conversations.export_name(conversations.current(store), "en") == "My-i-notes-i.md"
    after = conversations.deleted(store)
    assert first not in {c["id"] for c in after["items"]}


# -- interface texts

def test_every_language_has_every_interface_text_with_the_same_fields():
    english = get("en").ui
    fields = {k: {f for _, f, _, _ in string.Formatter().parse(v) if f} for k, v in english.items()}
    for code in available():
        ui = get(code).ui
        assert set(ui) == set(english), f"{code}: missing {set(english) - set(ui)}, extra {set(ui) - set(english)}"
        for key, text in ui.items():
            assert {f for _, f, _, _ in string.Formatter().parse(text) if f} == fields[key], (code, key)
        assert len(get(code).example_questions) >= 3


@pytest.mark.parametrize("table", ["skip_reasons", "trace_labels"])
def test_every_language_has_every_skip_reason_and_trace_label_with_the_same_fields(table):
    english = getattr(get("en"), table)
    fields = {k: {f for _, f, _, _ in string.Formatter().parse(v) if f} for k, v in english.items()}
    for code in available():
        texts = getattr(get(code), table)
        assert set(texts) == set(english), f"{code}: missing {set(english) - set(texts)}"
        for key, text in texts.items():
            assert {f for _, f, _, _ in string.Formatter().parse(text) if f} == fields[key], (code, key)


def _skipped(code: str, note: str | None = None, **params) -> dict:
    from ingest import reasons

    return reasons.entry("doc.pdf", code, note, **params)


def test_skip_reasons_are_said_in_the_interface_language_from_their_code():
    from ui.i18n import skip_reason

    big = _skipped("too_large", "note_kept", size=12_345_678, limit=10_000_000)
    assert skip_reason(big, "en") == big["reason"] == ("file too large (12,345,678 bytes > limit 10,000,000; "
                                                        "UCA_MAX_FILE_BYTES); keeping the previously indexed version")
    assert skip_reason(big, "fr") == ("fichier trop gros (12\u202f345\u202f678 octets > limite de "
                                      "10\u202f000\u202f000 ; UCA_MAX_FILE_BYTES) ; la version indexée auparavant "
                                      "est gardée")
    assert skip_reason(_skipped("html_no_text"), "fr-FR") == "aucun texte visible dans le HTML"
    assert skip_reason(_skipped("timeout", seconds=120.0), "fr") == ("chargement plus long que 120 s "
                                                                     "(UCA_MAX_FILE_SECONDS) ; abandonné")
    # no code, an unknown code, parameters that do not fit: the English reason
    for item in ({"source": "a", "reason": "an old reason"}, {"source": "a", "reason": "new", "code": "zz"},
                 {"source": "a", "reason": "odd", "code": "too_large", "params": {"size": 1}}):
        assert skip_reason(item, "fr") == item["reason"]


def test_skipped_files_and_upload_results_show_french_reasons():
    from ui.documents import FileResult

    out = render.skipped_markdown([_skipped("unsupported_type", suffix=".odt"),
                                   {"source": "<b>x</b>.md", "reason": "an *old* reason"}], "fr")
    assert "type de fichier non pris en charge « .odt »" in out and "an \\*old\\* reason" in out
    assert "unsupported" not in out and "<b>" not in out
    results = render.results_html([FileResult("x.html", "refused", "aucun texte <visible>")], "r", "fr")
    assert "✗ refusé" in results and "aucun texte &lt;visible&gt;" in results


def test_the_trace_panel_names_steps_and_decisions_in_the_interface_language():
    trace = [{"name": "gate", "decided": {"confidence": 0.41, "refused": True, "rule": "low_confidence"}, "ms": 3.2},
             {"name": "toy_rerank", "decided": {"order": ["<b>a</b>"], "rewritten": False}, "ms": 0.1}]
    fr = render.trace_html({"trace": trace, "refusal_rule": "low_confidence"}, "fr")
    assert fr.startswith("<details class=\"uca-trace\"><summary>Comment cette réponse a été trouvée</summary>")
    assert "<strong>Décision de répondre</strong> <code class=\"uca-trace-id\">gate</code>" in fr
    assert '<span class="uca-trace-key" title="confidence">confiance</span>: 0.41' in fr
    assert '<span class="uca-trace-key" title="refused">refusée</span>: oui' in fr
    assert '<span class="uca-trace-key" title="rewritten">réécrite</span>: non' in fr
    # a step and a decision no language names keep their own names; values stay escaped
    assert "<strong>toy_rerank</strong> <span" in fr and 'title="order">order</span>: [&#x27;&lt;b&gt;a' in fr
    en = render.trace_html({"trace": trace}, "en")
    assert "<strong>Answerability</strong> <code class=\"uca-trace-id\">gate</code>" in en
    assert ">refused</span>: yes" in en
    assert "Décision" not in en and "confiance" not in en


def test_interface_language_from_browser_tags():
    assert [ui_language(x) for x in ("fr-FR", "fr", "FR_ca", "en-GB", "de-DE", "", None)] == \
        ["fr", "fr", "fr", "en", "en", "en", "en"]
    assert t("fr", "cited_many", n=3) == "3 passages cités"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_rendered_panels_are_in_the_interface_language(lang):
    empty = render.sources_html(None, lang)
    assert html.escape(t(lang, "sources_empty"), quote=False) in html.unescape(empty) or t(lang, "sources_empty") in \
        html.unescape(empty)
    refusal = render.answer_markdown({"text": "No.", "refused": True}, lang)
    assert t(lang, "refusal_title") in refusal


# -- progress (item 2)

def test_ingest_progress_reaches_the_page_with_its_stage_and_fraction(fake_settings, fake_embedder):
    from ui.app import ChatApp

    (fake_settings.corpus_dir / "a.md").write_text("# A\n\n" + "The clinic is in Lyon. " * 400, encoding="utf-8")
    settings = fake_settings.model_copy(update={"embed_batch": 2})
    calls: list[tuple] = []

    def progress(fraction, desc=None):
        calls.append((fraction, desc))

    run_ingest(settings, embedder=fake_embedder, progress=ChatApp._reporter(progress, "fr"))
    embedding = [(f, d) for f, d in calls if d and d.startswith("Vectorisation")]
    assert len(embedding) >= 3, calls
    done, total = embedding[-1][0]
    assert done == total > 2 and embedding[-1][1] == f"Vectorisation de {total}/{total} extraits"
    assert embedding[0][0] == (0, total)
    stages = [d for _, d in calls]
    for stage in ("Parcours du corpus", "Lecture et découpage", "Écriture de l'index", "Bascule vers le nouvel index"):
        assert stage in stages, stages


# -- streaming in the chat (item 7)

class _Clock:
    """time.monotonic and time.sleep of ui.app, for a test: sleeping advances the clock, and so does ``tick``."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _streaming_app(fake_settings, parts: int, tick: float, clock: _Clock, **settings):
    from assistant.results import Answer
    from ui.app import ChatApp

    words = [f"w{i}" for i in range(parts)]

    class _Assistant:  # an answer whose partial texts come ``tick`` seconds apart
        def stream(self, question, history, k=None, mode=None):
            for i in range(1, parts + 1):
                clock.now += tick
                yield " ".join(words[:i])
            yield Answer(question=question, query=question, text=" ".join(words), refused=False, mode="extractive")

    return ChatApp(fake_settings.model_copy(update=settings), _Assistant())


@pytest.mark.parametrize(("tick", "pause", "paced"), [(0.0, 0.04, True), (0.05, 0.04, False), (0.0, 0.0, False)])
def test_updates_that_come_at_once_are_spaced_within_a_small_budget(fake_settings, monkeypatch, tick, pause, paced):
    import ui.app

    clock = _Clock()
    monkeypatch.setattr(ui.app.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(ui.app.time, "sleep", clock.sleep)
    app = _streaming_app(fake_settings, 10, tick, clock, stream_pause_seconds=pause, stream_steps=6)
    updates = list(app.respond("q", [], "extractive", 5, "en"))
    partials = [u[1][-1]["content"] for u in updates if u[1][-1]["content"].endswith("▍")]
    assert len(partials) == 10  # every partial text reaches the page
    assert sum(clock.sleeps) <= pause + 1e-9
    if paced:  # the budget is spent in pauses of at most pause / (steps - 1), one before each update
        assert len(clock.sleeps) >= 5 and max(clock.sleeps) <= pause / 5 + 1e-9
        assert sum(clock.sleeps) == pytest.approx(pause)
    else:  # slow updates (LLM tokens) or no budget: never held back
        assert clock.sleeps == []
