"""Type stub of the Rust extension ``turbosio._core`` (kept by hand; checked with mypy.stubtest)."""

import os
from typing import Any, Final, Literal, TypeAlias, final

__all__ = [
    'ACK',
    'ANSWER_ACCEPT_WEBSOCKET',
    'ANSWER_RESPOND',
    'ANSWER_WAIT',
    'BODY_BROKEN',
    'BODY_END',
    'BODY_MORE',
    'CLIENT_ACK',
    'CLIENT_CLOSE',
    'CLIENT_CONNECT',
    'CLIENT_CONNECT_ERROR',
    'CLIENT_DISCONNECT',
    'CLIENT_EVENT',
    'CLIENT_FAILED',
    'CLIENT_OPEN',
    'CLIENT_WARNING',
    'CONNECT',
    'DISCONNECT',
    'EIO_CONNECT',
    'EIO_DISCONNECT',
    'EIO_MESSAGE',
    'EVENT',
    'HTTP',
    'HTTP_BODY',
    'PUBSUB',
    'PUBSUB_LOG',
    'WAKE',
    'WARNING',
    'WEBSOCKET',
    'WEBSOCKET_GONE',
    'WEBSOCKET_MESSAGE',
    'WS_CLOSED',
    'WS_CONTINUE',
    'WS_ENDED',
    'WS_ENDED_NOTIFY',
    'WS_OPEN',
    'WS_UPGRADED',
    'BrokerCore',
    'ClientCore',
    'ClientHubCore',
    'ExternalDriverCore',
    'RedisManagerCore',
    'ServerCore',
    '__version__',
]

__version__: Final[str]

# The kind of each item drain() returns: its first element (src/py/kinds.rs).
EIO_CONNECT: Final = 0
EIO_MESSAGE: Final = 1
EIO_DISCONNECT: Final = 2
CONNECT: Final = 3
EVENT: Final = 4
ACK: Final = 5
DISCONNECT: Final = 6
WARNING: Final = 7
WAKE: Final = 8
HTTP: Final = 9
WEBSOCKET: Final = 10
WEBSOCKET_MESSAGE: Final = 11
WEBSOCKET_GONE: Final = 12
HTTP_BODY: Final = 13
PUBSUB: Final = 14
PUBSUB_LOG: Final = 15

# The kind of each item ClientHubCore.drain() returns (src/py/kinds.rs).
CLIENT_OPEN: Final = 20
CLIENT_FAILED: Final = 21
CLIENT_CONNECT: Final = 22
CLIENT_CONNECT_ERROR: Final = 23
CLIENT_EVENT: Final = 24
CLIENT_ACK: Final = 25
CLIENT_DISCONNECT: Final = 26
CLIENT_CLOSE: Final = 27
CLIENT_WARNING: Final = 28

# The state of an HTTP_BODY piece: more follows, the body is complete, it never will be.
BODY_MORE: Final = 0
BODY_END: Final = 1
BODY_BROKEN: Final = 2

# What ExternalDriverCore.http() / poll_resume() / ws_open() / adopt_websocket() answer: the first element.
ANSWER_RESPOND: Final = 0
ANSWER_WAIT: Final = 1
ANSWER_ACCEPT_WEBSOCKET: Final = 2

# What ExternalDriverCore.ws_text() / ws_binary() return when not a str to send at once.
WS_CONTINUE: Final = 0
WS_UPGRADED: Final = 1
WS_CLOSED: Final = 2

# The state ExternalDriverCore.ws_take() returns beside its frames: open, ended, ended with a close packet.
WS_OPEN: Final = 0
WS_ENDED: Final = 1
WS_ENDED_NOTIFY: Final = 2

# Headers as ASGI carries them.
Headers: TypeAlias = list[tuple[bytes, bytes]]

# What the engine kept of the request that opened a session: (method, path, query, [(header, value)],
# remote_host, remote_port, secure); header names are lower case; secure: it came over the native server's TLS.
RequestInfo: TypeAlias = tuple[str, str, str, list[tuple[str, str]], str, int, bool]

# One tuple shape per drained item kind, fields in the order src/py/dispatch.rs builds them.
# (EIO_CONNECT, eio_sid, transport, request): an Engine.IO session opened.
EioConnectItem: TypeAlias = tuple[Literal[0], str, str, RequestInfo | None]
# (EIO_MESSAGE, eio_sid, data): a bare Engine.IO message.
EioMessageItem: TypeAlias = tuple[Literal[1], str, str | bytes]
# (EIO_DISCONNECT, eio_sid, reason): an Engine.IO session closed.
EioDisconnectItem: TypeAlias = tuple[Literal[2], str, str]
# (CONNECT, eio_sid, sid, namespace, auth): a connect request; answer with accept() or refuse().
ConnectItem: TypeAlias = tuple[Literal[3], str, str, str, Any]
# (EVENT, sid, namespace, event, args, ack_id): an event; ack_id None when no ack is wanted.
EventItem: TypeAlias = tuple[Literal[4], str, str, Any, list[Any], int | None]
# (ACK, sid, namespace, ack_id, args): the acknowledgement of a server emit.
AckItem: TypeAlias = tuple[Literal[5], str, str, int, list[Any]]
# (DISCONNECT, sid, namespace, reason, transport): a socket disconnected; transport is its session's, None if unknown.
DisconnectItem: TypeAlias = tuple[Literal[6], str, str, str, str | None]
# (WARNING, message): for the engineio.server log.
WarningItem: TypeAlias = tuple[Literal[7], str]
# (WAKE, token): a wait registered with this token may proceed.
WakeItem: TypeAlias = tuple[Literal[8], int]
# (HTTP, token, method, path, raw_path, query, headers, body, remote_host, remote_port, more_body, secure): a
# request for the hosted web app; with more_body, the rest of the body follows as HTTP_BODY items; secure: it came
# over TLS.
HttpItem: TypeAlias = tuple[Literal[9], int, str, str, str, str, Headers, bytes, str, int, bool, bool]
# (WEBSOCKET, ...same fields as HTTP): a WebSocket request for the hosted web app (body empty).
WebSocketItem: TypeAlias = tuple[Literal[10], int, str, str, str, str, Headers, bytes, str, int, bool, bool]
# (WEBSOCKET_MESSAGE, token, data): a message on one of the hosted app's WebSocket connections.
WebSocketMessageItem: TypeAlias = tuple[Literal[11], int, str | bytes]
# (WEBSOCKET_GONE, token, close_code): one of the hosted app's WebSocket connections ended.
WebSocketGoneItem: TypeAlias = tuple[Literal[12], int, int]
# (HTTP_BODY, token, data, state): a piece of a hosted request's body; state is a BODY_* value.
HttpBodyItem: TypeAlias = tuple[Literal[13], int, bytes, Literal[0, 1, 2]]
# (PUBSUB, message): a pub/sub channel message left to Python (an emit waiting for acks, an ack for this host).
PubSubItem: TypeAlias = tuple[Literal[14], bytes]
# (PUBSUB_LOG, is_warning, message): news from the pub/sub driver for the manager's logger.
PubSubLogItem: TypeAlias = tuple[Literal[15], bool, str]

# Every item drain() returns.
Item: TypeAlias = (
    EioConnectItem
    | EioMessageItem
    | EioDisconnectItem
    | ConnectItem
    | EventItem
    | AckItem
    | DisconnectItem
    | WarningItem
    | WakeItem
    | HttpItem
    | WebSocketItem
    | WebSocketMessageItem
    | WebSocketGoneItem
    | HttpBodyItem
    | PubSubItem
    | PubSubLogItem
)

# The external driver's answers.
# (ANSWER_RESPOND, status, headers, body): send this HTTP answer.
Respond: TypeAlias = tuple[Literal[0], int, Headers, bytes]
# (ANSWER_WAIT, eio_sid, token): a long-polling GET waits; call poll_resume() after WAKE(token).
Wait: TypeAlias = tuple[Literal[1], str, int]
# (ANSWER_ACCEPT_WEBSOCKET, eio_sid, open_frame): accept; the open packet (text) of a fresh session, None for an
# upgrade.
AcceptWebSocket: TypeAlias = tuple[Literal[2], str, str | None]
# What ws_text() / ws_binary() return: WS_CONTINUE, WS_UPGRADED, WS_CLOSED, or a frame to send at once.
FrameOutcome: TypeAlias = Literal[0, 1, 2] | str
# What ws_take() returns: the frames to write, and WS_OPEN, WS_ENDED or WS_ENDED_NOTIFY.
Taken: TypeAlias = tuple[list[str | bytes], Literal[0, 1, 2]]


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
        msgpack: bool = False,
    ) -> ServerCore: ...
    def forked(self) -> bool:
        """True in a fork() child of the process that created the server."""
    def wake_fd(self) -> int:
        """The descriptor that becomes readable when ``drain()`` has something."""
    def drain(self) -> list[Item]:
        """Take every pending item."""
    def pending(self) -> int:
        """Items waiting now."""
    def accept(self, sid: str) -> bool:
        """Accept a connecting socket; False when it is gone."""
    def refuse(self, sid: str, message: str, data: Any = None) -> None:
        """Refuse a connecting socket with a CONNECT_ERROR."""
    def emit(
        self,
        namespace: str,
        event: Any,
        args: tuple[Any, ...],
        to: Any = None,
        skip_sid: Any = None,
        local_only: bool = False,
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
    def admin_instrument(self, namespace: str, development: bool) -> None:
        """Install the Admin UI's taps, reporting to ``namespace``; ``development`` adds the per-event reports."""
    def admin_uninstrument(self) -> None:
        """Remove the Admin UI's taps and counters."""
    def admin_all_sockets(self, admin: str) -> str:
        """Every connected socket as the Admin UI lists it, ``admin`` (being welcomed) too, as a JSON array (empty in
        production mode)."""
    def admin_stats(self) -> str:
        """The engine's part of ``server_stats`` as a JSON object; the per-second counters restart."""
    def eio_send(self, eio_sid: str, data: str | bytes) -> bool:
        """Send a bare Engine.IO message."""
    def eio_close(self, eio_sid: str) -> None:
        """Close an Engine.IO session."""
    def metrics_enable(self) -> None:
        """Start counting (idempotent)."""

    def metrics_enabled(self) -> bool:
        """Whether counting is on."""

    def metrics_observe(self, seconds: list[float]) -> None:
        """Record handler run times in seconds (one batch per drain)."""

    def metrics_ack_timeout(self) -> None:
        """Count an acknowledgement that never came."""

    def metrics_snapshot(self) -> dict[str, Any]:
        """Counters and gauges now (shape in ``turbosio.metrics``)."""

    def metrics_text(self) -> str:
        """Counters and gauges now, in the Prometheus text format 0.0.4."""

    @staticmethod
    def metrics_content_type() -> str:
        """The ``Content-Type`` of ``metrics_text``."""

    def listen(
        self,
        host: str,
        port: int,
        web_app: bool = False,
        ssl_certfile: str | os.PathLike[str] | None = None,
        ssl_keyfile: str | os.PathLike[str] | None = None,
        *,
        fd: int | None = None,
        worker: int | None = None,
        worker_sockets: list[str] | None = None,
        metrics_path: str | None = None,
    ) -> int:
        """Serve natively; returns the bound port. With ``web_app``, other paths arrive as ``HttpItem``s. With
        ``ssl_certfile`` (and ``ssl_keyfile``), over TLS; OSError/ValueError naming the file if one is unusable.
        As worker ``worker``: serve a duplicate of the listening socket ``fd`` and relay other workers' sessions to
        them over ``worker_sockets``."""
    def http_start(self, token: int, status: int, headers: Headers) -> None:
        """``http.response.start`` for a hosted web-app request."""
    def http_body(self, token: int, body: bytes, more_body: bool = False) -> bool:
        """``http.response.body`` for a hosted web-app request; True: call ``http_wait_written`` first."""
    def http_wait_written(self, token: int) -> int | None:
        """A wake token to wait for until the client caught up, or None to go on."""
    def http_body_consumed(self, token: int) -> None:
        """The app read a piece of a request body (an ``HttpBodyItem``)."""
    def http_abort(self, token: int) -> None:
        """Give up on a hosted web-app request."""
    def ws_accept(self, token: int, subprotocol: str | None = None, headers: Headers = ...) -> None:
        """Accept a hosted web app's WebSocket (a ``WebSocketItem``)."""
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
        """The external driver for this server (ASGI and WSGI servers)."""

@final
class ExternalDriverCore:
    """Engine.IO requests from an ASGI or WSGI server, answered as tuples."""

    @property
    def max_payload(self) -> int: ...
    def http(
        self,
        method: str,
        path: str,
        query: str,
        headers: Headers,
        body: bytes,
        remote: tuple[str, int] | None = None,
        oversize: bool = False,
    ) -> Respond | Wait:
        """``(ANSWER_RESPOND, status, headers, body)`` or ``(ANSWER_WAIT, eio_sid, token)``."""
    def poll_resume(self, eio_sid: str, token: int, headers: Headers) -> Respond | Wait:
        """Continue a waiting GET after ``WAKE(token)``."""
    def poll_abort(self, eio_sid: str) -> None:
        """The waiting GET's client went away."""
    def ws_open(
        self, path: str, query: str, headers: Headers, remote: tuple[str, int] | None = None
    ) -> AcceptWebSocket | Respond:
        """``(ANSWER_ACCEPT_WEBSOCKET, eio_sid, open_frame | None)`` to accept, a ``Respond`` to refuse."""
    def adopt_websocket(
        self,
        socket_fd: int,
        done_fd: int,
        path: str,
        query: str,
        headers: Headers,
        remote: tuple[str, int] | None = None,
    ) -> Respond | None:
        """Serve a WSGI server's upgrade on the runtime (None), or a ``Respond`` for the caller to send."""
    def ws_text(self, eio_sid: str, text: str) -> FrameOutcome:
        """WS_CONTINUE, WS_UPGRADED, WS_CLOSED, or a frame to send now."""
    def ws_binary(self, eio_sid: str, data: bytes) -> FrameOutcome:
        """Like ``ws_text``."""
    def ws_oversize(self, eio_sid: str) -> None:
        """A frame over the size limit arrived."""
    def ws_closed(
        self, eio_sid: str, carries_session: bool, server_shutdown: bool = False, stalled: bool = False
    ) -> None:
        """The WebSocket closed (by the ASGI server shutting down, when ``server_shutdown``; given up on, when
        ``stalled``: the client stopped reading)."""
    def ws_take(self, eio_sid: str, token: int) -> Taken:
        """Frames to write and WS_OPEN, WS_ENDED or WS_ENDED_NOTIFY (ended, send a close packet first)."""
    def session_open(self, eio_sid: str) -> bool:
        """Whether the Engine.IO session still exists."""
    def probe_tick(self, eio_sid: str) -> bool:
        """A probe's 100 ms check: release a GET waiting through the upgrade; False once the session is gone."""
    def new_token(self) -> int:
        """A fresh wake token."""

# One tuple shape per item ClientHubCore.drain() returns; the second field is the ClientCore.id it belongs to.
# (CLIENT_OPEN, client_id, eio_sid, transport): the Engine.IO session is open.
ClientOpenItem: TypeAlias = tuple[Literal[20], int, str, str]
# (CLIENT_FAILED, client_id, message): the connection could not be made; nothing follows.
ClientFailedItem: TypeAlias = tuple[Literal[21], int, str]
# (CLIENT_CONNECT, client_id, namespace, sid): the server accepted a namespace.
ClientConnectItem: TypeAlias = tuple[Literal[22], int, str, str]
# (CLIENT_CONNECT_ERROR, client_id, namespace, data): the server refused a namespace.
ClientConnectErrorItem: TypeAlias = tuple[Literal[23], int, str, Any]
# (CLIENT_EVENT, client_id, namespace, event, args, ack_id): an event; ack_id None when no ack is wanted.
ClientEventItem: TypeAlias = tuple[Literal[24], int, str, Any, list[Any], int | None]
# (CLIENT_ACK, client_id, namespace, ack_id, args): the server's answer to one of our events.
ClientAckItem: TypeAlias = tuple[Literal[25], int, str, int, list[Any]]
# (CLIENT_DISCONNECT, client_id, namespace): the server left one namespace.
ClientDisconnectItem: TypeAlias = tuple[Literal[26], int, str]
# (CLIENT_CLOSE, client_id, reason): the Engine.IO session ended; nothing follows.
ClientCloseItem: TypeAlias = tuple[Literal[27], int, str]
# (CLIENT_WARNING, client_id, message): for the client's engineio logger.
ClientWarningItem: TypeAlias = tuple[Literal[28], int, str]

# Every item ClientHubCore.drain() returns.
ClientItem: TypeAlias = (
    ClientOpenItem
    | ClientFailedItem
    | ClientConnectItem
    | ClientConnectErrorItem
    | ClientEventItem
    | ClientAckItem
    | ClientDisconnectItem
    | ClientCloseItem
    | ClientWarningItem
)

@final
class RedisManagerCore:
    """The Redis link of one pub/sub manager: a publishing task, and a reading one once attached to a server."""

    def __new__(
        cls,
        url: str,
        channel: str,
        host_id: str,
        *,
        max_queue: int = 10000,
        username: str | None = None,
        password: str | None = None,
        db: int | None = None,
        socket_connect_timeout: float | None = None,
    ) -> RedisManagerCore: ...
    def attach(self, server: ServerCore, subscribe: bool) -> None:
        """Link the server's engine to the channel (publish its broadcasts; with subscribe, deliver others')."""
    def publish(self, message: bytes) -> bool:
        """Queue a message; False when the queue is full (dropped and counted)."""
    def publish_wait(self, message: bytes, timeout: float) -> bool:
        """Queue a message and wait until it was published (GIL released); whether it was."""
    def stats(self) -> tuple[int, int, int]:
        """(published, dropped, queued)."""
    def take_reports(self) -> list[tuple[bool, str]]:
        """The driver's reports (is_warning, message) since the last call, for a manager without a server."""
    def close(self) -> None:
        """Stop the driver; the attached engine goes back to local delivery."""
    @property
    def host_id(self) -> str:
        """python-socketio's host_id."""

@final
class BrokerCore:
    """The workers' built-in pub/sub broker (the Redis protocol's pub/sub subset) on a unix socket."""

    def __new__(cls, path: str | os.PathLike[str]) -> BrokerCore: ...
    def close(self) -> None:
        """Stop and remove the socket file. Idempotent."""

@final
class ClientHubCore:
    """The shared event queue of a group of clients: one wake-up pipe, drained in bursts."""

    def __new__(cls) -> ClientHubCore: ...
    def wake_fd(self) -> int:
        """The descriptor to watch for readability; read it empty, then call drain()."""
    def drain(self) -> list[ClientItem]:
        """Every queued client event, in arrival order."""

@final
class ClientCore:
    """One client's connection and reconnection schedule."""

    def __new__(cls, hub: ClientHubCore, msgpack: bool = False) -> ClientCore: ...
    @property
    def id(self) -> int:
        """The id that tags this client's items in its hub's drain."""
    def use_hub(self, hub: ClientHubCore) -> None:
        """Send the events of later connections to ``hub``."""
    def connect(
        self,
        url: str,
        headers: list[tuple[str, str]],
        transports: list[str],
        socketio_path: str,
        namespaces: list[str],
        auth: Any,
        request_timeout: float,
        ssl_verify: bool | str | os.PathLike[str],
    ) -> None:
        """Start connecting; CLIENT_OPEN or CLIENT_FAILED follows. Raises ValueError for a bad URL or option.

        ``ssl_verify``: True checks an ``https``/``wss`` server's certificate against the system's roots, False
        accepts any, a path trusts the PEM CA bundle there instead (read now: OSError if unreadable, ValueError if
        it holds no certificate).
        """
    def emit(self, namespace: str, event: Any, args: tuple[Any, ...], id: int | None = None) -> bool:
        """Queue an event; False when the namespace is not connected. OSError when the send queue is full."""
    def ack(self, namespace: str, id: int, args: tuple[Any, ...]) -> None:
        """Answer the server's event ``id``."""
    def connect_namespace(self, namespace: str, auth: Any = None) -> None:
        """Join one more namespace on the open connection."""
    def disconnect_namespace(self, namespace: str) -> None:
        """Leave a namespace."""
    def close(self) -> None:
        """Close the connection; CLIENT_CLOSE follows."""
    def transport(self) -> str | None:
        """'polling' or 'websocket' while connected, else None."""
    def start_reconnecting(
        self, delay: float, delay_max: float, randomization_factor: float, attempts: int
    ) -> None:
        """Start a run of reconnection attempts."""
    def next_reconnect_delay(self) -> float | None:
        """Seconds before the next attempt, or None when the attempts are used up."""
