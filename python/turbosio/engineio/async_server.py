"""The asyncio flavour of the bare Engine.IO server."""

from __future__ import annotations

from typing import Any

from .._asyncio_pump import AsyncioPump
from .._awaitable import DONE, Done
from .base_server import BaseServer


class AsyncServer(AsyncioPump, BaseServer):
    """A bare Engine.IO server for asyncio, with python-engineio's ``AsyncServer`` API.

    Args:
        logger: True to log at INFO, False for errors only, or a ``logging.Logger``.
        json: Accepted for compatibility.
        **kwargs: ``ping_interval``, ``ping_timeout``, ``max_http_buffer_size``, ``allow_upgrades``, ``cookie``,
            ``cors_allowed_origins``, ``cors_credentials``, ``transports``, ``async_mode``; unknown ones are ignored.
            turbosio adds ``max_queue_packets`` and ``max_queue_bytes`` (what may wait to be written to a client).
    """

    _default_async_mode = 'asgi'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_pump()

    def _environ_for(self, sid: str, transport: str, request: Any) -> dict[str, Any]:
        return self._scope_environ(sid, super()._environ_for(sid, transport, request))

    def send(self, sid: str, data: str | bytes) -> Done[None]:
        """Send a message (str or bytes) to a client; returns a completed awaitable."""
        self._core.eio_send(sid, data)
        return DONE

    def disconnect(self, sid: str | None = None) -> Done[None]:
        """Close a client's session, or every session when ``sid`` is None; returns a completed awaitable."""
        for target in [sid] if sid is not None else list(self.environ):
            self._core.eio_close(target)
        return DONE

    def get_session(self, sid: str) -> Done[dict[str, Any]]:
        """The client's session dict (awaitable)."""
        return Done(self._session(sid))

    def save_session(self, sid: str, session: dict[str, Any]) -> Done[None]:
        """Replace the client's session dict (awaitable)."""
        if sid in self.environ:
            self._sessions[sid] = session
        return DONE

    async def shutdown(self) -> None:
        """Stop serving and close every session (a coroutine)."""
        self._core.shutdown()
        self._on_wake()
