"""Type stub of the Rust extension ``turbosio._core`` (kept by hand; checked with mypy.stubtest)."""

from typing import Any, Final, final

__all__ = ['ExternalDriverCore', 'ServerCore', '__version__']

__version__: Final[str]

# A drained item is a tuple whose first element is its kind:
#   (0, eio_sid, transport, request)          Engine.IO session opened; request = (method, path, query,
#                                             [(header, value)], remote_host, remote_port) or None
#   (1, eio_sid, str | bytes)                 bare Engine.IO message
#   (2, eio_sid, reason)                      Engine.IO session closed
#   (3, eio_sid, sid, namespace, auth)        connect request: answer with accept() or refuse()
#   (4, sid, namespace, event, args, ack_id)  event (ack_id None when no ack is wanted)
#   (5, sid, namespace, ack_id, args)         acknowledgement of a server emit
#   (6, sid, namespace, reason)               socket disconnected
#   (7, message)                              warning for the engineio.server log
#   (8, token)                                a transport driven from Python may proceed
#   (9, token, method, path, raw_path, query, [(name, value)], body, remote_host, remote_port)
#                                             a request for the hosted web app (native server)
_Item = tuple[Any, ...]
_Headers = list[tuple[bytes, bytes]]

@final
class ServerCore:
    """The Rust core of one server: engine, event queue and (optionally) the native listener."""

    def __new__(
        cls,
        *,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_http_buffer_size: int = 1_000_000,
        transports: list[str] | None = None,
        cors_allowed_origins: str | list[str] | None = None,
        cors_credentials: bool = True,
        cookie: str | None = None,
        socketio_path: str = 'socket.io',
        socketio: bool = True,
        max_queue_frames: int = 10_000,
        max_queue_bytes: int = 16_777_216,
        allow_upgrades: bool = True,
        http_compression: bool = True,
        compression_threshold: int = 1024,
    ) -> ServerCore: ...
    def forked(self) -> bool:
        """True in a fork() child of the process that created the server."""
    def wake_fd(self) -> int:
        """The descriptor that becomes readable when ``drain()`` has something."""
    def drain(self) -> list[_Item]:
        """Take every pending item."""
    def pending(self) -> int:
        """Items waiting now."""
    def accept(self, sid: str) -> bool:
        """Accept a connecting socket; False when it is gone."""
    def refuse(self, sid: str, message: str, data: Any = None) -> None:
        """Refuse a connecting socket with a CONNECT_ERROR."""
    def emit(
        self, namespace: str, event: Any, args: tuple[Any, ...], to: Any = None, skip_sid: Any = None
    ) -> None:
        """Emit to the namespace, rooms or sids in ``to``, minus ``skip_sid``."""
    def emit_with_ack(
        self, namespace: str, event: Any, args: tuple[Any, ...], to: Any = None, skip_sid: Any = None
    ) -> list[tuple[str, int]]:
        """Emit with an ack id per recipient; returns ``[(sid, ack_id)]``."""
    def ack(self, sid: str, namespace: str, ack_id: int, args: tuple[Any, ...]) -> None:
        """Answer a client's event."""
    def disconnect(self, sid: str, namespace: str) -> bool:
        """Disconnect a socket; False if it was not connected."""
    def enter_room(self, sid: str, namespace: str, room: Any) -> None:
        """Put a socket in a room (or rooms)."""
    def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take a socket out of a room (or rooms)."""
    def close_room(self, namespace: str, room: Any) -> None:
        """Empty a room."""
    def rooms(self, sid: str, namespace: str) -> list[str]:
        """A socket's rooms, its own sid first."""
    def transport(self, eio_sid: str) -> str | None:
        """``'polling'`` or ``'websocket'``."""
    def eio_send(self, eio_sid: str, data: str | bytes) -> bool:
        """Send a bare Engine.IO message."""
    def eio_close(self, eio_sid: str) -> None:
        """Close an Engine.IO session."""
    def listen(self, host: str, port: int, web_app: bool = False) -> int:
        """Serve natively; returns the bound port. With ``web_app``, other paths arrive as HTTP items (kind 9)."""
    def http_start(self, token: int, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """``http.response.start`` for a hosted web-app request."""
    def http_body(self, token: int, body: bytes, more_body: bool = False) -> bool:
        """``http.response.body`` for a hosted web-app request; True: call ``http_wait_written`` first."""
    def http_wait_written(self, token: int) -> int | None:
        """A wake token to wait for until the client caught up, or None to go on."""
    def http_body_consumed(self, token: int) -> None:
        """The app read a piece of a request body (kind 13 item)."""
    def http_abort(self, token: int) -> None:
        """Give up on a hosted web-app request."""
    def ws_accept(self, token: int, subprotocol: str | None = None, headers: _Headers = ...) -> None:
        """Accept a hosted web app's WebSocket (kind 10 item)."""
    def ws_deny(self, token: int, status: int = 403) -> None:
        """Refuse a hosted web app's WebSocket handshake."""
    def ws_send(self, token: int, data: str | bytes) -> bool:
        """Send a text or binary message; OSError once closed. True: call ``ws_wait_sent`` before more."""
    def ws_wait_sent(self, token: int) -> int | None:
        """A wake token to wait for until the client caught up, or None to go on."""
    def ws_consumed(self, token: int) -> None:
        """The app read a message; the driver may read another."""
    def ws_close(self, token: int, code: int = 1000, reason: str = ...) -> None:
        """Close an accepted WebSocket; OSError once closed."""
    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop listening, close every session and wait up to ``timeout`` seconds for queues to flush."""
    def external_driver(self) -> ExternalDriverCore:
        """The ASGI driver for this server."""

@final
class ExternalDriverCore:
    """Engine.IO requests from an ASGI server, answered as tuples."""

    @property
    def max_payload(self) -> int: ...
    def http(
        self,
        method: str,
        path: str,
        query: str,
        headers: _Headers,
        body: bytes,
        remote: tuple[str, int] | None = None,
        oversize: bool = False,
    ) -> tuple[Any, ...]:
        """``(0, status, headers, body)`` or ``(1, eio_sid, token)``."""
    def poll_resume(self, eio_sid: str, token: int, headers: _Headers) -> tuple[Any, ...]:
        """Continue a waiting GET after ``WAKE(token)``."""
    def poll_abort(self, eio_sid: str) -> None:
        """The waiting GET's client went away."""
    def ws_open(
        self, path: str, query: str, headers: _Headers, remote: tuple[str, int] | None = None
    ) -> tuple[Any, ...]:
        """``(2, eio_sid, open_frame | None)`` to accept, ``(0, status, headers, body)`` to refuse."""
    def adopt_websocket(
        self,
        socket_fd: int,
        done_fd: int,
        path: str,
        query: str,
        headers: _Headers,
        remote: tuple[str, int] | None = None,
    ) -> tuple[Any, ...] | None:
        """Serve a WSGI server's upgrade on the runtime (None), or ``(0, status, headers, body)`` to refuse."""
    def ws_text(self, eio_sid: str, text: str) -> int | str:
        """0 go on, 1 upgraded, 2 closed, or a frame to send now."""
    def ws_binary(self, eio_sid: str, data: bytes) -> int | str:
        """Like ``ws_text``."""
    def ws_oversize(self, eio_sid: str) -> None:
        """A frame over the size limit arrived."""
    def ws_closed(self, eio_sid: str, carries_session: bool) -> None:
        """The WebSocket closed."""
    def ws_take(self, eio_sid: str, token: int) -> tuple[list[str | bytes], int]:
        """Frames to write and 0 (open), 1 (closed) or 2 (closed, send a close packet)."""
    def session_open(self, eio_sid: str) -> bool:
        """Whether the Engine.IO session still exists."""
    def new_token(self) -> int:
        """A fresh wake token."""
