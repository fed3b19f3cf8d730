"""The HTTP side of ``uca chat``: the Gradio app mounted on a FastAPI app, behind a request guard, served by
uvicorn.

The guard (:class:`RequestGuard`, outermost ASGI layer) refuses, before Gradio parses anything:

- a ``Host`` header that is not one of the configured host names (DNS rebinding needs a foreign name);
- a request whose ``Origin`` is another origin (so no page elsewhere can drive the app; Gradio's own CORS
  layer, which reflects any localhost origin with credentials, is replaced by Starlette's with no allowed
  origin);
- a body larger than its limit, announced (``Content-Length``) or streamed (bytes counted as they arrive,
  never buffered here);
- the upload route when the app has no upload feature.

No library does this whole job: Starlette's ``TrustedHostMiddleware`` checks the Host only and has no body
limit, and uvicorn has no request-size setting; the guard is kept small and pure ASGI instead.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ingest.settings import Settings
from ui.cachepaths import CachePathMask

log = logging.getLogger(__name__)

UPLOAD_PATH = "/gradio_api/upload"  # Gradio's file upload route
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # bind addresses that are not host names
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")  # always accepted: the machine itself
MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers around the uploaded files, per request
DEFAULT_PORTS = {"http": 80, "https": 443}  # the schemes a page origin may have


def host_name(value: str) -> str:
    """The host name of a ``Host`` header value or of a URL's netloc, lower-cased, without port or brackets."""
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:7860
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def allowed_hosts(settings: Settings, bind_host: str) -> set[str]:
    """Host names accepted in the ``Host`` header: the bind host (or, bound to every interface, this machine's
    name), localhost, and ``settings.allowed_hosts``."""
    names = set(LOCAL_HOSTS)
    bind = host_name(bind_host)
    if bind in WILDCARD_HOSTS:
        names.add(socket.gethostname().lower())
    else:
        names.add(bind)
    names.update(host_name(h) for h in settings.allowed_hosts.split(",") if h.strip())
    return names


def same_origin(origin: str, host_header: str) -> bool:
    """Whether ``Origin`` names this server as the client reached it (the ``Host`` header): same host name and
    port (a missing port is the default of the origin's scheme, http or https)."""
    try:
        o = urlsplit(origin.strip())
        h = urlsplit(f"//{host_header.strip()}")
        o_port, h_port = o.port, h.port
    except ValueError:
        return False
    if o.scheme not in DEFAULT_PORTS or not o.hostname or o.path or o.query:
        return False
    default = DEFAULT_PORTS[o.scheme]
    return o.hostname == h.hostname and (o_port or default) == (h_port or default)


async def _refuse(send: Any, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    """The request body went past its limit while streaming in."""


class RequestGuard:
    """Pure ASGI middleware: Host, Origin and body-size checks (see the module docstring).

    ``upload_limit`` is the body limit of :data:`UPLOAD_PATH`, or ``None`` when uploads are refused.
    """

    def __init__(self, app: Any, hosts: Iterable[str], max_body: int, upload_limit: int | None) -> None:
        self.app = app
        self.hosts = {host_name(h) for h in hosts}
        self.max_body = max_body
        self.upload_limit = upload_limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        problem = self._problem(scope, headers)
        if problem is not None:
            status, message = problem
            log.warning("refused %s %s: %s", scope.get("method", "WS"), scope.get("path"), message)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _refuse(send, status, message)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._bounded(scope, receive, send, self._limit(scope))

    def _limit(self, scope: dict) -> int:
        return self.upload_limit if scope.get("path") == UPLOAD_PATH and self.upload_limit else self.max_body

    def _problem(self, scope: dict, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if host_name(host) not in self.hosts:
            return 400, "Invalid Host header: this server does not answer to that name."
        origin = headers.get("origin")
        if origin is not None and not same_origin(origin, host):
            return 403, "Cross-origin requests are not accepted."
        if scope["type"] == "websocket":
            return None
        if scope.get("path") == UPLOAD_PATH and self.upload_limit is None:
            return 403, "Uploads are turned off on this server."
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "Invalid Content-Length header."
            if int(length) > self._limit(scope):
                return 413, f"Request body too large (limit {self._limit(scope)} bytes)."
        return None

    async def _bounded(self, scope: dict, receive: Any, send: Any, limit: int) -> None:
        """Run the app with a receive that counts body bytes; past ``limit`` the app sees a disconnect and the
        client gets 413 (unless the app had already started its response)."""
        state = {"bytes": 0, "over": False, "started": False}

        async def counted_receive() -> dict:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["bytes"] += len(message.get("body", b""))
                if state["bytes"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            if state["over"] and not state["started"]:
                return  # the app's reply to a cut body is dropped: the client gets the 413 below
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            log.warning("refused %s %s: body over %d bytes", scope.get("method"), scope.get("path"), limit)
            await _refuse(send, 413, f"Request body too large (limit {limit} bytes).")


def upload_body_limit(max_files: int, max_file_bytes: int) -> int:
    """The body limit of the upload route for ``max_files`` files of at most ``max_file_bytes`` each."""
    return max_files * max_file_bytes + MULTIPART_SLACK


GRACEFUL_SHUTDOWN_SECONDS = 5  # open event streams get this long to end on SIGTERM/Ctrl-C before they are cut


def asgi_app(demo: Any, settings: Settings, bind_host: str, uploads: bool = False, **mount: Any) -> RequestGuard:
    """``demo`` mounted at ``/`` of a FastAPI app with Starlette's CORS layer (no allowed origin, so Gradio
    adds none of its own), behind the guard. With ``uploads``, Gradio's upload route takes up to
    ``settings.max_upload_files`` files of ``settings.max_upload_bytes`` (Gradio checks each file's size while
    it streams in); without, the route is refused. Gradio's temporary folder is aliased in every reply
    (:class:`ui.cachepaths.CachePathMask`). ``mount`` goes to ``gr.mount_gradio_app`` (theme, css)."""
    import gradio as gr
    from fastapi import FastAPI
    from gradio.utils import get_upload_folder
    from starlette.middleware.cors import CORSMiddleware

    parent = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    parent.add_middleware(CORSMiddleware, allow_origins=[])
    upload_limit = upload_body_limit(settings.max_upload_files, settings.max_upload_bytes) if uploads else None
    max_file = settings.max_upload_bytes if uploads else settings.max_request_bytes
    gr.mount_gradio_app(parent, demo, path="/", max_file_size=max_file, show_error=False, ssr_mode=False,
                        **mount)
    masked = CachePathMask(parent, get_upload_folder())
    return RequestGuard(masked, allowed_hosts(settings, bind_host), settings.max_request_bytes, upload_limit)


def serve(app: RequestGuard, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until SIGINT/SIGTERM; the shutdown runs Gradio's cleanup (temporary files)."""
    import uvicorn

    hosts = ", ".join(sorted(app.hosts))
    print(f"* Running on http://{host if ':' not in host else f'[{host}]'}:{port} (accepted host names: {hosts};"
          " add others with UCA_ALLOWED_HOSTS)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
