"""The chat for daily use (issue 13, items 3-7), served for real: ``uca chat`` on 127.0.0.1 over the real corpus
plus a Markdown and a PDF document (real embedding model), driven in Debian's chromium.

Citations you can follow, the document viewer, conversations that survive a reload, French and English, dark
mode contrast, the phone layout, the answer modes offered. Screenshots go to ``artifacts/screenshots/``; the
README's ``docs/screenshot-*.png`` are written when missing or when ``UI_UPDATE_SCREENSHOT=1``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.browser import launch
from testing.env import ROOT
from testing.fakes import passages_in
from testing.servers import ChatServer, StubOpenAI, ingest

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs"
MIN_CONTRAST = 4.5  # WCAG AA for body text
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 950}
PHONE_GAP = 40  # px: the layout's two gaps (16 px each) between the question box, the sources title and the sources

VORPAL_MD = """# Vorpal Clinic

## Founding

The Vorpal Clinic for rare tumours was founded in Tromsø in 2029 by the Jabberwock Foundation. It treats rare \
cancers of children.

## Partners and funding

Its partners are the Snark Registry and the Boojum Trust.
"""
PDF_PAGES = [["The Bandersnatch Network report, first page.", "It covers the year 2030."],
             ["The Bandersnatch Network is based in Tallinn.", "It links twelve cancer hospitals."]]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """The corpus plus a Markdown and a PDF document, indexed (``index``), and a copy of that index
    (``index-llm``) for the app with a language model."""
    from tests.conftest import make_pdf

    base = tmp_path_factory.mktemp("daily")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "vorpal.md").write_text(VORPAL_MD, encoding="utf-8")
    (corpus / "bandersnatch.pdf").write_bytes(make_pdf(PDF_PAGES))
    ingest(corpus, index)
    shutil.copytree(index, base / "index-llm")  # before any server opens the index
    return base


@pytest.fixture(scope="module")
def server(indexed) -> Iterator[ChatServer]:
    with ChatServer(indexed / "corpus", indexed / "index", indexed / "chat.log",
                    GRADIO_TEMP_DIR=str(indexed / "gradio-tmp")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


def _open(browser, server, *, locale: str = "en-US", viewport: dict | None = None, query: str = "",
          touch: bool = False):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    context = browser.new_context(viewport=viewport or DESKTOP, locale=locale, accept_downloads=True,
                                  has_touch=touch)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(f"{server.url}/{query}")
    _loaded(pg)
    return context, pg


def _loaded(pg) -> None:
    """Wait for the page to have loaded its conversation (the question box is enabled then)."""
    pg.wait_for_selector("#uca-question textarea:not([disabled])")


@pytest.fixture
def page(browser, server):
    context, pg = _open(browser, server)
    try:
        yield pg
    finally:
        context.close()


def _bot(pg):
    return pg.locator("#uca-chat [data-testid='bot']")


def _ask(pg, question: str, count: int, text: str | None = None) -> None:
    """Ask ``question`` and wait for answer number ``count`` to be complete (and contain ``text``)."""
    from playwright.sync_api import expect

    pg.fill("#uca-question textarea", question)
    pg.press("#uca-question textarea", "Enter")
    expect(_bot(pg)).to_have_count(count)
    last = _bot(pg).nth(count - 1)
    expect(last).not_to_contain_text("▍")
    if text:
        expect(last).to_contain_text(text)


def _screenshot(pg, name: str, docs_name: str | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    pg.screenshot(path=str(path))
    if docs_name and (not (DOCS / docs_name).exists() or os.environ.get("UI_UPDATE_SCREENSHOT") == "1"):
        shutil.copyfile(path, DOCS / docs_name)


def _in_view(pg, selector: str) -> bool:
    """Whether the element is inside the viewport and inside every scrolling box around it."""
    return pg.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const r = el.getBoundingClientRect();
        if (r.bottom <= 0 || r.top >= innerHeight) return false;
        for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
            const s = getComputedStyle(box);
            if (!/(auto|scroll)/.test(s.overflowY)) continue;
            const b = box.getBoundingClientRect();
            if (r.bottom <= b.top || r.top >= b.bottom) return false;
        }
        return true;
    }""", selector)


# -- item 4: citations you can follow

def test_each_marker_links_to_its_card_numbered_in_answer_order_and_flashes_it(page):
    from playwright.sync_api import expect

    _ask(page, "Who are the partners of the Vorpal Clinic?", 1, "Snark Registry")
    answer = _bot(page).first
    links = answer.locator("a[href^='#uca-src-']")
    expect(links.first).to_be_visible()
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    numbers = [int(h.rsplit("-", 1)[1]) for h in hrefs]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == list(range(1, len(first_seen) + 1)), f"markers not in answer order: {numbers}"
    cards = page.locator("#uca-sources .uca-card")
    ids = cards.evaluate_all("els => els.map(e => e.id)")
    assert ids == [f"uca-src-0-{n}" for n in range(1, len(ids) + 1)], ids
    assert set(first_seen) <= {int(i.rsplit("-", 1)[1]) for i in ids}

    page.set_viewport_size({"width": 1400, "height": 500})  # short: the last card starts out of view
    last = hrefs[-1]
    links.last.click()
    card = page.locator(last)
    expect(card).to_have_class(re.compile(r"\buca-flash\b"))
    assert _in_view(page, last), "the card of the clicked marker was not scrolled into view"
    assert len(page.context.pages) == 1, "the link opened a new tab"
    # Markdown headings of the passage render as headings, not as "## ..."
    heading = page.locator("#uca-sources .uca-card .uca-h", has_text="Partners and funding")
    expect(heading.first).to_be_visible()
    assert heading.first.evaluate("e => e.tagName") in ("H3", "H4", "H5", "H6")
    expect(page.locator("#uca-sources")).not_to_contain_text("## ")


def test_an_earlier_answers_marker_brings_its_sources_back(page):
    from playwright.sync_api import expect

    _ask(page, "Where is HOPE's head office?", 1, "Brussels")
    _ask(page, "When was the Vorpal Clinic founded?", 2, "2029")
    expect(page.locator("#uca-src-1-1")).to_contain_text("vorpal.md")
    _bot(page).first.locator("a[href='#uca-src-0-1']").click()
    card = page.locator("#uca-src-0-1")
    expect(card).to_contain_text("unicancer-international.txt")
    expect(card).to_have_class(re.compile(r"\buca-flash\b"))


def test_copy_gives_clean_text_with_markers_and_a_sources_list(page):
    _ask(page, "Where is HOPE's head office?", 1, "Brussels")
    answer = _bot(page).first
    answer.hover()
    page.locator("#uca-chat button[aria-label='Copy message']").last.click()  # the answer's (after the question's)
    page.wait_for_function("navigator.clipboard.readText().then(t => t.length > 0)")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Brussels. [1]" in copied, copied
    assert "\\[" not in copied and "](#" not in copied and "**" not in copied, copied
    assert re.search(r"Sources:\n- \[1\] .*unicancer-international\.txt", copied), copied


def test_pdf_card_gives_the_page_and_view_in_document_highlights_the_passage(page):
    from playwright.sync_api import expect

    _ask(page, "Where is the Bandersnatch Network based?", 1, "Tallinn")
    card = page.locator("#uca-sources .uca-card").first
    expect(card).to_contain_text("bandersnatch.pdf")
    expect(card.locator(".uca-path")).to_contain_text("page 2")
    card.locator("button.uca-view").click()
    viewer = page.locator("#uca-viewer")
    expect(viewer.locator("mark.uca-view-passage").first).to_be_visible()
    expect(viewer.locator("mark.uca-support")).to_contain_text("based in Tallinn")
    expect(viewer).to_contain_text("first page")  # the whole document, not only the passage
    expect(viewer.locator(".uca-page", has_text="page 2")).to_have_count(1)


def test_view_in_document_scrolls_to_the_passage_of_a_long_document(page):
    from playwright.sync_api import expect

    _ask(page, "Since when is Unicancer a member of UICC?", 1, "2015")
    page.locator("#uca-sources .uca-card button.uca-view").first.click()
    viewer = page.locator("#uca-viewer")
    expect(viewer.locator("mark.uca-support")).to_contain_text("UICC")
    page.wait_for_function("""() => {
        const t = document.querySelector('#uca-view-target');
        const box = document.querySelector('#uca-viewer .html-container');
        return t && box && box.scrollTop > 0;
    }""")
    assert _in_view(page, "#uca-viewer mark.uca-support"), "the viewer did not scroll to the passage"
    _screenshot(page, "daily-viewer.png")
    page.locator("#uca-viewer-close").click()
    expect(page.locator("#uca-viewer-box")).to_be_hidden()


# -- item 3: conversations that last

def test_conversations_survive_a_reload_and_are_kept_renamed_exported_deleted(browser, server):
    from playwright.sync_api import expect

    context, pg = _open(browser, server)
    try:
        _ask(pg, "What is JANE?", 1, "Joint Action")
        expect(pg.locator("#uca-conv-choice input")).to_have_value("What is JANE?")  # kept by the browser
        pg.reload()
        _loaded(pg)
        expect(_bot(pg)).to_have_count(1)
        expect(_bot(pg).first).to_contain_text("Joint Action")
        expect(pg.locator("#uca-sources .uca-card").first).to_be_visible()

        pg.locator("#uca-conv-new").click()
        expect(_bot(pg)).to_have_count(0)
        _ask(pg, "Where is HOPE's head office?", 1, "Brussels")
        pg.locator("#uca-conv-rename").click()
        pg.locator("#uca-conv-name textarea, #uca-conv-name input").first.fill("HOPE <b>notes</b>")
        pg.locator("#uca-conv-save").click()
        expect(pg.locator("#uca-conv-choice input")).to_have_value("HOPE <b>notes</b>")

        pg.locator("#uca-conv-choice input").click()
        pg.get_by_role("option", name="What is JANE?").click()
        expect(_bot(pg).first).to_contain_text("Joint Action")

        pg.reload()
        _loaded(pg)
        expect(pg.locator("#uca-conv-choice input")).to_have_value("What is JANE?")
        pg.locator("#uca-conv-choice input").click()
        pg.get_by_role("option", name="HOPE <b>notes</b>").click()
        expect(_bot(pg).first).to_contain_text("Brussels")

        pg.locator("#uca-conv-export").click()
        with pg.expect_download() as download:
            pg.locator("#uca-conv-file").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        # the file is fetched by an alias: the server's temporary folder is not named to the page
        assert "/file=uca-files/" in download.value.url, download.value.url
        assert "# Conversation: HOPE &lt;b&gt;notes&lt;/b&gt;" in text, text
        assert "**Question:** Where is HOPE's head office?" in text
        assert re.search(r"\*\*Answer:\*\* .*Brussels\. \[1\]", text), text
        assert re.search(r"- \[1\] .*unicancer-international\.txt", text) and "  > " in text, text

        pg.locator("#uca-conv-delete").click()
        expect(pg.locator("#uca-conv-delete-question")).to_contain_text("HOPE <b>notes</b>")
        pg.locator("#uca-conv-delete-yes").click()
        expect(pg.locator("#uca-conv-choice input")).to_have_value("What is JANE?")
        pg.reload()
        _loaded(pg)
        pg.locator("#uca-conv-choice input").click()
        expect(pg.get_by_role("option")).to_have_count(1)
    finally:
        context.close()


# -- item 5: interface languages

def test_french_browser_gets_french_labels_and_a_french_refusal_and_can_switch(browser, server):
    from playwright.sync_api import expect

    context, pg = _open(browser, server, locale="fr-FR")
    try:
        expect(pg.locator("#uca-send")).to_have_text("Demander")
        expect(pg.locator("#uca-header h1")).to_contain_text("Assistant documentaire")
        expect(pg.locator("#uca-settings")).to_contain_text("Réglages")
        expect(pg.locator("#uca-lang input[value='fr']")).to_be_checked()
        expect(pg.locator("#uca-question textarea")).to_have_attribute("placeholder", re.compile("Tapez une question"))
        _ask(pg, "Quelle est la recette de la ratatouille ?", 1, "Absent des documents")
        expect(_bot(pg).first).to_contain_text("Les documents ne traitent pas cette question")
        expect(pg.locator("#uca-sources")).to_contain_text("Aucun passage ne répond")
        trace = pg.locator("#uca-sources details.uca-trace")
        trace.locator("summary").click()
        expect(trace.locator("ol > li strong").last).to_have_text("Décision de répondre")
        expect(trace).to_contain_text("confiance")
        _ask(pg, "Bonjour", 2, "Bonjour !")
        pg.fill("#uca-question textarea", "Parlez-moi d'Unicancer " * 200)
        pg.press("#uca-question textarea", "Enter")
        expect(pg.locator("[data-testid='toast-body']")).to_contain_text("La question est trop longue")
        pg.fill("#uca-question textarea", "")
        _screenshot(pg, "daily-french.png")

        pg.locator("#uca-lang").get_by_text("English").click()
        expect(pg.locator("#uca-send")).to_have_text("Ask")
        expect(pg.locator("#uca-settings")).to_contain_text("Settings")
        expect(_bot(pg).first).to_contain_text("Not in the documents")
        pg.reload()
        _loaded(pg)
        expect(pg.locator("#uca-send")).to_have_text("Ask")  # the switch is remembered over the browser's language
        expect(pg.locator("#uca-lang input[value='en']")).to_be_checked()
    finally:
        context.close()


# -- item 6: dark mode and the phone

def _contrast(pg, selector: str) -> float:
    """The contrast ratio of an element's text colour on its background (both computed, opaque)."""
    return pg.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92
            : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
        const s = getComputedStyle(el);
        const a = lum(rgb(s.color)), b = lum(rgb(s.backgroundColor));
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""", selector)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_highlighted_sentence_is_readable_in_light_and_dark_mode(browser, server, theme):
    from playwright.sync_api import expect

    context, pg = _open(browser, server, query=f"?__theme={theme}")
    try:
        _ask(pg, "Where is HOPE's head office?", 1, "Brussels")
        expect(pg.locator("#uca-sources mark.uca-support")).to_be_visible()
        assert pg.evaluate("document.body.classList.contains('dark')") == (theme == "dark")
        ratio = _contrast(pg, "#uca-sources mark.uca-support")
        assert ratio >= MIN_CONTRAST, f"{theme}: highlighted sentence contrast {ratio:.2f}"
        card = pg.locator("#uca-sources .uca-card").first  # the sentence is one mark, the answer span bold inside
        expect(card.locator("mark.uca-support")).to_have_count(1)
        expect(card.locator("mark.uca-support strong.uca-answer")).to_have_text("Brussels")
        ratio = _contrast(pg, "#uca-sources mark.uca-support strong.uca-answer")
        assert ratio >= MIN_CONTRAST, f"{theme}: answer span contrast {ratio:.2f}"
        pg.mouse.move(0, 0)
        _screenshot(pg, f"daily-desktop-{theme}.png", f"screenshot-desktop-{theme}.png")
        pg.locator("#uca-sources .uca-card button.uca-view").first.click()
        expect(pg.locator("#uca-viewer mark.uca-support")).to_be_visible()
        for sel in ("#uca-viewer mark.uca-view-passage", "#uca-viewer mark.uca-support",
                    "#uca-sources .uca-badge"):
            ratio = _contrast(pg, sel)
            assert ratio >= MIN_CONTRAST, f"{theme}: {sel} contrast {ratio:.2f}"
        pg.locator("#uca-viewer-close").click()
    finally:
        context.close()


def _page_width(pg) -> int:
    return pg.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def test_phone_layout_has_no_overflow_opens_at_the_top_and_puts_sources_under_the_answer(browser, server):
    from playwright.sync_api import expect

    context, pg = _open(browser, server, viewport=PHONE, touch=True)
    try:
        pg.wait_for_timeout(1000)  # late layout shifts and focus would scroll now
        assert pg.evaluate("window.scrollY") == 0, "the page did not open at the top"
        _ask(pg, "Where is HOPE's head office?", 1, "Brussels")
        cards = pg.locator("#uca-sources .uca-card")
        expect(cards.first).to_be_visible()
        assert _page_width(pg) <= PHONE["width"], f"the page is {_page_width(pg)} px wide"
        send = pg.locator("#uca-send").bounding_box()
        assert send and send["x"] + send["width"] <= PHONE["width"], "the Ask button is cut off"
        box = {sel: pg.locator(sel).bounding_box() for sel in
               ("#uca-chat", "#uca-input", "#uca-sources-title", "#uca-sources", "#uca-examples-box",
                "#uca-settings")}
        y = {sel: b["y"] for sel, b in box.items()}
        assert y["#uca-chat"] < y["#uca-input"] < y["#uca-sources"] < y["#uca-examples-box"] < y["#uca-settings"], y
        # directly under the answer: only the question box and the panel's title come between
        below_input = box["#uca-input"]["y"] + box["#uca-input"]["height"]
        title = box["#uca-sources-title"]
        assert below_input <= title["y"] and title["y"] + title["height"] <= y["#uca-sources"], box
        assert y["#uca-sources"] - below_input <= title["height"] + PHONE_GAP, box
        pg.evaluate("document.querySelector('#uca-chat').scrollIntoView()")
        _screenshot(pg, "daily-phone.png", "screenshot-phone.png")

        # the sources fold and unfold with a tap on their count, and the page stays as wide as the phone
        toggle = pg.locator("#uca-sources details.uca-fold > summary")
        expect(toggle).to_have_text("1 cited passage")
        toggle.tap()
        expect(cards.first).to_be_hidden()
        expect(toggle).to_be_visible()
        assert pg.locator("#uca-sources").bounding_box()["height"] < box["#uca-sources"]["height"] / 2
        assert _page_width(pg) <= PHONE["width"], f"folded: the page is {_page_width(pg)} px wide"
        toggle.tap()
        expect(cards.first).to_be_visible()
        assert _page_width(pg) <= PHONE["width"], f"unfolded: the page is {_page_width(pg)} px wide"
        # folded, a followed [n] unfolds them to show its card
        toggle.tap()
        expect(cards.first).to_be_hidden()
        _bot(pg).first.locator("a[href='#uca-src-0-1']").tap()
        expect(cards.first).to_be_visible()
        expect(cards.first).to_have_class(re.compile(r"\buca-flash\b"))
    finally:
        context.close()


# -- item 7: small things

def test_llm_mode_is_not_offered_without_a_model_and_examples_ask_themselves(page):
    from playwright.sync_api import expect

    page.locator("#uca-settings").get_by_text("Settings").click()
    mode = page.locator("#uca-mode")
    expect(mode.locator("input[type='radio']")).to_have_count(1)
    expect(mode.locator("input[value='extractive']")).to_be_checked()
    expect(mode).to_contain_text("llm is not offered: no language model is configured")
    _ask(page, "Hello", 1, "For example")
    page.locator("#uca-chat a[href='#uca-ask']", has_text="What is JANE?").click()
    expect(_bot(page)).to_have_count(2)
    expect(page.locator("#uca-chat [data-testid='user']").nth(1)).to_have_text("What is JANE?")
    expect(_bot(page).nth(1)).to_contain_text("Joint Action")


def test_regenerate_answers_the_last_question_again_and_stop_shows_while_answering(page):
    from playwright.sync_api import expect

    page.evaluate("""() => { window.stopSeen = false;
        new MutationObserver(() => { const b = document.querySelector('#uca-stop');
            if (b && b.getClientRects().length) window.stopSeen = true; })
        .observe(document.body, {subtree: true, childList: true, attributes: true}); }""")
    page.fill("#uca-question textarea", "What is JANE?")
    page.press("#uca-question textarea", "Enter")
    expect(_bot(page)).to_have_count(1)
    expect(_bot(page).first).to_contain_text("Joint Action")
    expect(page.locator("#uca-send")).to_be_visible()
    expect(page.locator("#uca-stop")).to_be_hidden()
    assert page.evaluate("window.stopSeen"), "Stop did not replace Ask while the answer was written"
    first = _bot(page).first.inner_text()
    page.locator("#uca-chat button[aria-label='Retry']").last.click()
    expect(page.locator("#uca-chat [data-testid='user']")).to_have_count(1)
    expect(_bot(page)).to_have_count(1)
    expect(_bot(page).first).not_to_contain_text("▍")
    expect(_bot(page).first).to_have_text(first)
    page.wait_for_timeout(1000)  # the store is written after the answer
    page.reload()
    _loaded(page)
    expect(_bot(page)).to_have_count(1)  # the store holds the question once


PARTIALS_JS = """() => { window.ucaPartials = [];
    new MutationObserver(() => {
        const bots = document.querySelectorAll('#uca-chat [data-testid=bot]');
        const text = bots.length ? bots[bots.length - 1].innerText : '';
        const seen = window.ucaPartials;
        if (text.includes('▍') && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.querySelector('#uca-chat'), {subtree: true, childList: true, characterData: true}); }"""


def test_an_extractive_answer_appears_in_several_growing_updates(page):
    page.evaluate(PARTIALS_JS)
    _ask(page, "Where is HOPE's head office?", 1, "Brussels")  # a one-sentence answer
    partials = [p.replace("▍", "").strip() for p in page.evaluate("window.ucaPartials")]
    assert len(partials) >= 2, f"the answer was shown in {len(partials)} partial update(s): {partials}"
    for shorter, longer in zip(partials, partials[1:], strict=False):
        assert longer.startswith(shorter) and len(longer) > len(shorter), partials
    assert _bot(page).first.inner_text().startswith(partials[-1])


# -- stop while a language model streams

TOKEN_SECONDS = 0.15  # between two tokens of the stub model: a long reply streams for seconds
LONG_REPLY = 60  # sentences of the reply to a question asking for details (about 7 tokens each)
SETTLE_TOKENS = 8  # token intervals waited after Stop for a late update to show
STOP_ROUNDS = 2  # answers stopped in a row (a late partial update reached the page after Stop in 1 of 3 runs)


def _llm_script(messages: list[dict]) -> str:
    """The stub model: a follow-up rewritten as itself; otherwise the head office of HOPE cited from its passage,
    one sentence, or LONG_REPLY of them when the question asks for details."""
    prompt = "\n".join(str(m["content"]) for m in messages)
    if "Standalone question:" in prompt:
        return prompt.rsplit("Last question:", 1)[1].split("\n", 1)[0].strip()
    n = next((n for n, body in sorted(passages_in(messages).items()) if "Brussels" in body), None)
    if n is None:
        return "The documents do not say."
    question = prompt.rsplit("Question:", 1)[1]
    return f"HOPE's head office is located in Brussels [{n}]. " * (LONG_REPLY if "detail" in question else 1)


@pytest.fixture(scope="module")
def llm(indexed) -> Iterator[tuple[ChatServer, StubOpenAI]]:
    """``uca chat`` in the LLM answer mode, its model a slow OpenAI-compatible stub on 127.0.0.1."""
    with StubOpenAI(_llm_script, token_seconds=TOKEN_SECONDS) as stub:
        env = {"UCA_LLM": "openai:stub-model", "UCA_LLM_BASE_URL": stub.base_url, "UCA_LLM_API_KEY": "test",
               "UCA_ANSWER_MODE": "llm", "GRADIO_TEMP_DIR": str(indexed / "gradio-tmp-llm")}
        with ChatServer(indexed / "corpus", indexed / "index-llm", indexed / "chat-llm.log", **env) as srv:
            yield srv, stub


def test_stop_ends_a_streaming_llm_answer_and_the_next_question_is_answered(browser, llm):
    from playwright.sync_api import expect

    srv, stub = llm
    context, pg = _open(browser, srv)
    try:
        pg.locator("#uca-settings").get_by_text("Settings").click()
        expect(pg.locator("#uca-mode input[value='llm']")).to_be_checked()
        for _ in range(STOP_ROUNDS):
            streams = len(stub.streams)
            pg.fill("#uca-question textarea", "Where is HOPE's head office? Give every detail.")
            pg.press("#uca-question textarea", "Enter")
            expect(_bot(pg).first).to_contain_text(re.compile(r"Brussels.*Brussels.*▍", re.S))  # streaming
            expect(pg.locator("#uca-send")).to_be_hidden()
            pg.locator("#uca-stop").click()
            expect(pg.locator("#uca-send")).to_be_visible()
            expect(pg.locator("#uca-stop")).to_be_hidden()
            expect(_bot(pg)).to_have_count(0)  # the unfinished answer (its claims unchecked) goes, and its question
            # the chat's messages (Gradio's own status timer, "0.1s", may still be fading out of the element)
            messages = pg.locator("#uca-chat [data-testid='user'], #uca-chat [data-testid='bot']")
            shown = "\n".join(messages.all_inner_texts())
            pg.wait_for_timeout(SETTLE_TOKENS * TOKEN_SECONDS * 1000)
            assert "\n".join(messages.all_inner_texts()) == shown, "the chat changed after Stop"
            assert "▍" not in shown and "Brussels" not in shown
            record = stub.streams[streams]
            assert record["cut"] and not record["finished"], record  # the app stopped reading the model
            assert record["sent"] < record["tokens"] / 2, record
            sent = record["sent"]
            pg.wait_for_timeout(SETTLE_TOKENS * TOKEN_SECONDS * 1000)
            assert record["sent"] == sent, "the model was still read after Stop"

        _ask(pg, "Where is HOPE's head office?", 1, "Brussels")
        expect(_bot(pg).first).to_contain_text("[1]")
        assert stub.streams[-1]["finished"]
        expect(pg.locator("#uca-sources .uca-card").first).to_contain_text("unicancer-international.txt")
    finally:
        context.close()
