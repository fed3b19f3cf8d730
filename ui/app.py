"""The Gradio app of ``uca chat``: streamed cited answers whose ``[n]`` link to their source cards, the document
viewer, conversations kept in the browser, the corpus and Documents panels with re-ingest, feedback, French and
English, and the ``/ask`` API endpoint. Styles and the page script are in :mod:`ui.page`, the side panels in
:mod:`ui.panels`.

Safety: every text from documents or users goes through :mod:`ui.render` (escaped); Gradio's HTML
sanitising stays on; no ``allowed_paths``; no share link; a bounded queue with concurrency limits.
"""

import functools
import html
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from assistant.core import Assistant
from assistant.guard import QuestionError
from assistant.results import Answer
from common.lang import available, get
from ingest.pipeline import IngestLocked, run_ingest
from ingest.settings import Settings
from ui import citations, documents, feedback, page, panels, render, server, viewer
from ui import conversations as convs
from ui.i18n import choices as language_choices
from ui.i18n import gradio_i18n, label, t, ui_language

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.jsonl"
SLOW_ENV = "UCA_TEST_SLOW_ANSWER"  # test hook: seconds each `/ask` answer waits first (see build_app)
TITLE = "Unicancer International · Document Assistant"  # the browser tab's title (before the page loads)
MAX_K = 20
CACHE_SWEEP_SECONDS = 60  # how often Gradio looks for expired temporary (uploaded) files
# the vote values the page sends (gradio's chatbot: true = Like, false = Dislike, "" = vote withdrawn)
VOTES: dict[Any, str] = {True: "up", False: "down", "Like": "up", "Dislike": "down", "": "cleared", None: "cleared"}
LANG_STORAGE_KEY = "uca-ui-language"  # the interface language chosen with the switch (browser storage)
VIEWER_HEIGHT = 520  # pixels of the document viewer before it scrolls
ASK_LINK = "#uca-ask"  # an example question of a greeting: the page script asks it when clicked

def _theme() -> gr.themes.Base:
    """System fonts only: the page loads nothing from outside the app."""
    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="pink", neutral_hue="slate", font=system,
                          font_mono=mono)


def _compact(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer dict small enough for session state (passages kept only where the UI shows them), its
    citations numbered in the order of the text."""
    out = dict(citations.renumber(answer))
    out["passages"] = [
        {k: p.get(k) for k in ("source", "title", "section")} for p in answer.get("passages", [])[:3]
    ] if answer.get("refused") else []
    return out


def _example_links(markdown: str) -> str:
    """A greeting's example questions (escaped list items) as links the page asks when clicked."""
    examples = {render.escape_markdown(q) for code in available() for q in get(code).example_questions}
    return "\n".join(f"- [{line[2:]}]({ASK_LINK})" if line.startswith("- ") and line[2:] in examples else line
                     for line in markdown.split("\n"))


class Pacer:
    """Spaces the streamed updates of one answer that come at once (an extractive answer is ready whole), so
    that the page shows them one after the other: at most ``total`` seconds of pauses per answer, ``total /
    (steps - 1)`` each; updates that come slowly by themselves (LLM tokens) are not held back."""

    def __init__(self, total: float, steps: int) -> None:
        self.left = max(0.0, total)
        self.gap = self.left / max(1, steps - 1)
        self.last: float | None = None

    def wait(self) -> None:
        """Before an update: pause for what is missing of the gap since the previous one, within the budget."""
        if self.last is not None and self.left > 0:
            pause = min(self.gap - (time.monotonic() - self.last), self.left)
            if pause > 0:
                time.sleep(pause)
                self.left -= pause

    def sent(self) -> None:
        self.last = time.monotonic()


class ChatApp:
    """The app's behaviour, independent of the layout: one assistant, shared by all sessions."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self.feedback_path = settings.resolved_index_dir() / FEEDBACK_FILE
        self._feedback_lock = threading.Lock()

    @property
    def llm_configured(self) -> bool:
        return (self.settings.llm or "none") != "none"

    @functools.cached_property
    def library(self) -> documents.Library:
        """Adds and removes documents with the assistant's embedder (built on first use)."""
        return documents.Library(self.settings, self.assistant.embedder)

    # -- chat
    @staticmethod
    def answer_content(answer: dict[str, Any], turn: int, lang: str) -> str:
        """An answer message: escaped text, its [n] as links to the cards of answer ``turn``, its sources."""
        md = render.answer_markdown(answer, lang)
        if answer.get("small_talk"):
            return _example_links(md)
        cited = {int(c.get("n", 0)) for c in answer.get("citations") or []}
        if answer.get("refused") or not cited:
            return md
        return citations.link_markers(md, turn, cited) + citations.footnotes_markdown(
            answer, lang, render.escape_markdown)

    @classmethod
    def messages(cls, turns: list[dict[str, Any]], lang: str = "en") -> list[dict[str, str]]:
        """Chatbot messages for the conversation (user, assistant, user, ...)."""
        out: list[dict[str, str]] = []
        for i, turn in enumerate(turns):
            out.append({"role": "user", "content": render.user_markdown(turn["question"])})
            if turn.get("error"):
                content = render.error_markdown(turn["error"], lang)
            elif turn.get("answer"):
                content = cls.answer_content(turn["answer"], i, lang)
            else:
                content = render.partial_markdown(turn.get("partial", ""), lang)
            out.append({"role": "assistant", "content": content})
        return out

    def respond(self, message: str, turns: list[dict[str, Any]] | None, mode: str, k: float,
                lang: str = "en") -> Iterator[tuple]:
        """Stream one answer: yields (textbox, chatbot, sources, turns, shown turn) updates."""
        lang = ui_language(lang)
        turns = list(turns or [])
        skip = (gr.skip(), gr.skip(), gr.skip())
        if (mode or self.settings.answer_mode) == "llm" and not self.llm_configured:
            gr.Warning(t(lang, "no_llm"), title=t(lang, "no_llm_title"))
            yield message, gr.skip(), *skip
            return
        history = [(x["question"], x["answer"]["text"]) for x in turns if x.get("answer")]
        turn: dict[str, Any] = {"question": str(message or ""), "partial": ""}
        if turn["question"].strip():  # show the question at once (an empty one only gets the notice)
            yield "", self.messages([*turns, turn], lang), *skip
        try:
            stream = self.assistant.stream(turn["question"], history, k=int(k) if k else None, mode=mode or None)
            final: Answer | None = None
            pacer = Pacer(self.settings.stream_pause_seconds, self.settings.stream_steps)
            for part in stream:
                if isinstance(part, Answer):
                    final = part
                else:
                    pacer.wait()
                    turn["partial"] = str(part)
                    yield "", self.messages([*turns, turn], lang), *skip
                    pacer.sent()
        except QuestionError as exc:
            gr.Warning(exc.text(lang), title=t(lang, "question_not_sent"))
            yield message, self.messages(turns, lang), *skip
            return
        except Exception as exc:  # an unexpected failure: shown in the chat, the app keeps running
            log.exception("answering failed")
            turn["error"] = str(exc) or type(exc).__name__
            turns.append(turn)
            yield "", self.messages(turns, lang), render.sources_html(None, lang), turns, len(turns) - 1
            return
        if final is None:
            turn["error"] = t(lang, "no_answer")
            turns.append(turn)
            yield "", self.messages(turns, lang), render.sources_html(None, lang), turns, len(turns) - 1
            return
        answer = final.to_dict()
        for cite in answer.get("citations") or []:
            cite["page"] = viewer.sentence_page(self.settings, cite)
        turn["answer"] = _compact(answer)
        turn.pop("partial", None)
        turns.append(turn)
        shown = citations.renumber(answer)
        yield "", self.messages(turns, lang), render.sources_html(shown, lang, len(turns) - 1), turns, len(turns) - 1

    def turn_sources(self, turns: list[dict[str, Any]] | None, index: Any, shown: Any, lang: str) -> tuple:
        """The sources of the answer clicked in the chat (message ``index``): (sources, shown turn), skipped when
        that answer's sources are already shown."""
        if isinstance(index, list | tuple) and len(index) == 1:
            index = index[0]
        turns = turns or []
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index // 2 < len(turns):
            return gr.skip(), gr.skip()
        turn = index // 2
        if turn == shown or not turns[turn].get("answer"):
            return gr.skip(), gr.skip()
        return render.sources_html(turns[turn]["answer"], ui_language(lang), turn), turn

    def view_document(self, turns: list[dict[str, Any]] | None, target: Any, lang: str) -> str:
        """The viewer's content for "turn:n" (a card's "view in document" action)."""
        lang = ui_language(lang)
        try:
            turn, n = (int(x) for x in str(target).split(":", 1))
            answer = (turns or [])[turn].get("answer") or {}
            cite = next(c for c in answer.get("citations") or [] if int(c.get("n", 0)) == n)
        except (ValueError, IndexError, StopIteration, TypeError):
            return viewer.empty_html(lang)
        return viewer.document_html(self.settings, cite, lang, key=f"{turn}:{n}")

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
    def stats_html(self, lang: str = "en") -> str:
        """The corpus panel's content, read from the committed index."""
        try:
            return render.stats_html(self.assistant.retriever.stats(), lang=ui_language(lang))
        except Exception as exc:
            return render.stats_html(None, error=str(exc), lang=ui_language(lang))

    @staticmethod
    def _reporter(progress: Any, lang: str):
        """An ingest progress callback that shows the stage and its real fraction in the page."""

        def report(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress((done, total) if total else None, desc=stage_text(stage, done, total, lang))

        return report

    def reingest(self, lang: str = "en", progress: Any = None) -> tuple[str, str]:
        """Run the incremental ingest (the CLI's lock), then make the new index live: (status, stats)."""
        lang = ui_language(lang)
        try:
            rep = run_ingest(self.settings, embedder=self.assistant.embedder, progress=self._reporter(progress, lang))
        except IngestLocked:
            msg = t(lang, "ingest_running")
            gr.Warning(msg, title=t(lang, "reingest_refused_title"))
            return f"**{t(lang, 'refused_title')}.** {msg}", self.stats_html(lang)
        except Exception as exc:
            log.exception("re-ingest failed")
            message = render.escape_markdown(render.without_paths(str(exc)))
            return t(lang, "reingest_failed", message=message), self.stats_html(lang)
        self.assistant.retriever.refresh()
        self.assistant.refit_in_background()  # the refusal threshold follows the corpus
        skipped = t(lang, "n_skipped", n=len(rep.skipped)) if rep.skipped else ""
        status = t(lang, "reingested", seconds=f"{rep.seconds:.1f}", documents=rep.documents, chunks=rep.chunks,
                   added=rep.added, removed=rep.removed, skipped=skipped)
        return status + render.skipped_markdown(rep.skipped, lang), self.stats_html(lang)

    # -- documents
    def documents_html(self, lang: str = "en") -> str:
        """The Documents panel's list, read from the committed manifest."""
        try:
            last = self.assistant.retriever.stats().get("last_ingest")
            return render.documents_html(documents.documents(self.settings), last, ui_language(lang))
        except Exception as exc:
            return render.stats_html(None, error=str(exc), lang=ui_language(lang))

    def document_choices(self) -> list[str]:
        try:
            return [d["source"] for d in documents.documents(self.settings)]
        except Exception:  # no index yet: nothing to remove
            return []

    def _corpus_change(self, action: Any, lang: str, progress: Any) -> str:
        """Run an add or a removal (the ingest lock), refresh the live index: the results panel."""
        lang = ui_language(lang)
        try:
            results, summary = action(self._reporter(progress, lang))
        except IngestLocked:
            msg = t(lang, "ingest_running")
            gr.Warning(msg, title=t(lang, "refused_title"))
            return render.results_html([], t(lang, "refused_status", message=msg), lang)
        except Exception as exc:
            log.exception("corpus change failed")
            return render.results_html([], t(lang, "failed_status", message=exc), lang)
        self.assistant.retriever.refresh()
        self.assistant.refit_in_background()  # the refusal threshold follows the corpus
        return render.results_html(results, summary, lang)

    def add_documents(self, files: Any, replace: bool, lang: str = "en", progress: Any = None) -> str:
        paths = [str(f) for f in (files if isinstance(files, list) else [files] if files else [])]
        if not paths:
            return render.results_html([], t(lang, "choose_files"), ui_language(lang))
        return self._corpus_change(lambda p: self.library.add(paths, bool(replace), p, ui_language(lang)), lang,
                                   progress)

    def remove_document(self, source: Any, lang: str = "en", progress: Any = None) -> str:
        if not isinstance(source, str) or not source:
            return render.results_html([], t(lang, "choose_document"), ui_language(lang))
        return self._corpus_change(lambda p: self.library.remove(source, p, ui_language(lang)), lang, progress)


STAGES = {"scanning": "progress_scanning", "reading": "progress_reading", "embedding": "progress_embedding",
          "lexical index": "progress_writing", "writing": "progress_writing", "switching": "progress_switching"}


def stage_text(stage: str, done: int, total: int, lang: str) -> str:
    """An ingest stage as the page shows it ("Embedding 120/480 chunks")."""
    key = STAGES.get(stage)
    return t(lang, key, done=done, total=total) if key else stage


def example_questions(lang: str, count: int | None = None) -> list[str]:
    """The chat's example questions in ``lang`` (``count`` of them: as many as there are buttons)."""
    questions = list(get(lang).example_questions or get("en").example_questions)
    if count is not None:
        questions = (questions + list(get("en").example_questions))[:count]
    return questions


def header_html(lang: str) -> str:
    title = html.escape(t(lang, "title")).replace(" · ", " <span class=\"uca-accent\">·</span> ")
    return f"<div id=\"uca-header\"><h1>{title}</h1><p>{html.escape(t(lang, 'subtitle'))}</p></div>"


def title_html(lang: str) -> str:
    return f"<div class=\"uca-panel-title\">{html.escape(t(lang, 'sources_title'))}</div>"


def build_app(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    """The Blocks app (not launched; see :func:`main`). The assistant is built once, here."""
    app = ChatApp(settings, assistant)
    private: dict[str, Any] = {"api_visibility": "private"}
    first = ui_language(settings.default_language)

    # every CACHE_SWEEP_SECONDS (or sooner), Gradio deletes its temporary files older than upload_cache_seconds
    cache = (min(CACHE_SWEEP_SECONDS, settings.upload_cache_seconds), settings.upload_cache_seconds)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=cache) as demo:
        saved_lang = gr.BrowserState("", storage_key=LANG_STORAGE_KEY, secret=convs.STORAGE_SECRET)
        browser_lang = gr.Textbox("", visible=False)
        with gr.Row(elem_id="uca-top"):
            header = gr.HTML(header_html(first), js_on_load=None, padding=False)
            lang = gr.Radio(language_choices(), value=first, label=label("language_switch"), elem_id="uca-lang")
        turns = gr.State([])
        shown = gr.State(-1)  # the answer whose sources are in the panel
        with gr.Row(equal_height=False, elem_id="uca-main"):
            with gr.Column(scale=3, min_width=420, elem_id="uca-left"):
                conv = panels.ConversationsPanel(app)
                chatbot = gr.Chatbot(
                    elem_id="uca-chat", label=label("conversation"), show_label=False, height=560,
                    sanitize_html=True, latex_delimiters=[], allow_tags=False, render_markdown=True,
                    feedback_options=("Like", "Dislike"), buttons=["copy"], placeholder=label("chat_placeholder"),
                )
                with gr.Row(elem_id="uca-input"):
                    # enabled once the page has loaded its conversation (a question asked before would be lost)
                    msg = gr.Textbox(elem_id="uca-question", show_label=False, scale=8, lines=1, max_lines=6,
                                     placeholder=label("question_placeholder"), submit_btn=False, interactive=False)
                    send = gr.Button(label("ask"), variant="primary", scale=1, min_width=80, elem_id="uca-send",
                                     interactive=False)
                    send_stop = gr.Button(label("stop"), variant="stop", scale=1, min_width=80, elem_id="uca-stop",
                                          visible=False)
                    clear = gr.Button(label("clear"), variant="secondary", scale=1, min_width=120,
                                      elem_id="uca-clear")
                with gr.Column(elem_id="uca-examples-box"):
                    gr.Markdown(label("examples_title"), elem_classes=["uca-panel-title"])
                    with gr.Row(elem_id="uca-examples"):
                        examples = [gr.Button(q, size="sm", variant="secondary", elem_classes=["uca-example"])
                                    for q in example_questions(first)]
                with gr.Accordion(label("settings"), open=False, elem_id="uca-settings"):
                    modes = ["extractive", "llm"] if app.llm_configured else ["extractive"]
                    mode = gr.Radio(modes, value=settings.answer_mode if settings.answer_mode in modes else modes[0],
                                    label=label("answer_mode"), elem_id="uca-mode",
                                    info=label("answer_mode_info" if app.llm_configured else "answer_mode_info_no_llm"))
                    k = gr.Slider(1, MAX_K, value=settings.top_k, step=1, label=label("top_k"))
            with gr.Column(scale=2, min_width=340, elem_id="uca-right"):
                sources_title = gr.HTML(title_html(first), js_on_load=None, elem_id="uca-sources-title")
                sources = gr.HTML(render.sources_html(None, first), elem_id="uca-sources", js_on_load=page.SOURCES_JS,
                                  max_height=620)
                with gr.Column(visible=False, elem_id="uca-viewer-box") as viewer_box:
                    close = gr.Button(label("viewer_close"), size="sm", elem_id="uca-viewer-close")
                    view = gr.HTML(viewer.empty_html(first), elem_id="uca-viewer", js_on_load=None,
                                   max_height=VIEWER_HEIGHT)
                with gr.Accordion(label("corpus"), open=True, elem_id="uca-corpus"):
                    stats = gr.HTML(app.stats_html(first), elem_id="uca-stats", js_on_load=None)
                    reingest = gr.Button(label("reingest"), size="sm", elem_id="uca-reingest")
                    status = gr.Markdown("", elem_id="uca-reingest-status")
                listing, choice = panels.documents_panel(app, stats, lang, private)

        conv.wire(lang, turns, chatbot, sources, shown, private)
        save = {"fn": conv.saved, "inputs": [conv.store, turns, lang], "outputs": [conv.store, conv.choice],
                "queue": False, **private}
        outputs = [msg, chatbot, sources, turns, shown]
        inputs = [msg, turns, mode, k, lang]
        # while an answer is written, Stop replaces Ask
        busy = {"fn": lambda: (gr.update(visible=False), gr.update(visible=True)), "inputs": None,
                "outputs": [send, send_stop], "queue": False, **private}

        def settled(state: list[dict[str, Any]], code: str) -> tuple:
            """Ask is back, and the chat shows the conversation as kept: after Stop, without the unfinished answer
            and its question (their claims are unchecked). Also run after a stopped answer's cancellation is
            done (Gradio then runs what follows the answer): a partial update still on its way when Stop was
            clicked reaches the page after Stop's own update, and would stay there, cursor and all."""
            return app.messages(state, code), gr.update(visible=True), gr.update(visible=False)

        idle = {**busy, "fn": settled, "inputs": [turns, lang], "outputs": [chatbot, send, send_stop]}
        answering = [msg.submit(**busy).then(app.respond, inputs, outputs, **private),
                     send.click(**busy).then(app.respond, inputs, outputs, **private)]
        for button in examples:
            answering.append(button.click(lambda q: q, button, msg, queue=False, **private).then(**busy).then(
                app.respond, inputs, outputs, **private))

        def regenerate(state: list[dict[str, Any]], code: str) -> tuple:
            """The last question back in the box, its answer gone (then answered again)."""
            if not state:
                return gr.skip(), gr.skip(), gr.skip()
            return state[-1]["question"], state[:-1], app.messages(state[:-1], code)

        answering.append(chatbot.retry(regenerate, [turns, lang], [msg, turns, chatbot], queue=False,
                                       **private).then(**busy).then(app.respond, inputs, outputs, **private))
        for event in answering:
            event.then(**idle).then(**save)

        send_stop.click(settled, [turns, lang], [chatbot, send, send_stop], cancels=answering, queue=False,
                        **private)

        def reset(code: str) -> tuple:
            return [], [], render.sources_html(None, code), -1, gr.update(visible=False)

        clear.click(reset, lang, [chatbot, turns, sources, shown, viewer_box], queue=False, **private).then(**save)
        chatbot.clear(reset, lang, [chatbot, turns, sources, shown, viewer_box], queue=False, **private).then(**save)

        def on_like(state: list[dict[str, Any]], data: gr.LikeData) -> None:
            app.record_feedback(state, data.index, data.liked)

        chatbot.like(on_like, turns, None, **private)

        def on_select(state: list[dict[str, Any]], current: int, code: str, data: gr.SelectData) -> tuple:
            return app.turn_sources(state, data.index, current, code)

        chatbot.select(on_select, [turns, shown, lang], [sources, shown], queue=False, **private)

        def on_view(state: list[dict[str, Any]], code: str, data: gr.EventData) -> tuple:
            target = (getattr(data, "_data", None) or {}).get("view")
            if not target:
                return gr.skip(), gr.skip()
            return app.view_document(state, target, code), gr.update(visible=True)

        sources.click(on_view, [turns, lang], [view, viewer_box], **private)
        close.click(lambda: gr.update(visible=False), None, viewer_box, queue=False, **private)

        def on_reingest(code: str, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
            return app.reingest(code, progress)

        # unlimited concurrency: a second click must be refused by the ingest lock at once, not queued
        doc_outputs = [listing] if choice is None else [listing, choice]

        def documents_state(code: str) -> Any:
            if choice is None:
                return app.documents_html(code)
            return app.documents_html(code), gr.update(choices=app.document_choices(), value=None,
                                                       label=t(code, "remove_choice"))

        reingest.click(on_reingest, lang, [status, stats], concurrency_limit=None, **private).then(
            documents_state, lang, doc_outputs, **private)

        def page_in(code: str, store: Any, state: list[dict[str, Any]], current: int) -> tuple:
            """Everything the server writes, in language ``code``; also the labels of the components the server
            updates (the page keeps the translation it had when a component was updated, not its key)."""
            store = convs.clean(store, settings)
            answer = state[current].get("answer") if 0 <= current < len(state) else None
            return (code, header_html(code), title_html(code), app.messages(state, code),
                    render.sources_html(answer, code, current), conv.choices(store, code), app.stats_html(code),
                    gr.update(placeholder=t(code, "question_placeholder"), interactive=True),
                    gr.update(value=t(code, "ask"), interactive=True), gr.update(value=t(code, "stop")),
                    gr.update(label=t(code, "export_file")), *example_questions(code, len(examples)))

        localized = [saved_lang, header, sources_title, chatbot, sources, conv.choice, stats, msg, send, send_stop,
                     conv.file, *examples]

        def on_load(store: Any, saved: Any, browser: Any) -> tuple:
            code = ui_language(saved or browser)
            store = convs.clean(store, settings)
            state = convs.current(store)["turns"]
            return (code, store, state, len(state) - 1, *page_in(code, store, state, len(state) - 1))

        set_locale = "(code) => { if (window.ucaSetLocale) window.ucaSetLocale(code); }"
        loaded = [lang, conv.store, turns, shown, *localized]
        demo.load(on_load, [conv.store, saved_lang, browser_lang], loaded,
                  js="(store, saved, browser) => [store, saved, navigator.language || '']", queue=False,
                  **private).then(None, lang, None, js=set_locale, **private).then(
            documents_state, lang, doc_outputs, **private)
        lang.input(page_in, [lang, conv.store, turns, shown], localized, queue=False, **private).then(
            None, lang, None, js=set_locale, **private).then(documents_state, lang, doc_outputs, **private)

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
    assistant.refit_in_background()  # when the index changed since the last fit (assistant.corpus_threshold)
    demo = build_app(settings, assistant)
    bind = host or settings.host
    app = server.asgi_app(demo, settings, bind, uploads=settings.uploads, footer_links=["api"], theme=_theme(),
                          css=page.CSS, js=page.SCRIPT, i18n=gradio_i18n())
    server.serve(app, bind, port if port is not None else settings.port)
