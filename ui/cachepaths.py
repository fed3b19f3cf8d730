"""Gradio's temporary-file folder never shows in a reply: an ASGI layer that swaps its absolute path for a
short alias on the way out and back on the way in.

Gradio's protocol names files by their server path: ``POST /gradio_api/upload`` answers with the absolute
paths of the stored files, event results carry ``FileData`` paths (an export, a file component's value), and
the page sends those paths back in its next event and in ``/gradio_api/file=...`` URLs. The absolute path tells
a client where the server keeps its files (and, with the default temporary folder, whose account runs it).
:class:`CachePathMask` rewrites, in JSON and event-stream replies, every occurrence of the folder's path to
:data:`ALIAS` (``/tmp/gradio/3f2c.../note.txt`` becomes ``uca-files/3f2c.../note.txt``), and in JSON request
bodies and ``/file=`` URLs the alias back to the path, so Gradio sees exactly what it would see without the
layer. Its checks stay in force: a rewritten path is resolved and must lie in its upload folder, as before.

No Gradio setting does this (its paths are part of its API); the layer is pure ASGI, run inside the request
guard, which has already bounded the request body that is buffered here.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

ALIAS = "uca-files"  # what the temporary folder's path becomes in replies
REWRITTEN_TYPES = (b"application/json", b"text/event-stream")  # reply content types that can carry paths
FILE_ROUTE = "/gradio_api/file="  # Gradio's route that serves a temporary file by its path


def _content_type(headers: list) -> bytes:
    return next((v.split(b";")[0].strip().lower() for k, v in headers if k.lower() == b"content-type"), b"")


class CachePathMask:
    """Pure ASGI middleware: ``folder`` (an absolute path) is :data:`ALIAS` to clients (module docstring)."""

    def __init__(self, app: Any, folder: str) -> None:
        self.app = app
        self.folder = os.path.abspath(folder).rstrip(os.sep)
        self._out = self.folder.encode("utf-8")
        self._alias = ALIAS.encode("utf-8")

    def masked(self, data: bytes) -> bytes:
        """``data`` with the folder's path (followed by a separator or the end of a string) as the alias."""
        return data.replace(self._out + b"/", self._alias + b"/").replace(self._out + b'"', self._alias + b'"')

    def unmasked(self, data: bytes) -> bytes:
        """``data`` with each aliased path (a JSON string or a ``/file=`` URL starting with it) absolute again."""
        for lead in (b'"', b"file="):
            data = data.replace(lead + self._alias + b"/", lead + self._out + b"/")
        return data

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        lead = FILE_ROUTE + ALIAS
        if path.startswith(lead + "/"):
            raw = scope.get("raw_path") or path.encode("utf-8")
            real_raw = (FILE_ROUTE + quote(self.folder)).encode("ascii") + raw[len(lead):] \
                if raw.startswith(lead.encode("ascii")) else raw
            scope = {**scope, "path": FILE_ROUTE + self.folder + path[len(lead):], "raw_path": real_raw}
        if _content_type(scope.get("headers", [])) == b"application/json":
            receive = self._unmasking(receive)
        await self.app(scope, receive, self._masking(send))

    def _unmasking(self, receive: Any) -> Any:
        """A receive that hands the app the whole JSON body at once, aliases resolved."""
        state: dict[str, Any] = {"done": False}

        async def whole() -> dict:
            if state["done"]:
                return await receive()
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return message  # a disconnect (or the guard's cut of a body over its limit)
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            state["done"] = True
            return {"type": "http.request", "body": self.unmasked(bytes(body)), "more_body": False}

        return whole

    def _masking(self, send: Any) -> Any:
        """A send that rewrites JSON replies (buffered whole, their length recomputed) and event-stream
        messages (one at a time: Gradio sends each event in one piece); other replies pass untouched."""
        state: dict[str, Any] = {"start": None, "mode": None, "body": bytearray()}

        async def masking_send(message: dict) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                ctype = _content_type(message.get("headers", []))
                state["mode"] = ctype if ctype in REWRITTEN_TYPES else None
                if state["mode"] == b"application/json":
                    state["start"] = message  # sent with the whole body, its length known
                    return
                if state["mode"] is not None:
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
                    message = {**message, "headers": headers}
                await send(message)
                return
            if kind != "http.response.body" or state["mode"] is None:
                await send(message)
                return
            if state["mode"] == b"text/event-stream":
                await send({**message, "body": self.masked(message.get("body", b""))})
                return
            state["body"] += message.get("body", b"")
            if message.get("more_body", False):
                return
            body = self.masked(bytes(state["body"]))
            start = state["start"]
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        return masking_send
