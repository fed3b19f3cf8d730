"""The side panels of the chat page, built inside :func:`ui.app.build_app`: Documents (upload, list, removal)
and Conversations (choose, new, rename, delete, export). Labels come from :mod:`ui.i18n`."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui import conversations as convs
from ui import documents, render
from ui.i18n import label, t

if TYPE_CHECKING:
    from ui.app import ChatApp


EXPORTS = "uca-exports"  # folder of the temporary directory where exports are written (Gradio serves a copy)


def _exports(max_age: float) -> Path:
    """The exports folder, without the exports older than ``max_age`` seconds (Gradio has its own copy)."""
    root = Path(tempfile.gettempdir()) / EXPORTS
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > max_age:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return root


def documents_panel(app: ChatApp, stats: Any, lang: Any, private: dict[str, Any]) -> tuple[Any, Any]:
    """The Documents accordion: upload (when allowed), the list, and removal with confirmation; (the list, the
    removal choice or ``None``), which the page refreshes on load and after a re-ingest."""
    settings = app.settings
    with gr.Accordion(label("documents"), open=False, elem_id="uca-documents-panel"):
        listing = gr.HTML(app.documents_html(), elem_id="uca-documents", js_on_load=None)
        if not settings.uploads:
            gr.Markdown(label("uploads_off"), elem_id="uca-uploads-off")
            return listing, None
        # the label has numbers in it: one text per language, chosen in the page
        sizes = {"suffixes": ", ".join(documents.UPLOAD_SUFFIXES), "files": settings.max_upload_files,
                 "mb": settings.max_upload_bytes // 1_000_000}
        files = gr.File(label=t("en", "add_documents", **sizes), file_count="multiple",
                        file_types=list(documents.UPLOAD_SUFFIXES), type="filepath", elem_id="uca-upload")
        replace = gr.Checkbox(False, label=label("replace"), elem_id="uca-replace")
        add = gr.Button(label("add"), variant="primary", size="sm", elem_id="uca-add")
        results = gr.HTML("", elem_id="uca-doc-results", js_on_load=None)
        choice = gr.Dropdown(app.document_choices(), value=None, label=label("remove_choice"),
                             elem_id="uca-remove-choice")
        remove = gr.Button(label("remove"), variant="secondary", size="sm", elem_id="uca-remove")
        with gr.Row(visible=False, elem_id="uca-remove-confirm") as confirm:
            question = gr.Markdown("", elem_id="uca-remove-question")
            yes = gr.Button(label("remove_yes"), variant="stop", size="sm", elem_id="uca-remove-yes")
            no = gr.Button(label("cancel"), size="sm", elem_id="uca-remove-cancel")

        def refreshed(code: str) -> tuple:
            return (app.documents_html(code), app.stats_html(code),
                    gr.update(choices=app.document_choices(), value=None, label=t(code, "remove_choice")))

        def on_add(f: Any, r: bool, code: str, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            return (app.add_documents(f, r, code, progress), None, *refreshed(code))

        def ask_remove(source: Any, code: str) -> tuple:
            if not source:
                return gr.update(visible=False), "", render.results_html([], t(code, "choose_document"), code)
            name = render.escape_markdown(render.visible(source))
            return gr.update(visible=True), t(code, "remove_question", name=name), ""

        def on_remove(source: Any, code: str, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            return (app.remove_document(source, code, progress), gr.update(visible=False), *refreshed(code))

        def upload_label(code: str) -> Any:
            return gr.update(label=t(code, "add_documents", **sizes))

        lang.change(upload_label, lang, files, queue=False, **private)
        # unlimited concurrency: a second change must be refused by the ingest lock at once, not queued
        add.click(on_add, [files, replace, lang], [results, files, listing, stats, choice], concurrency_limit=None,
                  **private)
        remove.click(ask_remove, [choice, lang], [confirm, question, results], queue=False, **private)
        yes.click(on_remove, [choice, lang], [results, confirm, listing, stats, choice], concurrency_limit=None,
                  **private)
        no.click(lambda: gr.update(visible=False), None, confirm, queue=False, **private)
    return listing, choice


class ConversationsPanel:
    """The conversation chooser with New, Rename, Delete (confirmed) and Export; the store lives in the browser
    (``gr.BrowserState``). ``wire`` connects it once the chat components exist."""

    def __init__(self, app: ChatApp) -> None:
        self.app = app
        self.store = gr.BrowserState(convs.empty(), storage_key=convs.STORAGE_KEY, secret=convs.STORAGE_SECRET)
        with gr.Column(elem_id="uca-conversations"):
            with gr.Row(elem_id="uca-conv-row"):
                self.choice = gr.Dropdown([], value=None, label=label("conversation"), show_label=False,
                                          container=False, scale=4, min_width=180, elem_id="uca-conv-choice")
                self.new = gr.Button(label("new_conversation"), size="sm", elem_id="uca-conv-new")
                self.rename = gr.Button(label("rename"), size="sm", elem_id="uca-conv-rename")
                self.delete = gr.Button(label("delete"), size="sm", variant="stop", elem_id="uca-conv-delete")
                self.export = gr.Button(label("export"), size="sm", elem_id="uca-conv-export")
            with gr.Row(visible=False, elem_id="uca-conv-rename-row") as self.rename_row:
                self.name = gr.Textbox(label=label("rename_label"), max_length=convs.TITLE_CHARS, scale=4,
                                       elem_id="uca-conv-name")
                self.save = gr.Button(label("rename"), size="sm", variant="primary", elem_id="uca-conv-save")
            with gr.Row(visible=False, elem_id="uca-conv-delete-row") as self.delete_row:
                self.question = gr.Markdown("", elem_id="uca-conv-delete-question")
                self.yes = gr.Button(label("delete_yes"), size="sm", variant="stop", elem_id="uca-conv-delete-yes")
                self.no = gr.Button(label("cancel"), size="sm", elem_id="uca-conv-delete-cancel")
            # a download button, not a gr.File: no upload component when uploads are off (UCA_UPLOADS=false)
            self.file = gr.DownloadButton(label("export_file"), visible=False, size="sm", elem_id="uca-conv-file")

    def choices(self, store: dict[str, Any], code: str) -> Any:
        return gr.update(choices=convs.choices(store, code), value=store["current"])

    def shown(self, store: dict[str, Any], code: str) -> tuple:
        """(store, chooser, turns, chatbot, sources, shown turn) for the current conversation of ``store``."""
        turns = convs.current(store)["turns"]
        last = len(turns) - 1
        sources = render.sources_html(turns[-1].get("answer") if turns else None, code, last)
        return store, self.choices(store, code), turns, self.app.messages(turns, code), sources, last

    def wire(self, lang: Any, turns: Any, chatbot: Any, sources: Any, shown_turn: Any, private: dict) -> None:
        settings = self.app.settings
        outputs = [self.store, self.choice, turns, chatbot, sources, shown_turn]

        def select(store: Any, conv_id: Any, code: str) -> tuple:
            return self.shown(convs.with_current(convs.clean(store, settings), conv_id), code)

        def new(store: Any, code: str) -> tuple:
            return self.shown(convs.with_new(convs.clean(store, settings), settings), code)

        def ask_rename(store: Any, code: str) -> tuple:
            store = convs.clean(store, settings)
            return gr.update(visible=True), convs.title_of(convs.current(store), code)

        def rename(store: Any, name: Any, code: str) -> tuple:
            store = convs.renamed(convs.clean(store, settings), name)
            return store, self.choices(store, code), gr.update(visible=False)

        def ask_delete(store: Any, code: str) -> tuple:
            title = convs.title_of(convs.current(convs.clean(store, settings)), code)
            return gr.update(visible=True), t(code, "delete_confirm", title=render.escape_markdown(title))

        def delete(store: Any, code: str) -> tuple:
            return (*self.shown(convs.deleted(convs.clean(store, settings)), code), gr.update(visible=False))

        def export(store: Any, code: str) -> Any:
            conv = convs.current(convs.clean(store, settings))
            folder = Path(tempfile.mkdtemp(prefix="uca-export-", dir=_exports(settings.upload_cache_seconds)))
            path = folder / convs.export_name(conv, code)
            path.write_text(convs.export_markdown(conv, code), encoding="utf-8")
            return gr.update(value=str(path), visible=True, label=t(code, "export_file"))

        self.choice.input(select, [self.store, self.choice, lang], outputs, queue=False, **private)
        self.new.click(new, [self.store, lang], outputs, queue=False, **private)
        self.rename.click(ask_rename, [self.store, lang], [self.rename_row, self.name], queue=False, **private)
        self.save.click(rename, [self.store, self.name, lang], [self.store, self.choice, self.rename_row],
                        queue=False, **private)
        self.name.submit(rename, [self.store, self.name, lang], [self.store, self.choice, self.rename_row],
                         queue=False, **private)
        self.delete.click(ask_delete, [self.store, lang], [self.delete_row, self.question], queue=False, **private)
        self.yes.click(delete, [self.store, lang], [*outputs, self.delete_row], queue=False, **private)
        self.no.click(lambda: gr.update(visible=False), None, self.delete_row, queue=False, **private)
        self.export.click(export, [self.store, lang], self.file, **private)

    def saved(self, store: Any, turns: list[dict[str, Any]], code: str) -> tuple:
        """After an answer or a clear: the current conversation's turns written to the store."""
        store = convs.with_turns(convs.clean(store, self.app.settings), turns, self.app.settings)
        return store, self.choices(store, code)
