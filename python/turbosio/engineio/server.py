"""The threaded flavour of the bare Engine.IO server."""

from __future__ import annotations

from typing import Any

from .._thread_pump import ThreadPump
from .base_server import BaseServer


class Server(ThreadPump, BaseServer):
    """A bare Engine.IO server whose handlers run on worker threads, with python-engineio's ``Server`` API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_pump()

    def send(self, sid: str, data: str | bytes) -> None:
        """Send a message (str or bytes) to a client."""
        self._core.eio_send(sid, data)

    def disconnect(self, sid: str | None = None) -> None:
        """Close a client's session, or every session when ``sid`` is None."""
        for target in [sid] if sid is not None else list(self.environ):
            self._core.eio_close(target)

    def get_session(self, sid: str) -> dict[str, Any]:
        """The client's session dict."""
        return self._session(sid)

    def save_session(self, sid: str, session: dict[str, Any]) -> None:
        """Replace the client's session dict."""
        if sid in self.environ:
            self._sessions[sid] = session

    def shutdown(self) -> None:
        """Stop serving and close every session."""
        self._core.shutdown()
        self._stop_pump()
