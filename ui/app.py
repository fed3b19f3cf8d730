"""The Gradio app of ``uca chat``: streamed cited answers, their sources, the corpus panel with re-ingest,
feedback, and the ``/ask`` API endpoint.

Safety: every text from documents or users goes through :mod:`ui.render` (escaped); Gradio's HTML
sanitising stays on; no ``allowed_paths``; no share link; a bounded queue with concurrency limits.
"""

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from assistant.core import EXAMPLE_QUESTIONS, Assistant
from assistant.guard import QuestionError
from assistant.results import Answer
from ingest.pipeline import IngestLocked, run_ingest
from ingest.settings import Settings
from ui import documents, feedback, render, server

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.jsonl"
SLOW_ENV = "UCA_TEST_SLOW_ANSWER"  # test hook: seconds each `/ask` answer waits first (see build_app)
TITLE = "Unicancer International · Document Assistant"
MAX_K = 20
CACHE_SWEEP_SECONDS = 60  # how often Gradio looks for expired temporary (uploaded) files
# the vote values the page sends (gradio's chatbot: true = Like, false = Dislike, "" = vote withdrawn)
VOTES: dict[Any, str] = {True: "up", False: "down", "Like": "up", "Dislike": "down", "": "cleared", None: "cleared"}

CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto !important; }
#uca-header { padding: 6px 4px 2px; }
#uca-header h1 { font-size: 1.55rem; font-weight: 700; margin: 0; letter-spacing: -0.01em; }
#uca-header h1 .uca-accent { color: var(--color-accent); }
#uca-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
.uca-panel-title { font-weight: 650; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--body-text-color-subdued); margin: 2px 2px 6px; }
#uca-examples-box { gap: 2px !important; }
#uca-input { align-items: center; }
#uca-send, #uca-clear { white-space: nowrap; }
#uca-examples { gap: 6px !important; flex-wrap: wrap !important; }
#uca-examples button { flex: 0 1 auto !important; min-width: 0 !important; font-weight: 500;
  border-radius: 999px !important; font-size: 0.82rem !important; padding: 4px 12px !important; }
#uca-sources { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  background: var(--background-fill-secondary); padding: 10px; }
.uca-sources p { margin: 0 0 8px; }
.uca-empty p, .uca-refused p { color: var(--body-text-color-subdued); }
.uca-count { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.uca-query { font-size: 0.9rem; padding: 6px 10px; border-radius: 8px; background: var(--background-fill-primary);
  border: 1px dashed var(--border-color-primary); }
.uca-card { background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  border-radius: 10px; padding: 10px 12px; margin: 0 0 10px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.uca-card header { display: flex; align-items: flex-start; gap: 10px; margin-bottom: 6px; }
.uca-n { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 26px; height: 26px;
  border-radius: 50%; background: var(--color-accent); color: white; font-weight: 700; font-size: 0.85rem; }
.uca-where { flex: 1; min-width: 0; }
.uca-doc { font-weight: 600; font-size: 0.92rem; line-height: 1.3; }
.uca-file { font-weight: 400; color: var(--body-text-color-subdued); font-size: 0.8rem; margin-left: 4px; }
.uca-path { font-size: 0.82rem; color: var(--body-text-color-subdued); line-height: 1.3; }
.uca-badge { flex: none; font-size: 0.72rem; padding: 2px 8px; border-radius: 999px; white-space: nowrap; }
.uca-ok { background: #e7f6ec; color: #1d6b36; }
.uca-warn { background: #fff4e0; color: #8a5300; }
.uca-passage { white-space: pre-wrap; font-size: 0.88rem; line-height: 1.5;
  color: var(--body-text-color); }
.uca-passage mark.uca-support { background: #fff1a8; color: inherit; padding: 1px 2px; border-radius: 3px;
  box-shadow: inset 0 -2px 0 #f2c200; }
.uca-passage del.uca-planted { color: var(--body-text-color-subdued); text-decoration-color: #c0392b; }
.uca-stats dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0 0 6px;
  font-size: 0.9rem; }
.uca-stats dt { color: var(--body-text-color-subdued); }
.uca-stats dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.uca-stats ul, .uca-near { margin: 4px 0 0 18px; font-size: 0.85rem; }
.uca-docs table { width: 100%; font-size: 0.82rem; border-collapse: collapse; }
.uca-docs th, .uca-docs td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--border-color-primary); }
.uca-docname { overflow-wrap: anywhere; }
.uca-results ul { margin: 4px 0 0 18px; font-size: 0.85rem; }
.uca-refused strong { color: #b42318; }
"""


def _theme() -> gr.themes.Base:
    """System fonts only: the page loads nothing from outside the app."""
    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="pink", neutral_hue="slate", font=system,
                          font_mono=mono)


def _compact(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer dict small enough for session state (passages kept only where the UI shows them)."""
    out = dict(answer)
    out["passages"] = [
        {k: p.get(k) for k in ("source", "title", "section")} for p in answer.get("passages", [])[:3]
    ] if answer.get("refused") else []
    return out


class ChatApp:
    """The app's behaviour, independent of the layout: one assistant, shared by all sessions."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self.feedback_path = settings.resolved_index_dir() / FEEDBACK_FILE
        self._feedback_lock = threading.Lock()

    @functools.cached_property
    def library(self) -> documents.Library:
        """Adds and removes documents with the assistant's embedder (built on first use)."""
        return documents.Library(self.settings, self.assistant.embedder)

    # -- chat
    @staticmethod
    def messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Chatbot messages for the conversation (user, assistant, user, ...)."""
        out: list[dict[str, str]] = []
        for t in turns:
            out.append({"role": "user", "content": render.user_markdown(t["question"])})
            if t.get("error"):
                content = render.error_markdown(t["error"])
            elif t.get("answer"):
                content = render.answer_markdown(t["answer"])
            else:
                content = render.partial_markdown(t.get("partial", ""))
            out.append({"role": "assistant", "content": content})
        return out

    def respond(self, message: str, turns: list[dict[str, Any]] | None, mode: str, k: float) -> Iterator[tuple]:
        """Stream one answer: yields (textbox, chatbot, sources, turns) updates."""
        turns = list(turns or [])
        if (mode or self.settings.answer_mode) == "llm" and (self.settings.llm or "none") == "none":
            gr.Warning("The llm answer mode needs a language model: start the app with UCA_LLM=openai:MODEL "
                       "or UCA_LLM=ollama:MODEL, or switch back to extractive in Settings.",
                       title="No language model configured")
            yield message, gr.skip(), gr.skip(), gr.skip()
            return
        history = [(t["question"], t["answer"]["text"]) for t in turns if t.get("answer")]
        turn: dict[str, Any] = {"question": str(message or ""), "partial": ""}
        if turn["question"].strip():  # show the question at once (an empty one only gets the notice)
            yield "", self.messages([*turns, turn]), gr.skip(), gr.skip()
        try:
            stream = self.assistant.stream(turn["question"], history, k=int(k) if k else None, mode=mode or None)
            final: Answer | None = None
            for part in stream:
                if isinstance(part, Answer):
                    final = part
                else:
                    turn["partial"] = str(part)
                    yield "", self.messages([*turns, turn]), gr.skip(), gr.skip()
        except QuestionError as exc:
            gr.Warning(str(exc), title="Question not sent")
            yield message, self.messages(turns), gr.skip(), gr.skip()
            return
        except Exception as exc:  # an unexpected failure: shown in the chat, the app keeps running
            log.exception("answering failed")
            turn["error"] = str(exc) or type(exc).__name__
            turns.append(turn)
            yield "", self.messages(turns), render.sources_html(None), turns
            return
        if final is None:
            turn["error"] = "the assistant returned no answer"
            turns.append(turn)
            yield "", self.messages(turns), render.sources_html(None), turns
            return
        answer = final.to_dict()
        turn["answer"] = _compact(answer)
        turn.pop("partial", None)
        turns.append(turn)
        yield "", self.messages(turns), render.sources_html(answer), turns

    # -- API
    def ask_json(self, question: str) -> dict[str, Any]:
        """The JSON object of ``uca ask --json`` for ``question``, or ``{"error": message}``."""
        try:
            return self.assistant.ask(question).to_dict()
        except QuestionError as exc:
            return {"error": str(exc)}
        except Exception:  # details go to the server log, not to API users
            log.exception("/ask failed")
            return {"error": "The assistant failed to answer this question; please try again later."}

    # -- feedback
    def record_feedback(self, turns: list[dict[str, Any]] | None, index: Any, liked: Any) -> dict[str, Any] | None:
        """Append the vote on the assistant message at ``index`` to ``feedback.jsonl``; the record written, or
        ``None`` when the event is not one the page sends (unknown vote value, no such answer)."""
        if isinstance(index, list | tuple) and len(index) == 1:
            index = index[0]
        turns = turns or []
        if (not isinstance(index, int) or isinstance(index, bool) or index % 2 != 1
                or not 0 <= index // 2 < len(turns)):
            return None
        vote = VOTES.get(liked) if isinstance(liked, bool | str | None) else None
        if vote is None:
            log.warning("feedback refused: a vote of %s %.40r", type(liked).__name__, liked)
            return None
        turn = turns[index // 2]
        answer = turn.get("answer") or {}
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "vote": vote,
            "question": turn.get("question", ""),
            "query": answer.get("query"),
            "answer": answer.get("text", turn.get("error", "")),
            "refused": answer.get("refused"),
            "mode": answer.get("mode"),
            "citations": [
                {k: c.get(k) for k in ("n", "source", "section", "sentence", "chunk_id", "supported")}
                for c in answer.get("citations", [])[:MAX_K]
            ],
        }
        line = feedback.bounded_line(record, self.settings.feedback_record_bytes)
        with self._feedback_lock:
            feedback.append(self.feedback_path, line, self.settings.feedback_log_bytes)
        return json.loads(line)

    # -- corpus
    def stats_html(self) -> str:
        """The corpus panel's content, read from the committed index."""
        try:
            return render.stats_html(self.assistant.retriever.stats())
        except Exception as exc:
            return render.stats_html(None, error=str(exc))

    def reingest(self, progress: Any = None) -> tuple[str, str]:
        """Run the incremental ingest (the CLI's lock), then make the new index live: (status, stats)."""

        def report(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress((done, total) if total else None, desc=stage)

        try:
            rep = run_ingest(self.settings, embedder=self.assistant.embedder, progress=report)
        except IngestLocked:
            msg = "Another ingest is already running (from this app or `uca ingest`). Try again when it is done."
            gr.Warning(msg, title="Re-ingest refused")
            return f"**Refused.** {msg}", self.stats_html()
        except Exception as exc:
            log.exception("re-ingest failed")
            return f"⚠ Re-ingest failed: {render.escape_markdown(render.without_paths(str(exc)))}", self.stats_html()
        self.assistant.retriever.refresh()
        skipped = f", {len(rep.skipped)} skipped" if rep.skipped else ""
        status = (f"✓ Re-ingested in {rep.seconds:.1f} s: {rep.documents} documents, {rep.chunks} chunks "
                  f"({rep.added} added, {rep.removed} removed{skipped}). The new index is live.")
        return status + render.skipped_markdown(rep.skipped), self.stats_html()


    # -- documents
    def documents_html(self) -> str:
        """The Documents panel's list, read from the committed manifest."""
        try:
            last = self.assistant.retriever.stats().get("last_ingest")
            return render.documents_html(documents.documents(self.settings), last)
        except Exception as exc:
            return render.stats_html(None, error=str(exc))

    def document_choices(self) -> list[str]:
        try:
            return [d["source"] for d in documents.documents(self.settings)]
        except Exception:  # no index yet: nothing to remove
            return []

    def _corpus_change(self, action: Any, progress: Any) -> str:
        """Run an add or a removal (the ingest lock), refresh the live index: the results panel."""

        def report(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress((done, total) if total else None, desc=stage)

        try:
            results, summary = action(report)
        except IngestLocked:
            msg = "Another ingest is already running (from this app or `uca ingest`). Try again when it is done."
            gr.Warning(msg, title="Refused")
            return render.results_html([], f"Refused. {msg}")
        except Exception as exc:
            log.exception("corpus change failed")
            return render.results_html([], f"Failed: {exc}")
        self.assistant.retriever.refresh()
        return render.results_html(results, summary)

    def add_documents(self, files: Any, replace: bool, progress: Any = None) -> str:
        paths = [str(f) for f in (files if isinstance(files, list) else [files] if files else [])]
        if not paths:
            return render.results_html([], "Choose one or more files first.")
        return self._corpus_change(lambda p: self.library.add(paths, bool(replace), p), progress)

    def remove_document(self, source: Any, progress: Any = None) -> str:
        if not isinstance(source, str) or not source:
            return render.results_html([], "Choose a document to remove first.")
        return self._corpus_change(lambda p: self.library.remove(source, p), progress)


def _documents_panel(app: ChatApp, stats: Any, private: dict[str, Any]) -> tuple[Any, Any]:
    """The Documents accordion: upload (when allowed), the list, and removal with confirmation; (the list, the
    removal choice or ``None``), which the page refreshes on load and after a re-ingest."""
    settings = app.settings
    with gr.Accordion("Documents", open=False, elem_id="uca-documents-panel"):
        listing = gr.HTML(app.documents_html(), elem_id="uca-documents", js_on_load=None)
        if not settings.uploads:
            gr.Markdown("Adding and removing documents from the browser is turned off (UCA_UPLOADS=false).",
                        elem_id="uca-uploads-off")
            return listing, None
        files = gr.File(label=f"Add documents ({', '.join(documents.UPLOAD_SUFFIXES)}; at most "
                              f"{settings.max_upload_files} files of {settings.max_upload_bytes // 1_000_000} MB)",
                        file_count="multiple", file_types=list(documents.UPLOAD_SUFFIXES), type="filepath",
                        elem_id="uca-upload")
        replace = gr.Checkbox(False, label="Replace documents with the same name", elem_id="uca-replace")
        add = gr.Button("Add to the corpus", variant="primary", size="sm", elem_id="uca-add")
        results = gr.HTML("", elem_id="uca-doc-results", js_on_load=None)
        choice = gr.Dropdown(app.document_choices(), value=None, label="Remove a document", elem_id="uca-remove-choice")
        remove = gr.Button("Remove…", variant="secondary", size="sm", elem_id="uca-remove")
        with gr.Row(visible=False, elem_id="uca-remove-confirm") as confirm:
            question = gr.Markdown("", elem_id="uca-remove-question")
            yes = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="uca-remove-yes")
            no = gr.Button("Cancel", size="sm", elem_id="uca-remove-cancel")

        def refreshed() -> tuple:
            return app.documents_html(), app.stats_html(), gr.update(choices=app.document_choices(), value=None)

        def on_add(f: Any, r: bool, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            return (app.add_documents(f, r, progress), None, *refreshed())

        def ask_remove(source: Any) -> tuple:
            if not source:
                return gr.update(visible=False), "", render.results_html([], "Choose a document to remove first.")
            text = (f"Remove **{render.escape_markdown(render.visible(source))}** from the corpus folder and the "
                    "index?")
            return gr.update(visible=True), text, ""

        def on_remove(source: Any, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            return (app.remove_document(source, progress), gr.update(visible=False), *refreshed())

        # unlimited concurrency: a second change must be refused by the ingest lock at once, not queued
        add.click(on_add, [files, replace], [results, files, listing, stats, choice], concurrency_limit=None,
                  **private)
        remove.click(ask_remove, choice, [confirm, question, results], queue=False, **private)
        yes.click(on_remove, choice, [results, confirm, listing, stats, choice], concurrency_limit=None, **private)
        no.click(lambda: gr.update(visible=False), None, confirm, queue=False, **private)
    return listing, choice


def build_app(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    """The Blocks app (not launched; see :func:`main`). The assistant is built once, here."""
    app = ChatApp(settings, assistant)
    private: dict[str, Any] = {"api_visibility": "private"}

    # every CACHE_SWEEP_SECONDS (or sooner), Gradio deletes its temporary files older than upload_cache_seconds
    cache = (min(CACHE_SWEEP_SECONDS, settings.upload_cache_seconds), settings.upload_cache_seconds)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=cache) as demo:
        gr.HTML(
            "<div id=\"uca-header\"><h1>Unicancer International <span class=\"uca-accent\">·</span> "
            "Document Assistant</h1><p>Answers come only from the indexed documents, with the passage behind "
            "every sentence. When the documents do not say, it tells you so.</p></div>",
            js_on_load=None, padding=False,
        )
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="uca-chat", label="Conversation", show_label=False, height=560,
                    sanitize_html=True, latex_delimiters=[], allow_tags=False, render_markdown=True,
                    feedback_options=("Like", "Dislike"), buttons=["copy"],
                    placeholder="**Ask about Unicancer's international work.**<br>European projects, memberships, "
                                "partnerships: every answer cites its passages.",
                )
                with gr.Row(elem_id="uca-input"):
                    msg = gr.Textbox(elem_id="uca-question", show_label=False, scale=8, lines=1, max_lines=6,
                                     placeholder="Type a question and press Enter…", autofocus=True,
                                     submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="uca-send")
                    clear = gr.Button("Clear chat", variant="secondary", scale=1, min_width=120,
                                      elem_id="uca-clear")
                with gr.Column(elem_id="uca-examples-box"):
                    gr.HTML("<div class=\"uca-panel-title\">Try an example</div>", js_on_load=None)
                    with gr.Row(elem_id="uca-examples"):
                        examples = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLE_QUESTIONS]
                with gr.Accordion("Settings", open=False, elem_id="uca-settings"):
                    mode = gr.Radio(["extractive", "llm"], value=settings.answer_mode, label="Answer mode",
                                    info="extractive: quotes sentences of the passages; llm: a language model "
                                         "writes the answer (needs UCA_LLM)")
                    k = gr.Slider(1, MAX_K, value=settings.top_k, step=1, label="Passages retrieved (k)")
            with gr.Column(scale=2, min_width=340):
                gr.HTML("<div class=\"uca-panel-title\">Sources</div>", js_on_load=None)
                sources = gr.HTML(render.sources_html(None), elem_id="uca-sources", js_on_load=None,
                                  max_height=620)
                with gr.Accordion("Corpus", open=True, elem_id="uca-corpus"):
                    stats = gr.HTML(app.stats_html(), elem_id="uca-stats", js_on_load=None)
                    reingest = gr.Button("↻ Re-ingest", size="sm", elem_id="uca-reingest")
                    status = gr.Markdown("", elem_id="uca-reingest-status")
                listing, choice = _documents_panel(app, stats, private)

        outputs = [msg, chatbot, sources, turns]
        inputs = [msg, turns, mode, k]
        msg.submit(app.respond, inputs, outputs, **private)
        send.click(app.respond, inputs, outputs, **private)
        for button in examples:
            button.click(lambda q: q, button, msg, queue=False, **private).then(
                app.respond, inputs, outputs, **private)

        def reset() -> tuple:
            return [], [], render.sources_html(None)

        clear.click(reset, None, [chatbot, turns, sources], queue=False, **private)
        chatbot.clear(reset, None, [chatbot, turns, sources], queue=False, **private)

        def on_like(state: list[dict[str, Any]], data: gr.LikeData) -> None:
            app.record_feedback(state, data.index, data.liked)

        chatbot.like(on_like, turns, None, **private)

        def on_reingest(progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
            return app.reingest(progress)

        # unlimited concurrency: a second click must be refused by the ingest lock at once, not queued
        doc_outputs = [listing] if choice is None else [listing, choice]

        def documents_state() -> Any:
            if choice is None:
                return app.documents_html()
            return app.documents_html(), gr.update(choices=app.document_choices(), value=None)

        reingest.click(on_reingest, None, [status, stats], concurrency_limit=None, **private).then(
            documents_state, None, doc_outputs, **private)
        demo.load(app.stats_html, None, stats, **private)
        demo.load(documents_state, None, doc_outputs, **private)

        # test hook: answers take at least this long, so that a test can fill the queue on any machine (answers
        # take milliseconds, and a burst is then served before the queue ever fills)
        slow = float(os.environ.get(SLOW_ENV, "0") or 0)

        def ask(question: str) -> dict:
            """Answer one question from the documents: the JSON object of `uca ask --json`, or {"error": ...}."""
            if slow > 0:
                time.sleep(slow)
            return app.ask_json(question)

        gr.api(ask, api_name="ask")

    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency)
    return demo


def warm_up(assistant: Assistant) -> None:
    """Load the embedding model and open the index before the first user waits for it."""
    try:
        assistant.ask("What is Unicancer?")
    except Exception as exc:  # a missing index is reported in the UI; startup goes on
        log.warning("warm-up failed: %s", exc)


def main(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve the app behind the request guard (blocks until interrupted)."""
    assistant = Assistant(settings)
    warm_up(assistant)
    demo = build_app(settings, assistant)
    bind = host or settings.host
    app = server.asgi_app(demo, settings, bind, uploads=settings.uploads, footer_links=["api"], theme=_theme(),
                          css=CSS)
    server.serve(app, bind, port if port is not None else settings.port)
