"""``turbosio.Middleware``: python-socketio's old name for :class:`turbosio.WSGIApp`, kept so code written
against it still imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .wsgi import WSGIApp


class Middleware(WSGIApp):
    """Deprecated alias of :class:`turbosio.WSGIApp` (python-socketio renamed it); no ``static_files``.

    Args:
        socketio_app: The :class:`turbosio.Server`.
        wsgi_app: A WSGI app for every request outside the Socket.IO path.
        socketio_path: The Socket.IO endpoint (default ``'socket.io'``).
    """

    def __init__(
        self,
        socketio_app: Any,
        wsgi_app: Callable[..., Iterable[bytes]] | None = None,
        socketio_path: str = 'socket.io',
    ) -> None:
        super().__init__(socketio_app, wsgi_app, socketio_path=socketio_path)
