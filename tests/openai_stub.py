"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API (streaming and not),
answering with scripted completions. Used to test the LLM mode with the real langchain-openai client."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Script = Callable[[list[dict]], str]


def passages_in(messages: list[dict]) -> dict[int, str]:
    """The numbered passages of the assistant's prompt: {n: text}."""
    text = "\n".join(str(m.get("content", "")) for m in messages)
    return {int(n): body for n, body in re.findall(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', text, re.S)}


def number_of(messages: list[dict], needle: str) -> int:
    """Number of the first passage containing ``needle`` (what a well-behaved model would cite)."""
    for n, body in sorted(passages_in(messages).items()):
        if needle in body:
            return n
    raise AssertionError(f"no passage contains {needle!r}")


class StubOpenAI:
    """Start with ``with StubOpenAI(script) as stub:``; ``stub.base_url`` is the ``/v1`` URL."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict] = []
        stub = self

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
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    pieces = re.findall(r"\S+\s*|\s+", content) or [""]
                    for i, piece in enumerate(pieces):
                        delta = {"content": piece}
                        if i == 0:
                            delta["role"] = "assistant"
                        self._event({"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()),
                                     "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                    self._event({"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()),
                                 "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
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

            def _event(self, obj: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
