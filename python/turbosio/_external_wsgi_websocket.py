"""WebSocket through the external WSGI driver: where the WSGI server lets the app have the connection's socket
(eventlet ``eventlet.input``, gunicorn ``gunicorn.socket``, werkzeug ``werkzeug.socket``), the socket is handed
to the Rust runtime, which answers the handshake and serves the session; the request's worker only waits for it
to end. Elsewhere, and over TLS, the upgrade is refused (HTTP 400) and clients stay on long-polling."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

from . import _core
from ._external_wsgi import answer, remote_of


def serve_websocket(
    driver: _core.ExternalDriverCore,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    headers: list[tuple[bytes, bytes]],
) -> Iterable[bytes]:
    """Hand an Engine.IO WebSocket upgrade to the runtime and wait until that WebSocket ends."""
    sock = _raw_socket(environ)
    if sock is None:
        # No way to take the socket over from this server: refuse, so clients keep polling.
        start_response('400 Bad Request', [('Content-Type', 'application/json')])
        return [b'{"code":3,"message":"Bad request"}']
    fd = sock.fileno()
    was_blocking = os.get_blocking(fd)
    done_read, done_write = os.pipe()
    try:
        refused = driver.adopt_websocket(
            fd, done_write, environ.get('PATH_INFO', '/'), environ.get('QUERY_STRING', ''), headers,
            remote_of(environ),
        )
    except BaseException:
        os.close(done_read)
        raise
    finally:
        os.close(done_write)
    if refused is not None:
        os.close(done_read)
        return answer(refused, start_response)
    try:
        _wait_for_eof(done_read, green='eventlet.input' in environ)
    finally:
        os.close(done_read)
        # The runtime made the (shared) file non-blocking; give the server its socket back as it was.
        try:
            os.set_blocking(fd, was_blocking)
        except OSError:
            pass
    return _hand_back(environ, start_response)


def _raw_socket(environ: dict[str, Any]) -> Any | None:
    """The connection's socket, where the WSGI server exposes it and the runtime can serve it; else None.

    Not over TLS (the runtime speaks plain TCP; a proxy's TLS with plain TCP behind it is fine), not over a unix
    socket, and not from a server that runs one request at a time (gunicorn's sync worker, a non-threaded
    werkzeug): the session would hold its only worker for as long as it lasts.
    """
    if not environ.get('wsgi.multithread') and 'eventlet.input' not in environ:
        return None
    sock = None
    if 'eventlet.input' in environ:
        get_socket = getattr(environ['eventlet.input'], 'get_socket', None)
        sock = get_socket() if get_socket is not None else None
    else:
        sock = environ.get('gunicorn.socket') or environ.get('werkzeug.socket')
    if sock is None or isinstance(sock, ssl.SSLSocket) or not hasattr(sock, 'fileno'):
        return None
    if getattr(sock, 'family', None) not in (socket.AF_INET, socket.AF_INET6):
        return None
    return sock


def _wait_for_eof(fd: int, green: bool) -> None:
    """Wait until the pipe's write ends are all closed: the runtime closes its copy when the WebSocket ends."""
    if green:
        # One green thread per connection on one OS thread: wait in eventlet's hub, not in a blocking read.
        from eventlet.hubs import trampoline

        os.set_blocking(fd, False)
        while True:
            trampoline(fd, read=True)
            try:
                if not os.read(fd, 64):
                    return
            except BlockingIOError:
                continue
    while os.read(fd, 64):  # a blocking read (the pipe is): b'' is EOF; no select(), whose fds stop at 1023
        pass


def _hand_back(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """End the request without a response: the socket is already shut down, and each server must be told not to
    write one (or nothing it writes reaches anyone)."""
    if 'eventlet.input' in environ:
        import eventlet.wsgi

        eventlet.wsgi.WSGI_LOCAL.already_handled = True
        return []
    if 'gunicorn.socket' in environ:
        # gunicorn's workers close the connection quietly on StopIteration.
        raise StopIteration
    # werkzeug (and the rest) write the status line; it fails on the shut socket, which they treat as a client
    # that went away.
    start_response('101 Switching Protocols', [])
    return []
