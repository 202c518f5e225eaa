"""``turbosio.WSGIApp``: serve a threaded :class:`turbosio.Server` from a WSGI server, beside a WSGI app (Flask).

Long-polling works under any WSGI server: each request is handed to the Rust engine and a waiting GET blocks
its worker thread until the engine wakes it.

WebSocket works where the WSGI server lets the app have the connection's socket: eventlet (``eventlet.input``),
gunicorn (``gunicorn.socket``) and werkzeug's development server (``werkzeug.socket``). The socket is handed to
the Rust runtime, which answers the handshake and serves the session there; the request's worker (a green thread
under eventlet) only waits for it to end. Elsewhere, and over TLS, the upgrade is refused cleanly (HTTP 400) and
clients stay on long-polling.

Served natively instead, with ``turbosio.run(app)``, Rust answers Socket.IO itself and runs this WSGIApp (static
files, then the wrapped app) on worker threads for the other paths.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

from .asgi import _read_file, _static_file

_RESPOND, _WAIT = 0, 1
_STATUS_TEXT = {200: 'OK', 204: 'No Content', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
                413: 'Payload Too Large'}


class WSGIApp:
    """WSGI application that serves a :class:`turbosio.Server`.

    Args:
        socketio_app: The :class:`turbosio.Server`.
        wsgi_app: A WSGI app (e.g. Flask) for every request outside the Socket.IO path.
        static_files: python-engineio-style static file map.
        socketio_path: The Socket.IO endpoint (default ``'socket.io'``).
    """

    def __init__(
        self,
        socketio_app: Any,
        wsgi_app: Callable[..., Iterable[bytes]] | None = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str = 'socket.io',
    ) -> None:
        if not hasattr(socketio_app, '_start_pump'):
            raise TypeError('WSGIApp needs a threaded turbosio Server (use ASGIApp for an AsyncServer)')
        self.engineio_app = socketio_app
        self.wsgi_app = wsgi_app
        self.static_files = static_files or {}
        self.engineio_path = '/' + socketio_path.strip('/') + '/'
        self._driver = socketio_app._core.external_driver()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '/')
        if (path if path.endswith('/') else path + '/').startswith(self.engineio_path):
            return self._engineio(environ, start_response)
        static = _static_file(path, self.static_files) if self.static_files else None
        content = _read_file(static['filename']) if static is not None else None
        if static is not None and content is not None:
            start_response('200 OK', [('Content-Type', static['content_type'])])
            return [content]
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'Not Found']

    def _engineio(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        server = self.engineio_app
        server._start_pump()
        headers = _headers(environ)
        if environ.get('HTTP_UPGRADE', '').lower() == 'websocket':
            return self._websocket(environ, start_response, headers)
        limit = self._driver.max_payload
        body, oversize = _read_body(environ, limit)
        remote = (environ.get('REMOTE_ADDR', ''), int(environ.get('REMOTE_PORT') or 0))
        answer = self._driver.http(
            environ['REQUEST_METHOD'], environ.get('PATH_INFO', '/'), environ.get('QUERY_STRING', ''),
            headers, body, remote, oversize,
        )
        yield_to = _green_yield(environ)
        while answer[0] == _WAIT:
            _, eio_sid, token = answer
            if not server._wait_token_blocking(token, timeout=60, yield_to=yield_to):
                self._driver.poll_abort(eio_sid)
                start_response('400 Bad Request', [('Content-Type', 'text/plain')])
                return [b'poll timed out']
            answer = self._driver.poll_resume(eio_sid, token, headers)
        return _answer(answer, start_response)

    def _websocket(
        self, environ: dict[str, Any], start_response: Callable[..., Any], headers: list[tuple[bytes, bytes]]
    ) -> Iterable[bytes]:
        sock = _raw_socket(environ)
        if sock is None:
            # No way to take the socket over from this server: refuse, so clients keep polling.
            start_response('400 Bad Request', [('Content-Type', 'application/json')])
            return [b'{"code":3,"message":"Bad request"}']
        fd = sock.fileno()
        was_blocking = os.get_blocking(fd)
        done_read, done_write = os.pipe()
        try:
            refused = self._driver.adopt_websocket(
                fd, done_write, environ.get('PATH_INFO', '/'), environ.get('QUERY_STRING', ''), headers,
                (environ.get('REMOTE_ADDR', ''), int(environ.get('REMOTE_PORT') or 0)),
            )
        except BaseException:
            os.close(done_read)
            raise
        finally:
            os.close(done_write)
        if refused is not None:
            os.close(done_read)
            return _answer(refused, start_response)
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


def _answer(answer: tuple[Any, ...], start_response: Callable[..., Any]) -> list[bytes]:
    _, status, response_headers, payload = answer
    start_response(
        f'{status} {_STATUS_TEXT.get(status, "")}'.strip(),
        [(name.decode('latin-1'), value.decode('latin-1')) for name, value in response_headers],
    )
    return [payload]


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


def _green_yield(environ: dict[str, Any]) -> Callable[[], None] | None:
    """Under eventlet's WSGI server every request is a green thread on one OS thread: a waiting long-poll must
    yield to the others (so the POST that wakes it can be read) instead of blocking the thread."""
    if 'eventlet.input' not in environ:
        return None
    import eventlet

    return lambda: eventlet.sleep(0.002)


def _headers(environ: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    out = []
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            out.append((key[5:].replace('_', '-').lower().encode('latin-1'), str(value).encode('latin-1')))
        elif key in ('CONTENT_TYPE', 'CONTENT_LENGTH') and value:
            out.append((key.replace('_', '-').lower().encode('latin-1'), str(value).encode('latin-1')))
    return out


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

