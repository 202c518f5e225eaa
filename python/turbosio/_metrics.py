"""The Python half of metrics: switching counting on (the Rust counters and the pumps' handler timing) and
answering ``ASGIApp(..., metrics_path=...)``'s path. The counters, the snapshot and the text format are Rust's
(``src/metrics/``); the public names are in ``turbosio.metrics``."""

from __future__ import annotations

from typing import Any

from ._external_asgi import Receive, Scope, Send, respond


def enable(server: Any) -> None:
    """Start counting for ``server`` (a Socket.IO or Engine.IO server). Idempotent.

    The pumps time handlers only from now on (``_timing``); the asyncio pump hands Rust one batch per drain
    (see ``_asyncio_pump``)."""
    server._core.metrics_enable()
    server._timing = True


async def serve_metrics(server: Any, scope: Scope, send: Send) -> None:
    """Answer a request for the metrics path: the text format for GET, its headers for HEAD, 405 otherwise."""
    method = scope.get('method', 'GET')
    if method not in ('GET', 'HEAD'):
        await respond(send, 405, [(b'content-type', b'text/plain'), (b'allow', b'GET, HEAD')], b'Method Not Allowed')
        return
    text = server._core.metrics_text()  # the GIL is released while Rust reads the engine and renders
    body = text.encode() if method == 'GET' else b''
    await respond(send, 200, [(b'content-type', server._core.metrics_content_type().encode())], body)


async def answer_if_metrics(server: Any, metrics_path: str | None, scope: Scope, receive: Receive, send: Send) -> bool:
    """Serve the request when it asks for ``metrics_path`` (exactly); False when it does not."""
    del receive  # nothing is read: a GET has no body worth reading
    if metrics_path is None or scope['type'] != 'http' or scope['path'] != metrics_path:
        return False
    await serve_metrics(server, scope, send)
    return True
