"""Real servers on 127.0.0.1 for tests, scripts and the benchmark: ``uca chat`` (:class:`ChatServer`), ``chroma
run`` (:func:`chroma_server`) and an OpenAI-compatible chat-completions stub (:class:`StubOpenAI`).

Each server is started here, waited for over HTTP, and stopped here (its own process group, never another)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testing.env import LOOPBACK, ROOT, free_port, offline_env, uca_command
from testing.fakes import Script, tokens

POLL = 0.5  # seconds between two "is it up?" requests
PROBE_TIMEOUT = 5  # seconds one such request may take
STOP_GRACE = 20  # seconds a stopped server gets before SIGKILL
KILL_GRACE = 10  # seconds to reap it after SIGKILL
TAIL = 4000  # characters of a server's log quoted in an error


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float, what: str, log: Path | None = None,
                  poll: float = POLL) -> float:
    """Block until ``GET url`` answers 200; the seconds it took. RuntimeError (with the log's tail) when the
    process exits first or ``timeout`` passes."""
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as resp:
                if resp.status == 200:
                    return time.monotonic() - t0
        except OSError:
            pass
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"{what} did not answer on {url} within {timeout} s:\n{log_tail(log)}")
        time.sleep(poll)


def log_tail(log: Path | None, n: int = TAIL) -> str:
    return log.read_text(errors="replace")[-n:] if log is not None and log.exists() else ""


def stop_process_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = STOP_GRACE) -> None:
    """``sig`` to the process group that ``proc`` leads (started with ``start_new_session``), SIGKILL if it
    lingers past ``grace`` seconds."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=KILL_GRACE)


class ChatServer:
    """One ``uca chat`` process on a free port of 127.0.0.1; its output goes to ``log``.

    ``start()`` returns at once (the app loads its model in the background), ``wait()`` blocks until the page
    answers, ``stop()`` ends the process group it started; ``with ChatServer(...) as srv:`` does all three.
    ``env`` replaces the default environment (:func:`testing.env.offline_env` plus ``extra_env``)."""

    def __init__(self, corpus: Path, index: Path, log: Path, *, env: dict[str, str] | None = None,
                 cwd: Path = ROOT, **extra_env: str) -> None:
        self.corpus, self.index, self.log, self.cwd = corpus, index, log, cwd
        self.env = env if env is not None else offline_env(corpus, index, **extra_env)
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ChatServer:
        with self.log.open("wb") as fh:
            self.proc = subprocess.Popen(
                [*uca_command(), "chat", "--host", LOOPBACK, "--port", str(self.port), "--index", str(self.index),
                 "--corpus", str(self.corpus)], env=self.env, cwd=str(self.cwd), stdout=fh,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log_tail(self, n: int = TAIL) -> str:
        return log_tail(self.log, n)

    def wait(self, timeout: float = 300, poll: float = POLL) -> str:
        """Block until ``GET /`` answers 200 (the app warms its model up before serving); the URL."""
        assert self.proc is not None, "start() first"
        wait_for_http(self.url + "/", self.proc, timeout, "uca chat", self.log, poll)
        return self.url

    def stop(self, sig: int = signal.SIGTERM, grace: float = STOP_GRACE) -> None:
        """``sig`` (SIGTERM) to the process group started here, SIGKILL if it lingers."""
        if self.proc is not None:
            stop_process_group(self.proc, sig, grace)

    def __enter__(self) -> ChatServer:
        self.start()
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ingest(corpus: Path, index: Path, timeout: float = 600, args: Sequence[str] = ()) -> None:
    """``uca ingest --quiet`` of ``corpus`` into ``index`` in a subprocess; RuntimeError when it fails."""
    proc = subprocess.run([*uca_command(), "ingest", "--quiet", *args], env=offline_env(corpus, index), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"uca ingest failed ({proc.returncode}):\n{proc.stderr[-TAIL:]}")


@contextmanager
def chroma_server(data: Path, timeout: float = 60) -> Iterator[str]:
    """A real ``chroma run`` on a free port of 127.0.0.1, storing under ``data``; yields its URL."""
    data.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), data / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(data / "db"),
                                 "--host", LOOPBACK, "--port", str(port)], stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_for_http(f"{url}/api/v2/heartbeat", proc, timeout, "chroma run", log, poll=0.3)
        yield url
    finally:
        stop_process_group(proc, grace=KILL_GRACE)


class StubOpenAI:
    """A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API (streaming and not),
    answering ``script(messages)``. Start with ``with StubOpenAI(script) as stub:``; ``stub.base_url`` is the
    ``/v1`` URL, ``stub.requests`` the JSON bodies received.

    A streamed reply sends one token every ``token_seconds`` (0: all at once); ``stub.streams`` has one record
    per streamed reply: ``{"tokens": n, "sent": k, "finished": bool, "cut": bool}``, ``cut`` when the client
    closed the connection before the end (it stopped reading: a stopped answer)."""

    def __init__(self, script: Script, token_seconds: float = 0.0) -> None:
        self.script = script
        self.token_seconds = token_seconds
        self.requests: list[dict] = []
        self.streams: list[dict] = []
        self.server = ThreadingHTTPServer((LOOPBACK, 0), _stub_handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/v1"

    def llm_settings(self, settings):
        """``settings`` in the LLM answer mode, with this stub as the OpenAI-compatible server."""
        return settings.model_copy(update={"llm": "openai:stub-model", "llm_base_url": self.base_url,
                                           "llm_api_key": "test", "answer_mode": "llm"})

    def __enter__(self) -> StubOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _stub_handler(stub: StubOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            return

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            stub.requests.append(body)
            if not self.path.endswith("/chat/completions"):
                self.send_error(404)
                return
            content = stub.script(body.get("messages", []))
            model = body.get("model", "stub")
            if body.get("stream"):
                self._stream(content, model)
                return
            payload = {
                "id": "c1", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, content: str, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

            def chunk(delta: dict, finish: str | None) -> dict:
                return {"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

            pieces = tokens(content)
            record = {"tokens": len(pieces), "sent": 0, "finished": False, "cut": False}
            stub.streams.append(record)
            try:
                for i, piece in enumerate(pieces):
                    if i and stub.token_seconds:
                        time.sleep(stub.token_seconds)
                    self._event(chunk({"content": piece, **({"role": "assistant"} if i == 0 else {})}, None))
                    record["sent"] += 1
                self._event(chunk({}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                record["finished"] = True
            except (BrokenPipeError, ConnectionResetError):
                record["cut"] = True

        def _event(self, obj: dict) -> None:
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

    return Handler
