"""Bare Engine.IO v4 servers with python-engineio's API, on turbosio's Rust engine.

``import turbosio.engineio as engineio`` replaces ``import engineio`` for servers.
"""

from typing import Any

from .._reason import Reason
from ..asgi import ASGIApp as _SocketIOASGIApp
from .async_server import AsyncServer
from .server import Server


class ASGIApp(_SocketIOASGIApp):
    """ASGI application serving a bare :class:`AsyncServer` at ``engineio_path`` (default ``'engine.io'``)."""

    def __init__(
        self,
        engineio_server: AsyncServer,
        other_asgi_app: Any = None,
        static_files: dict[str, Any] | None = None,
        engineio_path: str | None = 'engine.io',
        on_startup: Any = None,
        on_shutdown: Any = None,
    ) -> None:
        super().__init__(engineio_server, other_asgi_app, static_files, engineio_path, on_startup, on_shutdown)


__all__ = ['ASGIApp', 'AsyncServer', 'Reason', 'Server']
