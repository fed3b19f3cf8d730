"""The Documents panel (issue 13 items 1 and 8): files added from the browser are checked by content, stored
under safe names, ingested through the CLI's pipeline and lock with a result per file; documents are removed
with a confirmation. Unit tests run :class:`ui.documents.Library` on a real ingest with the fake embedder; the
browser test drives a real ``uca chat`` (real model) in chromium.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import IngestLocked, acquire_lock
from ui import documents
from ui.documents import Library, UploadError, content_problem, safe_name

ROOT = Path(__file__).resolve().parents[2]
NOTES_MD = """# Vorpal Clinic

## Founding

The Vorpal Clinic for rare tumours was founded in Tromsø in 2029 by the Jabberwock Foundation.
"""
PDF_LINES = ["The Snark Registry of paediatric cancers is kept in Reykjavik.",
             "It was opened in 2030 with twelve partner hospitals."]
BINARY = bytes(range(256)) * 64


def _file(tmp: Path, name: str, data: bytes | str) -> str:
    """A file as Gradio hands it to the app: a temporary path whose last part is the browser's file name."""
    folder = tmp / "gradio" / str(len(list((tmp / "gradio").glob("*"))) if (tmp / "gradio").exists() else 0)
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


# -- names and content (unit)

@pytest.mark.parametrize(("given", "stored"), [
    ("notes.md", "notes.md"), ("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\x\\report.PDF", "report.pdf"),
    (".hidden.md", "hidden.md"), ("a\nb\x1b[31m.txt", "a_b__31m.txt"), ("Résumé été.md", "Résumé été.md"),
    ("x" * 300 + ".md", "x" * 197 + ".md"), ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),
])
def test_safe_names_keep_only_the_last_part_and_plain_characters(given, stored):
    assert safe_name(given) == stored


@pytest.mark.parametrize("given", ["evil.exe", "notes", "archive.md.zip", "../", "....md", "__.txt"])
def test_unsafe_or_unsupported_names_are_refused(given):
    with pytest.raises(UploadError):
        safe_name(given)


def test_content_decides_not_the_name(tmp_path, helpers):
    cases = {"binary.txt": BINARY, "nul.md": b"# Title\n\0\0 text", "latin1.txt": "Été à Paris".encode("latin-1"),
             "pdf-named.txt": helpers.make_pdf([["hello"]]), "text.pdf": b"just text", "empty.md": b"  \n"}
    reasons = {n: content_problem(Path(_file(tmp_path, n, d)), Path(n).suffix) for n, d in cases.items()}
    assert "binary content" in reasons["binary.txt"]
    assert "NUL" in reasons["nul.md"]
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "PDF" in reasons["pdf-named.txt"]
    assert "not a PDF" in reasons["text.pdf"]
    assert "empty" in reasons["empty.md"]
    ok = {"ok.md": NOTES_MD, "ok.pdf": helpers.make_pdf([PDF_LINES]), "ok.html": "<p>Été</p>"}
    assert all(content_problem(Path(_file(tmp_path, n, d)), Path(n).suffix) is None for n, d in ok.items())


# -- the library on a real ingest (fake embedder)

@pytest.fixture
def library(fake_settings, fake_embedder) -> Library:
    (fake_settings.corpus_dir / "base.md").write_text("# Base\n\nThe base document is about Lyon.\n")
    return Library(fake_settings, fake_embedder)


def test_add_stores_ingests_and_reports_each_file(library, tmp_path, helpers):
    files = [_file(tmp_path, "notes.md", NOTES_MD), _file(tmp_path, "snark.pdf", helpers.make_pdf([PDF_LINES])),
             _file(tmp_path, "binary.txt", BINARY), _file(tmp_path, "tool.exe", b"MZ")]
    results, summary = library.add(files, replace=False)
    by = {r.name: r for r in results}
    assert by["notes.md"].status == "added" and by["notes.md"].chunks >= 1
    assert by["snark.pdf"].status == "added" and by["snark.pdf"].chunks >= 1
    assert by["binary.txt"].status == "refused" and "binary content" in by["binary.txt"].reason
    assert by["tool.exe"].status == "refused" and "unsupported" in by["tool.exe"].reason
    corpus = library.settings.resolved_corpus_dir()
    assert sorted(p.name for p in corpus.iterdir()) == ["base.md", "notes.md", "snark.pdf"]
    assert not any(Path(f).exists() for f in files), "Gradio's temporary copies are left behind"
    listed = {d["source"]: d for d in documents.documents(library.settings)}
    assert set(listed) == {"base.md", "notes.md", "snark.pdf"}
    assert listed["notes.md"]["chunks"] == by["notes.md"].chunks and listed["notes.md"]["size"] > 0
    assert "2 of 4 files indexed" in summary


HIDDEN_HTML = "<html><body><script>alert(1)</script><p hidden>nothing to read</p></body></html>"


def test_refusals_are_said_in_the_interface_language(library, tmp_path):
    files = [_file(tmp_path, "binary.txt", BINARY), _file(tmp_path, "hidden.html", HIDDEN_HTML)]
    results, summary = library.add(files, replace=False, lang="fr")
    by = {r.name: r for r in results}
    # refused by the upload's content check, then by the HTML loader during the ingest (its skip code)
    assert by["binary.txt"].status == "refused" and by["binary.txt"].reason.startswith("contenu binaire")
    assert by["hidden.html"].status == "refused" and by["hidden.html"].reason == "aucun texte visible dans le HTML"
    assert summary.startswith("0 fichiers sur 2 indexés")
    assert not (library.settings.resolved_corpus_dir() / "hidden.html").exists()
    english, _ = library.add([_file(tmp_path, "hidden.html", HIDDEN_HTML)], replace=False)
    assert english[0].reason == "no visible text in HTML"


FRENCH_REPORT = ("# Rapport annuel\n\nLe réseau Unicancer réunit les centres de lutte contre le cancer. Il coordonne "
                 "des essais cliniques et participe à plusieurs actions conjointes européennes depuis 2022. Ses "
                 "équipes travaillent avec des partenaires de nombreux États membres de l'Union européenne, et "
                 "le rapport décrit chacun de ces projets, leurs objectifs, leurs budgets et leurs résultats.\n\n"
                 "## Abstract\n\nThe Unicancer network brings together the French comprehensive cancer centres. It "
                 "coordinates clinical trials and takes part in several European joint actions since 2022, with "
                 "partners from many member states of the European Union.\n")


def test_the_list_gives_each_document_its_languages_most_text_first(library, tmp_path):
    from ui import render

    library.add([_file(tmp_path, "rapport.md", FRENCH_REPORT)], replace=False)
    listed = {d["source"]: d for d in documents.documents(library.settings)}
    assert listed["base.md"]["languages"] == ["en"]
    assert listed["rapport.md"]["languages"] == ["fr", "en"]  # the French part is the longer
    out = render.documents_html(list(listed.values()), lang="fr")
    assert "<th>Langue</th>" in out and "<td>en</td>" in out


def test_no_overwrite_without_asking(library, tmp_path):
    library.add([_file(tmp_path, "notes.md", NOTES_MD)], replace=False)
    corpus = library.settings.resolved_corpus_dir()
    changed = NOTES_MD.replace("2029", "2031")
    results, _ = library.add([_file(tmp_path, "notes.md", changed)], replace=False)
    assert results[0].status == "refused" and "exists" in results[0].reason
    assert "2029" in (corpus / "notes.md").read_text()
    results, _ = library.add([_file(tmp_path, "notes.md", changed)], replace=True)
    assert results[0].status == "replaced"
    assert "2031" in (corpus / "notes.md").read_text()
    results, _ = library.add([_file(tmp_path, "notes.md", changed)], replace=True)
    assert results[0].status == "unchanged"


def test_limits_from_settings(fake_settings, fake_embedder, tmp_path):
    s = fake_settings.model_copy(update={"max_upload_files": 2, "max_upload_bytes": 100})
    lib = Library(s, fake_embedder)
    _, summary = lib.add([_file(tmp_path, f"n{i}.md", "# N\n\nshort.\n") for i in range(3)], replace=False)
    assert "limit is 2" in summary
    results, _ = lib.add([_file(tmp_path, "big.md", "# Big\n\n" + "word " * 100)], replace=False)
    assert results[0].status == "refused" and "limit is 100" in results[0].reason
    assert not (s.resolved_corpus_dir() / "big.md").exists()


def test_remove_takes_the_document_out_of_the_index(library, tmp_path):
    library.add([_file(tmp_path, "notes.md", NOTES_MD)], replace=False)
    results, _ = library.remove("notes.md")
    assert results[0].status == "removed"
    assert not (library.settings.resolved_corpus_dir() / "notes.md").exists()
    assert {d["source"] for d in documents.documents(library.settings)} == {"base.md"}
    assert library.remove("../outside.md")[0] == []  # only indexed documents


def test_a_running_ingest_refuses_changes_before_anything_is_stored(library, tmp_path):
    library.add([_file(tmp_path, "notes.md", NOTES_MD)], replace=False)
    lock = acquire_lock(library.settings.resolved_index_dir())
    try:
        with pytest.raises(IngestLocked):
            library.add([_file(tmp_path, "other.md", NOTES_MD)], replace=False)
        with pytest.raises(IngestLocked):
            library.remove("notes.md")
    finally:
        lock.release()
    corpus = library.settings.resolved_corpus_dir()
    assert not (corpus / "other.md").exists() and (corpus / "notes.md").exists()


# -- the browser, on a real `uca chat`

@pytest.fixture(scope="module")
def chat(tmp_path_factory) -> Iterator:
    from testing.servers import ChatServer, ingest

    base = tmp_path_factory.mktemp("documents")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    ingest(corpus, index)
    srv = ChatServer(corpus, index, base / "chat.log", GRADIO_TEMP_DIR=str(base / "gradio-tmp")).start()
    try:
        srv.wait()
        yield srv
    finally:
        srv.stop()


@pytest.mark.slow
@pytest.mark.browser
def test_documents_panel_uploads_lists_answers_refuses_and_removes(chat, tmp_path, helpers):
    from playwright.sync_api import expect, sync_playwright

    from testing.browser import launch

    expect.set_options(timeout=120_000)  # ingests and answers on a loaded machine
    up = tmp_path / "up"
    up.mkdir()
    (up / "vorpal.md").write_text(NOTES_MD, encoding="utf-8")
    (up / "snark.pdf").write_bytes(helpers.make_pdf([PDF_LINES]))
    (up / "fake.txt").write_bytes(BINARY)
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 950})
            pg.set_default_timeout(120_000)
            pg.goto(chat.url + "/")
            pg.locator("#uca-documents-panel").get_by_text("Documents").first.click()
            docs = pg.locator("#uca-documents")
            expect(docs).to_contain_text("unicancer-international.txt")

            pg.locator("#uca-upload input[type='file']").set_input_files([str(up / "vorpal.md"),
                                                                          str(up / "snark.pdf")])
            pg.locator("#uca-add").click()
            results = pg.locator("#uca-doc-results")
            expect(results).to_contain_text("2 of 2 files indexed")
            expect(results).to_contain_text("added vorpal.md")
            expect(results).to_contain_text("added snark.pdf")
            expect(docs).to_contain_text("vorpal.md")
            expect(docs).to_contain_text("snark.pdf")

            pg.locator("#uca-upload input[type='file']").set_input_files([str(up / "fake.txt")])
            pg.locator("#uca-add").click()
            expect(results).to_contain_text("refused fake.txt")
            expect(results).to_contain_text("binary content")
            expect(docs).not_to_contain_text("fake.txt")
            assert not (chat.corpus / "fake.txt").exists()

            bot = pg.locator("#uca-chat [data-testid='bot']")
            for n, (question, fact, source) in enumerate([
                    ("In which city was the Vorpal Clinic founded?", "Tromsø", "vorpal.md"),
                    ("Where is the Snark Registry kept?", "Reykjavik", "snark.pdf")], start=1):
                pg.fill("#uca-question textarea", question)
                pg.press("#uca-question textarea", "Enter")
                expect(bot).to_have_count(n)
                expect(bot.nth(n - 1)).not_to_contain_text("▍")
                expect(bot.nth(n - 1)).to_contain_text(fact)
                expect(pg.locator("#uca-sources .uca-card").first).to_contain_text(source)

            pg.locator("#uca-remove-choice input").click()
            pg.get_by_role("option", name="vorpal.md").click()
            pg.locator("#uca-remove").click()
            expect(pg.locator("#uca-remove-question")).to_contain_text("Remove vorpal.md")
            assert (chat.corpus / "vorpal.md").exists(), "removed before the confirmation"
            pg.locator("#uca-remove-yes").click()
            expect(results).to_contain_text("removed vorpal.md")
            expect(docs).not_to_contain_text("vorpal.md")
            assert not (chat.corpus / "vorpal.md").exists()

            pg.fill("#uca-question textarea", "In which city was the Vorpal Clinic founded?")
            pg.press("#uca-question textarea", "Enter")
            expect(bot).to_have_count(3)
            expect(bot.nth(2)).not_to_contain_text("▍")
            expect(bot.nth(2)).not_to_contain_text("Tromsø")
            # a file copied in on disk: Re-ingest shows it in the list, and so does a reloaded page
            (chat.corpus / "quarnix.md").write_text("# Quarnix\n\nThe Quarnix Centre opened in Oslo.\n")
            pg.locator("#uca-reingest").click()
            expect(pg.locator("#uca-reingest-status")).to_contain_text("Re-ingested")
            expect(docs).to_contain_text("quarnix.md")
            pg.reload()
            pg.locator("#uca-documents-panel").get_by_text("Documents").first.click()
            expect(pg.locator("#uca-documents")).to_contain_text("quarnix.md")
            expect(pg.locator("#uca-documents")).to_contain_text("snark.pdf")
            expect(pg.locator("#uca-documents")).not_to_contain_text("vorpal.md")
            temp = Path(chat.env["GRADIO_TEMP_DIR"])
            kept = [p for p in temp.rglob("*") if p.is_file() and p.stat().st_size]
            assert kept == [], f"uploaded copies left in Gradio's temporary folder: {kept}"
        finally:
            expect.set_options(timeout=5_000)  # Playwright's default, for the other modules
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_french_page_gets_french_refusals_of_uploads(chat, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from testing.browser import launch

    expect.set_options(timeout=120_000)
    (tmp_path / "fake.txt").write_bytes(BINARY)
    (tmp_path / "hidden.html").write_text(HIDDEN_HTML, encoding="utf-8")
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            pg = browser.new_context(viewport={"width": 1400, "height": 950}, locale="fr-FR").new_page()
            pg.set_default_timeout(120_000)
            pg.goto(chat.url + "/")
            pg.wait_for_selector("#uca-question textarea:not([disabled])")  # loaded, in French
            expect(pg.locator("#uca-send")).to_have_text("Demander")
            pg.locator("#uca-documents-panel").get_by_text("Documents").first.click()
            pg.locator("#uca-upload input[type='file']").set_input_files([str(tmp_path / "fake.txt"),
                                                                          str(tmp_path / "hidden.html")])
            expect(pg.locator("#uca-add")).to_have_text("Ajouter au corpus")
            pg.locator("#uca-add").click()
            results = pg.locator("#uca-doc-results")
            # the content check refuses the first, the HTML loader the second (a skip code of the ingest)
            expect(results).to_contain_text("refusé fake.txt: contenu binaire")
            expect(results).to_contain_text("refusé hidden.html: aucun texte visible dans le HTML")
            expect(results).to_contain_text("0 fichiers sur 2 indexés")
            for english in ("binary content", "no visible text", "refused"):
                expect(results).not_to_contain_text(english)
            assert not (chat.corpus / "fake.txt").exists() and not (chat.corpus / "hidden.html").exists()
        finally:
            expect.set_options(timeout=5_000)  # Playwright's default, for the other modules
            browser.close()


def _component_types(demo) -> set[str]:
    return {c["type"] for c in demo.get_config_file()["components"]}


def test_uploads_off_means_no_upload_component_and_a_refused_route(fake_settings, fake_embedder):
    from ui import server
    from ui.app import build_app

    class _Assistant:  # build_app only needs the embedder and the retriever's stats here
        embedder = fake_embedder

        class retriever:  # noqa: N801
            @staticmethod
            def stats() -> dict:
                return {"documents": 0, "chunks": 0, "sources": []}

    on = build_app(fake_settings, _Assistant())
    assert "file" in _component_types(on)
    off_settings = fake_settings.model_copy(update={"uploads": False})
    off = build_app(off_settings, _Assistant())
    assert "file" not in _component_types(off)
    guard = server.asgi_app(off, off_settings, "127.0.0.1", uploads=off_settings.uploads)
    assert guard.upload_limit is None
    assert server.asgi_app(on, fake_settings, "127.0.0.1", uploads=True).upload_limit == server.upload_body_limit(
        fake_settings.max_upload_files, fake_settings.max_upload_bytes)
