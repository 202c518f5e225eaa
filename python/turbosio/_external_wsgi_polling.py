"""Long-polling through the external WSGI driver: each Engine.IO HTTP request is handed to
``ExternalDriverCore``, and a waiting GET blocks its worker (or yields its green thread) until the engine wakes
it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import _core
from ._external_wsgi import answer, remote_of
from ._kinds import ANSWER_WAIT
from ._thread_pump import ThreadPump


def serve_polling(
    driver: _core.ExternalDriverCore,
    server: ThreadPump,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    headers: list[tuple[bytes, bytes]],
) -> Iterable[bytes]:
    """Answer one Engine.IO long-polling request (a GET that reads, a POST that writes, or the handshake)."""
    body, oversize = _read_body(environ, driver.max_payload)
    reply = driver.http(
        environ['REQUEST_METHOD'], environ.get('PATH_INFO', '/'), environ.get('QUERY_STRING', ''),
        headers, body, remote_of(environ), oversize,
    )
    yield_to = _green_yield(environ)
    while reply[0] == ANSWER_WAIT:
        _, eio_sid, token = reply
        if not server._wait_token_blocking(token, timeout=60, yield_to=yield_to):
            driver.poll_abort(eio_sid)
            start_response('400 Bad Request', [('Content-Type', 'text/plain')])
            return [b'poll timed out']
        reply = driver.poll_resume(eio_sid, token, headers)
    return answer(reply, start_response)


def _green_yield(environ: dict[str, Any]) -> Callable[[], None] | None:
    """Under eventlet's WSGI server every request is a green thread on one OS thread: a waiting long-poll must
    yield to the others (so the POST that wakes it can be read) instead of blocking the thread."""
    if 'eventlet.input' not in environ:
        return None
    import eventlet

    return lambda: eventlet.sleep(0.002)


def _read_body(environ: dict[str, Any], limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes of the request body; (b'', True) when it is larger."""
    stream = environ.get('wsgi.input')
    if stream is None:
        return b'', False
    length = environ.get('CONTENT_LENGTH')
    if length:
        size = int(length)
        if size > limit:
            return b'', True
        return stream.read(size), False
    data = stream.read(limit + 1) if environ.get('wsgi.input_terminated') else b''
    if len(data) > limit:
        return b'', True
    return data, False
