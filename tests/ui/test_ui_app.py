"""The chat app, served for real: ``uca chat`` on a free port of 127.0.0.1 over a real index (real corpus
plus a hostile document, real embedding model), driven through ``gradio_client`` and a real chromium.

Screenshots go to ``artifacts/screenshots/``; ``docs/screenshot-chat.png`` is written when missing or when
``UI_UPDATE_SCREENSHOT=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from testing.browser import launch
from testing.env import ROOT
from testing.servers import ChatServer, ingest

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-chat.png"
LEAK_URL = "http://127.0.0.1:9/"
QUEUE_SIZE = 4  # small (the burst behaviour is tested by tests/ui/test_load.py); these tests queue at most two events

HOSTILE_DOC = """# Zorblax Institute

## Location

The Zorblax Institute is located in Lyon <script>alert(1)</script> next to <img src=x onerror=alert(2)> the \
river, see [click](javascript:alert(3)) and ![x](http://127.0.0.1:9/leak.png) for the map.

The Zorblax Institute was founded by quantum gardeners.
"""
NEW_DOC = """# Quarnix Centre

The Quarnix Centre for oncology opened in Oslo in 2031, as a partner of the Zorblax Institute.
"""

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ChatServer]:
    """``uca chat`` on a copy of the corpus plus ``hostile.md``, indexed with the real model."""
    base = tmp_path_factory.mktemp("ui")
    corpus, index, log = base / "corpus", base / "index", base / "chat.log"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "hostile.md").write_text(HOSTILE_DOC, encoding="utf-8")
    ingest(corpus, index)
    with ChatServer(corpus, index, log, UCA_QUEUE_SIZE=str(QUEUE_SIZE), UCA_CONCURRENCY="1") as srv:
        yield srv


# -- the API, through gradio_client

@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


def test_ask_api_returns_the_answer_json_with_citations(client):
    from assistant.results import Answer

    result = client.predict("Where is HOPE's head office?", api_name="/ask")
    assert isinstance(result, dict), result
    assert set(result) >= {f.name for f in fields(Answer)}, "not the JSON object of answer.to_dict()"
    assert "Brussels" in result["text"]
    assert not result["refused"]
    assert len(result["citations"]) >= 1
    cited = result["citations"][0]
    assert cited["source"] == "unicancer-international.txt"
    assert "Brussels" in cited["text"][cited["sentence_start"]:cited["sentence_end"]]


def test_ask_api_reports_bad_questions_as_error_objects(client):
    empty = client.predict("", api_name="/ask")
    assert set(empty) == {"error"} and "empty" in empty["error"].lower()
    long = client.predict("why " * 1000, api_name="/ask")
    assert set(long) == {"error"} and "too long" in long["error"].lower()


def test_only_ask_is_a_public_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]


# -- the browser

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watched:
    page: object
    dialogs: list[str]
    requests: list[str]


@pytest.fixture
def page(browser, server) -> Iterator[Watched]:
    """A fresh page on the app, recording dialogs and requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    watched = Watched(pg, [], [])

    def on_dialog(dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("request", lambda r: watched.requests.append(r.url))
    pg.goto(server.url + "/")
    pg.wait_for_selector("#uca-question textarea")
    try:
        yield watched
    finally:
        context.close()


def _ask(pg, question: str) -> None:
    pg.fill("#uca-question textarea", question)
    pg.press("#uca-question textarea", "Enter")


def _bot(pg):
    return pg.locator("#uca-chat [data-testid='bot']")


def _answered(pg, count: int, text: str) -> None:
    """Wait for the ``count``-th answer to be complete (no streaming cursor) and to contain ``text``."""
    from playwright.sync_api import expect

    expect(_bot(pg)).to_have_count(count)
    last = _bot(pg).nth(count - 1)
    expect(last).to_contain_text(text)
    expect(last).not_to_contain_text("▍")


def _feedback(index: Path, question: str, timeout: float = 15) -> list[dict]:
    path = index / "feedback.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            mine = [r for r in rows if r["question"] == question]
            if mine:
                return mine
        time.sleep(0.2)
    return []


def _screenshot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    pg.screenshot(path=str(path))
    return path


@pytest.mark.browser
def test_chat_streams_an_answer_highlights_its_source_and_records_feedback(page, server):
    from playwright.sync_api import expect

    pg = page.page
    _ask(pg, "Where is HOPE's head office?")
    _answered(pg, 1, "Brussels")
    expect(_bot(pg).first).to_contain_text("[1]")
    mark = pg.locator("#uca-sources mark")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("Its head office is located in Brussels.")
    card = pg.locator("#uca-sources .uca-card").first
    expect(card).to_contain_text("unicancer-international.txt")
    expect(card).to_contain_text("HOPE, European Hospital and Healthcare Federation")
    _screenshot(pg, "chat-answer.png")

    pg.get_by_role("button", name="What is JANE?").click()
    _answered(pg, 2, "Joint Action of Network of Expertise")
    expect(pg.locator("#uca-chat [data-testid='user']").nth(1)).to_contain_text("What is JANE?")
    expect(pg.locator("#uca-sources mark", has_text="JANE").first).to_be_visible()

    pg.locator("#uca-chat button[aria-label='Like']").last.click()
    votes = _feedback(server.index, "What is JANE?")
    assert votes, "no feedback line for the liked answer"
    vote = votes[-1]
    assert vote["vote"] == "up"
    assert "Joint Action of Network of Expertise" in vote["answer"]
    assert vote["citations"] and vote["citations"][0]["source"] == "unicancer-international.txt"
    assert vote["time"]
    pg.mouse.move(0, 0)
    shot = _screenshot(pg, "chat-two-answers.png")
    if not DOCS_SCREENSHOT.exists() or os.environ.get("UI_UPDATE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)

    pg.locator("#uca-chat button[aria-label='Dislike']").first.click()
    downs = _feedback(server.index, "Where is HOPE's head office?")
    assert downs and downs[-1]["vote"] == "down"
    assert not page.dialogs


@pytest.mark.browser
def test_follow_up_shows_the_rewritten_query_and_refusal_is_a_note(page):
    from playwright.sync_api import expect

    pg = page.page
    _ask(pg, "What is JANE?")
    _answered(pg, 1, "JANE")
    _ask(pg, "And when did it start?")
    _answered(pg, 2, "2022")
    expect(pg.locator("#uca-sources .uca-query")).to_contain_text("Searched for:")
    _ask(pg, "What is the recipe of a good ratatouille?")
    expect(_bot(pg)).to_have_count(3)
    refusal = _bot(pg).nth(2)
    expect(refusal.locator("blockquote")).to_contain_text("Not in the documents")
    expect(pg.locator("#uca-sources")).to_contain_text("No passage answers this question")
    trace = pg.locator("#uca-sources details.uca-trace")  # collapsed: "How this answer was found"
    expect(trace.locator("summary")).to_have_text("How this answer was found")
    expect(trace.locator("ol")).not_to_be_visible()
    trace.locator("summary").click()
    expect(trace).to_contain_text("Refused by rule")
    expect(trace.locator("ol > li")).to_have_count(6)  # guard, small_talk, follow_up, language, retrieve, gate
    expect(trace).to_contain_text("gate")
    _screenshot(pg, "chat-follow-up-and-refusal.png")

    pg.locator("#uca-clear").click()
    expect(_bot(pg)).to_have_count(0)
    expect(pg.locator("#uca-sources .uca-card")).to_have_count(0)


@pytest.mark.browser
def test_a_too_long_question_gets_a_notice_not_an_error(page):
    from playwright.sync_api import expect

    pg = page.page
    question = "Tell me about Unicancer " * 120
    _ask(pg, question)
    toast = pg.locator("[data-testid='toast-body']")
    expect(toast).to_contain_text("too long")
    expect(toast).not_to_contain_text("Error")
    expect(_bot(pg)).to_have_count(0)
    assert pg.input_value("#uca-question textarea").strip() == question.strip(), "the question was lost"


@pytest.mark.browser
def test_llm_mode_is_not_offered_without_a_model(page):
    from playwright.sync_api import expect

    pg = page.page
    pg.locator("#uca-settings").get_by_text("Settings").click()
    expect(pg.locator("#uca-settings").get_by_label("extractive")).to_be_checked()
    expect(pg.locator("#uca-settings").get_by_label("llm")).to_have_count(0)
    expect(pg.locator("#uca-settings")).to_contain_text("no language model is configured")


@pytest.mark.browser
def test_hostile_document_text_is_shown_escaped_and_nothing_runs(page):
    from playwright.sync_api import expect

    pg = page.page
    _ask(pg, "Where is the Zorblax Institute located?")
    _answered(pg, 1, "Lyon")
    sources = pg.locator("#uca-sources")
    expect(sources.locator(".uca-card").first).to_contain_text("hostile.md")
    pg.wait_for_timeout(1500)  # time for an injected handler or image load to fire
    _screenshot(pg, "chat-hostile-document.png")

    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert pg.locator("img[src='x'], img[src*='leak.png'], img[onerror]").count() == 0
    assert pg.locator("a[href^='javascript:'], [onerror], [onclick*='alert']").count() == 0
    inline = pg.evaluate("Array.from(document.scripts).filter(s => s.textContent.includes('alert(')).length")
    assert inline == 0, "a <script> from the document reached the DOM"
    leaks = [u for u in page.requests if u.startswith(LEAK_URL)]
    assert leaks == [], f"the page requested {leaks}"

    answer = _bot(pg).first
    for shown in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[click](javascript:alert(3))"):
        expect(answer).to_contain_text(shown)
        expect(sources).to_contain_text(shown)
    expect(sources).to_contain_text("![x](http://127.0.0.1:9/leak.png)")


@pytest.mark.browser
def test_reingest_makes_a_new_document_live_and_a_second_ingest_is_refused(page, server):
    from playwright.sync_api import expect

    from ingest.pipeline import acquire_lock

    pg = page.page
    stats = pg.locator("#uca-stats")
    expect(stats).to_contain_text("hostile.md")
    expect(stats).not_to_contain_text("quarnix.md")

    lock = acquire_lock(server.index)  # what a concurrent `uca ingest` holds
    try:
        pg.locator("#uca-reingest").click()
        expect(pg.locator("#uca-reingest-status")).to_contain_text("already running", timeout=30_000)
    finally:
        lock.release()

    (server.corpus / "quarnix.md").write_text(NEW_DOC, encoding="utf-8")
    pg.locator("#uca-reingest").click()
    expect(pg.locator("#uca-reingest-status")).to_contain_text("Re-ingested", timeout=180_000)
    expect(pg.locator("#uca-reingest-status")).to_contain_text(re.compile(r"[1-9]\d* added"))
    expect(stats).to_contain_text("quarnix.md")
    _ask(pg, "In which city did the Quarnix Centre open?")
    _answered(pg, 1, "Oslo")
    expect(pg.locator("#uca-sources .uca-card").first).to_contain_text("quarnix.md")
