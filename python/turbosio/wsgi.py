"""``turbosio.WSGIApp``: serve a threaded :class:`turbosio.Server` from a WSGI server, beside a WSGI app (Flask).

Long-polling works under any WSGI server: each request is handed to the Rust engine and a waiting GET blocks
its worker thread until the engine wakes it (``_external_wsgi_polling``).

WebSocket works where the WSGI server lets the app have the connection's socket: eventlet (``eventlet.input``),
gunicorn (``gunicorn.socket``) and werkzeug's development server (``werkzeug.socket``). The socket is handed to
the Rust runtime, which answers the handshake and serves the session there (``_external_wsgi_websocket``).
Elsewhere, and over TLS, the upgrade is refused cleanly (HTTP 400) and clients stay on long-polling.

Served natively instead, with ``turbosio.run(app)``, Rust answers Socket.IO itself and runs this WSGIApp (static
files, then the wrapped app) on worker threads for the other paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._external_wsgi import request_headers
from ._external_wsgi_polling import serve_polling
from ._external_wsgi_websocket import serve_websocket
from ._static_files import read_static_file, resolve_static_file
from ._thread_pump import ThreadPump


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
        self.engineio_app: ThreadPump = socketio_app
        self.wsgi_app = wsgi_app
        self.static_files = static_files or {}
        self.engineio_path = '/' + socketio_path.strip('/') + '/'
        self._driver = socketio_app._core.external_driver()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '/')
        if (path if path.endswith('/') else path + '/').startswith(self.engineio_path):
            return self._engineio(environ, start_response)
        static = resolve_static_file(path, self.static_files) if self.static_files else None
        content = read_static_file(static['filename']) if static is not None else None
        if static is not None and content is not None:
            start_response('200 OK', [('Content-Type', static['content_type'])])
            return [content]
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        return self.not_found(start_response)

    def not_found(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer a request no route matched (HTTP 404); override for a custom page."""
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'Not Found']

    def _engineio(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.engineio_app._start_pump()
        headers = request_headers(environ)
        if environ.get('HTTP_UPGRADE', '').lower() == 'websocket':
            return serve_websocket(self._driver, environ, start_response, headers)
        return serve_polling(self._driver, self.engineio_app, environ, start_response, headers)
