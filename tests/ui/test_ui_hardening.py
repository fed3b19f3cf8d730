"""Bounded web inputs of ``uca chat`` (issue 14): votes, the feedback log, request bodies, uploads, the Host
and Origin checks, URLs and file names shown as text.

The first tests are fast unit tests of :mod:`ui.feedback`, :mod:`ui.render` and :mod:`ui.server`; the rest
run against a real ``uca chat`` on 127.0.0.1 (real corpus plus a document with URLs, real model), sending
raw HTTP: large bodies are streamed from a small buffer, never built in memory.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.settings import Settings
from ui import feedback, render, server
from ui.app import ChatApp

ROOT = Path(__file__).resolve().parents[2]
MB = 1_000_000
LINK_DOC = """# Linkland Institute

The Linkland Institute publishes its yearly reports at https://reports.linkland.example.com/annual and \
www.linkland.example.org, and answers requests sent to press@linkland.example.org within a week.
"""
LINK_QUESTION = "Where does the Linkland Institute publish its yearly reports? (see http://q.example.net/x)"
# what a GFM renderer turns into a link with no markup at all (GFM spec, "Autolinks (extension)")
GFM_AUTOLINK = re.compile(r"(?:https?|ftp)://|www\.|[\w.+-]+@[\w-]+\.\w", re.IGNORECASE)


# -- votes and the feedback log (unit)

class _NoAssistant:
    """ChatApp's feedback path never touches the assistant."""


def _app(tmp_path: Path, **kw) -> ChatApp:
    return ChatApp(Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus", **kw), _NoAssistant())


def _turns(answer_text: str = "Its head office is located in Brussels. [1]") -> list[dict]:
    return [{"question": "Where is HOPE's head office?", "answer": {
        "text": answer_text, "query": "HOPE head office", "refused": False, "mode": "extractive",
        "citations": [{"n": 1, "source": "unicancer-international.txt", "section": "HOPE",
                       "sentence": "Its head office is located in Brussels.", "chunk_id": "c1", "supported": True}]}}]


@pytest.mark.parametrize(("liked", "vote"), [(True, "up"), (False, "down"), ("", "cleared"), (None, "cleared"),
                                             ("Like", "up"), ("Dislike", "down")])
def test_the_votes_the_page_sends_are_recorded(tmp_path, liked, vote):
    app = _app(tmp_path)
    record = app.record_feedback(_turns(), 1, liked)
    assert record is not None and record["vote"] == vote
    rows = [json.loads(line) for line in app.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert [r["vote"] for r in rows] == [vote]
    assert rows[0]["citations"][0]["source"] == "unicancer-international.txt"


@pytest.mark.parametrize("liked", ["x" * (10 * MB), "up", "maybe", 1, 0, 2.5, [True], {"liked": True}])
def test_any_other_vote_value_is_refused_and_writes_nothing(tmp_path, liked):
    app = _app(tmp_path)
    assert app.record_feedback(_turns(), 1, liked) is None
    assert not app.feedback_path.exists()


@pytest.mark.parametrize("index", [True, 0, 2, 3, -1, "1", None, [1, 2], 10 ** 12])
def test_a_vote_on_no_answer_is_refused(tmp_path, index):
    app = _app(tmp_path)
    assert app.record_feedback(_turns(), index, True) is None
    assert not app.feedback_path.exists()


def test_a_record_is_cut_to_its_size_cap(tmp_path):
    app = _app(tmp_path, feedback_record_bytes=4000)
    turns = _turns("é" * (10 * MB))
    turns[0]["answer"]["citations"] *= 200  # more citations than the UI ever shows
    record = app.record_feedback(turns, 1, True)
    data = app.feedback_path.read_bytes()
    assert len(data) <= 4000 + 1
    assert record is not None and record["cut"] is True and record["vote"] == "up"
    assert record["answer"].startswith("éééé") and record["answer"].endswith(feedback.CUT_MARK)
    assert json.loads(data) == record


def test_line_separators_are_escaped_so_every_line_is_one_record(tmp_path):
    app = _app(tmp_path)
    nasty = "a\u2028b\u2029c\x85d\re\nf\x0bg\x1ch, siège à Bruxelles"
    for _ in range(3):
        app.record_feedback(_turns(nasty), 1, False)
    text = app.feedback_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["answer"] == nasty for line in lines)
    assert "siège à Bruxelles" in text  # French stays readable in the log
    assert "\u2028" not in text and "\u2029" not in text and "\x85" not in text


def test_the_log_rotates_and_stays_bounded(tmp_path):
    app = _app(tmp_path, feedback_log_bytes=10_000, feedback_record_bytes=2000)
    for _ in range(200):
        app.record_feedback(_turns("word " * 1000), 1, True)
    old = app.feedback_path.with_name("feedback.jsonl.1")
    assert old.exists()
    assert app.feedback_path.stat().st_size <= 10_000
    assert old.stat().st_size <= 10_000
    for path in (app.feedback_path, old):
        assert all(json.loads(line)["vote"] == "up" for line in path.read_text(encoding="utf-8").splitlines())


# -- names, URLs, paths (unit)

def test_file_names_show_their_control_characters():
    name = "re\x1b[31mport\n2024\u202etxt.exe\\x.md"
    shown = render.visible(name)
    assert shown == "re\\x1b[31mport\\n2024\\u202etxt.exe\\\\x.md"
    assert all(ch.isprintable() for ch in shown)
    card = render.sources_html({"citations": [{"n": 1, "source": name, "text": "Some text.", "sentence": "Some text.",
                                               "sentence_start": 0, "sentence_end": 10, "supported": True}]})
    assert "\x1b" not in card and "\u202e" not in card and "re\\x1b[31mport\\n2024\\u202etxt.exe" in card
    listing = render.stats_html({"documents": 1, "chunks": 1, "sources": [name]})
    assert "\x1b" not in listing and "\\u202e" in listing


def test_urls_and_addresses_in_text_give_no_autolink():
    text = ("See https://evil.example.com/x, HTTP://EVIL.example.com, ftp://f.example.org, www.example.com, "
            "WWW.Example.com and mail admin@example.org.")
    escaped = render.escape_markdown(text)
    assert not GFM_AUTOLINK.search(escaped), escaped
    answer = render.answer_markdown({"text": text, "claims": [], "citations": []})
    assert not GFM_AUTOLINK.search(answer)
    from markdown_it import MarkdownIt

    shown = re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(escaped)).strip()
    import html

    assert html.unescape(shown) == text  # the reader still sees the URL as written


def test_error_messages_lose_their_absolute_paths():
    msg = "No such file or directory: '/work/x/.uca/index/bm25/data.json' (see https://example.com/a/b)"
    out = render.without_paths(msg)
    assert "/work/x" not in out and "…/data.json" in out and "https://example.com/a/b" in out
    assert "/work" not in render.stats_html(None, error=msg)
    assert "/work" not in render.error_markdown(msg)


# -- the request guard (unit)

@pytest.mark.parametrize(("value", "name"), [("127.0.0.1:7860", "127.0.0.1"), ("LocalHost", "localhost"),
                                             ("[::1]:7860", "::1"), ("example.org.", "example.org"), ("", "")])
def test_host_names(value, name):
    assert server.host_name(value) == name


@pytest.mark.parametrize(("origin", "host", "same"), [
    ("http://127.0.0.1:7860", "127.0.0.1:7860", True),
    ("https://chat.example.org", "chat.example.org", True),
    ("https://chat.example.org", "chat.example.org:443", True),
    ("http://[::1]:7860", "[::1]:7860", True),
    ("http://localhost:9999", "127.0.0.1:7860", False),
    ("http://127.0.0.1:9999", "127.0.0.1:7860", False),
    ("http://evil.example.com:7860", "127.0.0.1:7860", False),
    ("null", "127.0.0.1:7860", False),
    ("file://", "127.0.0.1:7860", False),
    ("http://127.0.0.1:7860/path", "127.0.0.1:7860", False),
    ("http://127.0.0.1:notaport", "127.0.0.1:7860", False),
])
def test_same_origin(origin, host, same):
    assert server.same_origin(origin, host) is same


def test_allowed_hosts_come_from_the_bind_host_and_the_setting():
    s = Settings(allowed_hosts="Chat.Example.org, intranet:8080")
    assert server.allowed_hosts(s, "10.1.2.3") == {"localhost", "127.0.0.1", "::1", "10.1.2.3", "chat.example.org",
                                                   "intranet"}
    assert socket.gethostname().lower() in server.allowed_hosts(Settings(), "0.0.0.0")
    assert "0.0.0.0" not in server.allowed_hosts(Settings(), "0.0.0.0")


def _call(guard: server.RequestGuard, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
    """The status of one request through ``guard``, its body streamed in 1,000-byte messages."""
    import asyncio

    sent: list[dict] = []
    chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def run() -> None:
        queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

        async def receive():
            return queue.pop(0) if queue else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "scheme": "http",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        await guard(scope, receive, send)

    asyncio.run(run())
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_the_guard_refuses_uploads_when_they_are_off_and_counts_streamed_bytes():
    off = server.RequestGuard(_echo_app(), {"127.0.0.1"}, max_body=5000, upload_limit=None)
    on = server.RequestGuard(_echo_app(), {"127.0.0.1"}, max_body=5000, upload_limit=20_000)
    host = {"Host": "127.0.0.1:7860"}
    assert _call(off, "POST", server.UPLOAD_PATH, host, b"x" * 10) == 403
    assert _call(on, "POST", server.UPLOAD_PATH, host, b"x" * 10_000) == 200  # the upload route's own limit
    assert _call(on, "POST", server.UPLOAD_PATH, host, b"x" * 30_000) == 413  # streamed, no Content-Length
    assert _call(on, "POST", "/gradio_api/queue/join", host, b"x" * 10_000) == 413
    assert _call(on, "POST", "/gradio_api/queue/join", {**host, "Content-Length": "999999"}, b"") == 413
    assert _call(on, "POST", "/gradio_api/queue/join", {**host, "Content-Length": "-1"}, b"") == 400
    assert _call(on, "POST", "/gradio_api/queue/join", host, b"x" * 4000) == 200
    assert _call(on, "GET", "/", {"Host": "evil.example.com"}) == 400
    assert _call(on, "GET", "/", {**host, "Origin": "http://127.0.0.1:7861"}) == 403
    assert _call(on, "GET", "/", {**host, "Origin": "http://127.0.0.1:7860"}) == 200


def _echo_app():
    """An app that reads its whole body, then answers 200."""

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app



def test_the_cache_mask_aliases_the_temporary_folder_out_and_back_in():
    """Replies name Gradio's temporary folder by its alias; requests and ``/file=`` URLs get the real path."""
    import asyncio

    from ui.cachepaths import CachePathMask

    seen: dict = {}

    async def app(scope, receive, send):
        seen["path"], seen["body"] = scope["path"], (await receive())["body"]
        kind = b"text/event-stream" if scope["path"] == "/sse" else b"application/json"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind), (b"content-length", b"999")]})
        await send({"type": "http.response.body", "body": b'["/srv/tmp/gradio/ab/',  "more_body": True})
        await send({"type": "http.response.body", "body": b'n.txt", "/srv/tmp/gradio", "/srv/tmp/gradiox"]'})

    def call(path: str, body: bytes, ctype: bytes = b"application/json") -> tuple[list[dict], dict]:
        sent: list[dict] = []
        parts = [body[:7], body[7:]]

        async def receive():
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "path": path, "headers": [(b"content-type", ctype)]}
        asyncio.run(CachePathMask(app, "/srv/tmp/gradio/")(scope, receive, send))
        return sent, dict(seen)

    request = b'{"path": "uca-files/ab/n.txt", "url": "h/file=uca-files/ab/n.txt"}'
    sent, seen_now = call("/gradio_api/queue/join", request)
    assert seen_now["body"] == b'{"path": "/srv/tmp/gradio/ab/n.txt", "url": "h/file=/srv/tmp/gradio/ab/n.txt"}'
    start, body = sent[0], sent[1]["body"]
    assert body == b'["uca-files/ab/n.txt", "uca-files", "/srv/tmp/gradiox"]' and len(sent) == 2
    assert dict(start["headers"])[b"content-length"] == str(len(body)).encode()
    sent, seen_now = call("/gradio_api/file=uca-files/ab/n.txt", b"", ctype=b"text/plain")
    assert seen_now["path"] == "/gradio_api/file=/srv/tmp/gradio/ab/n.txt" and seen_now["body"] == b""
    sent, _ = call("/sse", b"", ctype=b"text/plain")  # event streams: each message on its own, no length
    assert b"content-length" not in dict(sent[0]["headers"]) and sent[1]["body"] == b'["uca-files/ab/'


# -- against a real `uca chat`

@pytest.fixture(scope="module")
def chat(tmp_path_factory) -> Iterator[tuple]:
    """``uca chat`` on the corpus plus ``links.md``, its Gradio temporary folder in the test's own tmp."""
    from testing.servers import ChatServer, ingest

    base = tmp_path_factory.mktemp("hardening")
    corpus, index, temp = base / "corpus", base / "index", base / "gradio-tmp"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "links.md").write_text(LINK_DOC, encoding="utf-8")
    temp.mkdir()
    ingest(corpus, index)
    srv = ChatServer(corpus, index, base / "chat.log", GRADIO_TEMP_DIR=str(temp)).start()
    try:
        srv.wait()
        yield srv, temp
    finally:
        srv.stop()


def _raw(port: int, request: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send one raw HTTP/1.1 request; (status, headers, body) of the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and len(data) > 12:
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                if length and len(body) >= int(length.group(1)):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _get(port: int, path: str, host: str | None = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    req = f"GET {path} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n{extra}Connection: close\r\n\r\n"
    return _raw(port, req.encode())


def stream_body(port: int, path: str, headers: dict[str, str], total: int, prefix: bytes = b"",
                timeout: float = 120) -> tuple[int | None, int]:
    """POST a body of ``total`` bytes (zeros after ``prefix``) streamed from one 64 kB buffer, reading the
    reply as soon as the server sends one: (status or None, body bytes the server took before replying)."""
    chunked = headers.get("Transfer-Encoding") == "chunked"
    block = b"\0" * 65536
    piece = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    first = f"{len(prefix):x}\r\n".encode() + prefix + b"\r\n" if chunked and prefix else prefix
    sent, reply = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode() + first)
        s.setblocking(False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and b"\r\n\r\n" not in reply:
            readable, writable, _ = select.select([s], [s] if sent < total else [], [], 1)
            try:
                if readable:
                    data = s.recv(65536)
                    if not data:
                        break
                    reply += data
                elif writable:
                    sent += s.send(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None
    return status, sent


@pytest.mark.slow
def test_a_spoofed_host_is_refused(chat):
    srv, _ = chat
    status, _, body = _get(srv.port, "/", host=f"rebind.example.com:{srv.port}")
    assert status == 400 and b"Host" in body
    # a DNS-rebinding page: its own name in Host and Origin
    status, _, _ = _get(srv.port, "/config", host=f"rebind.example.com:{srv.port}",
                        Origin=f"http://rebind.example.com:{srv.port}")
    assert status == 400
    assert _get(srv.port, "/", host=f"localhost:{srv.port}")[0] == 200
    assert _get(srv.port, "/")[0] == 200


@pytest.mark.slow
def test_a_foreign_origin_gets_no_credentialed_cors_reply(chat):
    srv, _ = chat
    for origin in (f"http://localhost:{srv.port + 1}", "http://127.0.0.1:1", "http://evil.example.com", "null"):
        status, headers, _ = _get(srv.port, "/config", Origin=origin)
        assert status == 403, origin
        assert not any(k.startswith("access-control-") for k in headers), (origin, headers)
        preflight = (f"OPTIONS /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nOrigin: {origin}\r\n"
                     "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n"
                     "Connection: close\r\n\r\n")
        status, headers, _ = _raw(srv.port, preflight.encode())
        assert status == 403 and not any(k.startswith("access-control-") for k in headers), (origin, headers)
    status, headers, _ = _get(srv.port, "/config", Origin=f"http://127.0.0.1:{srv.port}")
    assert status == 200  # the page itself
    assert "access-control-allow-credentials" not in headers


@pytest.mark.slow
@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_a_100_mb_request_body_is_refused_without_being_read(chat, how):
    srv, _ = chat
    headers = {"Content-Type": "application/json"}
    headers.update({"Content-Length": str(100 * MB)} if how == "content-length" else {"Transfer-Encoding": "chunked"})
    status, sent = stream_body(srv.port, "/gradio_api/queue/join", headers, 100 * MB)
    assert status == 413
    assert sent < 10 * MB, f"the server read {sent} bytes before refusing"
    assert _get(srv.port, "/")[0] == 200


@pytest.mark.slow
@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_a_100_mb_upload_is_refused_and_nothing_is_kept(chat, how):
    srv, temp = chat
    boundary = uuid.uuid4().hex
    prefix = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
              "Content-Type: text/plain\r\n\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    headers.update({"Content-Length": str(100 * MB + len(prefix))} if how == "content-length"
                   else {"Transfer-Encoding": "chunked"})
    status, sent = stream_body(srv.port, "/gradio_api/upload", headers, 100 * MB, prefix=prefix)
    assert status == 413
    limit = Settings().max_upload_bytes  # Gradio refuses the file when it passes this size
    assert sent < limit + 10 * MB, f"the server read {sent} bytes before refusing"
    kept = [p for p in temp.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in kept) < MB, kept


class _Session:
    """One browser session spoken in Gradio's queue protocol (join, then read the event stream)."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, timeout=120)
        config = self.http.get("/config").json()
        ids = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c["props"].get("elem_id")}
        self.events = {(t[0], t[1]): i for i, d in enumerate(config["dependencies"]) for t in d["targets"]}
        self.chat, self.question = ids["uca-chat"], ids["uca-question"]
        # the answering function: question, turns, mode, k, language in; the chat among its outputs (Enter first
        # shows Stop, then runs it)
        self.answer = next(i for i, d in enumerate(config["dependencies"])
                           if d["inputs"][:1] == [self.question] and len(d["inputs"]) == 5
                           and self.chat in d["outputs"])
        self.hash = uuid.uuid4().hex[:12]

    def run(self, fn: int, trigger: int, data: list, event_data: dict | None = None) -> int:
        """The HTTP status of the join; when 200, waits until the event completes."""
        body = json.dumps({"data": data, "event_data": event_data, "fn_index": fn, "trigger_id": trigger,
                           "session_hash": self.hash})
        reply = self.http.post("/gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"})
        if reply.status_code != 200:
            return reply.status_code
        event = reply.json()["event_id"]
        with self.http.stream("GET", f"/gradio_api/queue/data?session_hash={self.hash}") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                        break
        return 200

    def ask(self, question: str) -> None:
        assert self.run(self.answer, self.question,
                        [question, None, "extractive", 5, "en"]) == 200  # question, turns, mode, k, language

    def like(self, liked, value) -> int:
        return self.run(self.events[(self.chat, "like")], self.chat, [None],
                        {"index": 1, "value": value, "liked": liked})


@pytest.mark.slow
def test_ten_like_events_with_a_10_mb_payload_add_at_most_a_few_kb(chat):
    srv, _ = chat
    log = srv.index / "feedback.jsonl"
    session = _Session(srv.url)
    session.ask("Where is HOPE's head office?")
    assert session.like(True, ["ok"]) == 200  # a real vote is recorded
    deadline = time.monotonic() + 15
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    before = log.stat().st_size
    one = before
    marker = "Z" * 20
    big = "\u2028" + "Z" * (10 * MB)
    statuses = [session.like(big, ["ok"]) for _ in range(5)] + [session.like(True, [big]) for _ in range(5)]
    assert statuses == [413] * 10  # the body limit refuses them before Gradio parses anything
    under = "\u2028" + "Z" * 600_000  # under the body limit: the vote check and the record cap decide
    for _ in range(5):
        assert session.like(under, ["ok"]) == 200
        assert session.like(False, [under]) == 200
    time.sleep(1)
    after = log.stat().st_size
    assert after - before <= 5 * one + 1000, f"the log grew by {after - before} bytes"
    text = log.read_text(encoding="utf-8")
    assert marker not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["vote"] for r in rows] == ["up"] + ["down"] * 5
    assert all(len(line.encode()) <= Settings().feedback_record_bytes for line in text.splitlines())


# -- the browser: URLs as text

@pytest.mark.slow
@pytest.mark.browser
def test_a_url_in_a_document_or_a_question_shows_as_text_not_a_link(chat):
    from playwright.sync_api import expect, sync_playwright

    from testing.browser import launch

    srv, _ = chat
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 950})
            pg.set_default_timeout(60_000)
            pg.goto(srv.url + "/")
            pg.fill("#uca-question textarea", LINK_QUESTION)
            pg.press("#uca-question textarea", "Enter")
            bot = pg.locator("#uca-chat [data-testid='bot']")
            expect(bot).to_have_count(1)
            expect(bot.first).to_contain_text("https://reports.linkland.example.com/annual")
            expect(bot.first).not_to_contain_text("▍")
            sources = pg.locator("#uca-sources")
            expect(sources.locator(".uca-card").first).to_contain_text("links.md")
            for shown in ("https://reports.linkland.example.com/annual", "www.linkland.example.org",
                          "press@linkland.example.org"):
                expect(bot.first).to_contain_text(shown)
                expect(sources).to_contain_text(shown)
            expect(pg.locator("#uca-chat [data-testid='user']").first).to_contain_text("http://q.example.net/x")
            # the only links are the answer's own [n], to its cards on this page
            hrefs = pg.locator("#uca-chat a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            assert all(h.startswith("#uca-src-") for h in hrefs), (hrefs, pg.locator("#uca-chat").inner_html()[:2000])
            assert pg.locator("#uca-sources a").count() == 0
        finally:
            browser.close()


@pytest.mark.slow
def test_uploaded_temporary_files_are_deleted_at_shutdown(chat):
    """Last in this module: it stops the server."""
    import httpx

    srv, temp = chat
    reply = httpx.post(srv.url + "/gradio_api/upload", files={"files": ("note.txt", b"temporary text " * 100)},
                       timeout=60)
    assert reply.status_code == 200, reply.text
    [stored] = reply.json()  # named by an alias, not by the server's absolute path
    assert stored.startswith("uca-files/") and stored.endswith("/note.txt") and str(temp) not in reply.text, stored
    assert httpx.get(f"{srv.url}/gradio_api/file={stored}", timeout=30).text.startswith("temporary text")
    deadline = time.monotonic() + 15
    while not [p for p in temp.rglob("note.txt")] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in temp.rglob("note.txt")], "the upload did not reach Gradio's temporary folder"
    srv.stop()  # SIGTERM: uvicorn's shutdown runs Gradio's cleanup (then re-raises the signal: exit -15)
    assert srv.proc.returncode == -15, srv.log_tail()  # not the SIGKILL of a server that would not stop
    assert [p for p in temp.rglob("*") if p.is_file() and p.stat().st_size] == []
