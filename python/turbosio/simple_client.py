""":class:`SimpleClient`: a Socket.IO client without handlers, for scripts that emit, call and receive in turn.

It is built only on the public API of :class:`turbosio.Client` (``on``, ``connect``, ``emit``, ``call``, ``wait``,
``disconnect``, ``get_sid``, ``transport``, ``namespaces``), as python-socketio builds its own.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

from ._client_types import HeadersArg, UrlArg
from .exceptions import DisconnectedError, SocketIOError, TimeoutError

# compat: python-socketio's reasons for a disconnect after which its client does not reconnect.
_FINAL_REASONS = ('client disconnect', 'server disconnect')


def _default_client_class(name: str) -> type[Any]:
    """``turbosio.<name>``, looked up when connecting (the client classes load the Rust engine)."""
    package = importlib.import_module('turbosio')
    cls: type[Any] | None = getattr(package, name, None)
    if cls is None:
        raise RuntimeError(f'turbosio.{name} is not available in this build of turbosio')
    return cls


class _SimpleClientBase:
    """What both simple clients share: the wrapped client, the received events, and the connection state.

    ``connected_event`` is set while the namespace is connected and once the connection ended for good; it is
    clear while a connection is being made again, so that calls wait for its outcome.
    """

    client_class: type[Any] | None = None
    _client_class_name = 'Client'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: Any = None
        self.namespace = '/'
        self.connected = False
        self.input_buffer: list[list[Any]] = []
        self.connected_event: Any = None
        self.input_event: Any = None

    def _new_client(self, namespace: str) -> Any:
        """Make the wrapped client and route its ``namespace`` events here."""
        self.namespace = namespace
        self.input_buffer = []
        self.input_event.clear()
        self.connected_event.clear()
        cls = self.client_class or _default_client_class(self._client_class_name)
        client = cls(*self.client_args, **self.client_kwargs)
        # Plain functions: both client flavours call them in their own thread or loop, and they only set flags.
        client.on('connect', self._on_connect, namespace=namespace)
        client.on('disconnect', self._on_disconnect, namespace=namespace)
        client.on('*', self._on_event, namespace=namespace)
        self.client = client
        return client

    def _on_connect(self) -> None:
        self.connected = True
        self.connected_event.set()

    def _on_disconnect(self, reason: str | None = None) -> None:
        if reason in _FINAL_REASONS:
            self._finish()
        else:
            # The client may connect again; if it gives up instead, its wait() returns and _watch finishes.
            self.connected_event.clear()

    def _on_event(self, event: str, *args: Any) -> None:
        self.input_buffer.append([event, *args])
        self.input_event.set()

    def _finish(self) -> None:
        """The connection ended for good: wake every waiting call, which then raises ``DisconnectedError``."""
        self.connected = False
        self.connected_event.set()
        self.input_event.set()

    def _must_retry(self) -> bool:
        """Whether an emit failed only because the namespace is reconnecting (wait and try again)."""
        if self.client is None or self.namespace in (self.client.namespaces or {}):
            return False
        self.connected_event.clear()
        return True

    @property
    def sid(self) -> str | None:
        """The session id of the connected namespace, or None; it can change when the client reconnects."""
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        """The transport in use, ``'polling'`` or ``'websocket'``, or ``''`` before connecting."""
        return self.client.transport() if self.client else ''


class SimpleClient(_SimpleClientBase):
    """A Socket.IO client for code that asks and waits rather than handling events.

    Received events are kept in order and handed out by :meth:`receive`. The positional and keyword arguments of
    the constructor go to the :class:`turbosio.Client` it wraps (``reconnection``, ``logger``, ``ssl_verify``...).

    Example:
        ``with SimpleClient() as sio: sio.connect('http://localhost:5000'); sio.emit('hi'); print(sio.receive())``
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connected_event = threading.Event()
        self.input_event = threading.Event()

    def connect(
        self,
        url: UrlArg,
        headers: HeadersArg = {},  # noqa: B006 - compat: python-socketio's default, never mutated
        auth: Any = None,
        transports: list[str] | None = None,
        namespace: str = '/',
        socketio_path: str = 'socket.io',
        wait_timeout: float = 5,
    ) -> None:
        """Connect to a Socket.IO server.

        Args:
            url: The server's URL, with any query string it needs, or a function returning it (called again on
                each reconnection).
            headers: Extra HTTP headers for the connection requests, or a function returning them.
            auth: The authentication data sent with the namespace's CONNECT packet, or a function returning it.
            transports: ``['polling']``, ``['websocket']`` or both; by default polling first, then an upgrade.
            namespace: The one namespace this client talks to.
            socketio_path: The endpoint of the server.
            wait_timeout: Seconds to wait for the connection.

        Raises:
            RuntimeError: This client is already connected.
            turbosio.exceptions.ConnectionError: The server could not be reached or refused the connection.
        """
        if self.connected:
            raise RuntimeError('Already connected')
        client = self._new_client(namespace)
        client.connect(
            url,
            headers=headers,
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )
        threading.Thread(target=self._watch, args=(client,), name='SimpleClient.wait', daemon=True).start()

    def _watch(self, client: Any) -> None:
        # wait() returns once the client stopped for good, including when it gave up reconnecting.
        client.wait()
        if self.client is client:
            self._finish()

    def _ready(self, deadline: float | None = None) -> bool:
        """Wait until connected (False at ``deadline``); raise ``DisconnectedError`` if the connection ended."""
        if self.client is None:
            raise DisconnectedError()
        if not self.connected_event.wait(_remaining(deadline)):
            return False
        if not self.connected:
            raise DisconnectedError()
        return True

    def emit(self, event: str, data: Any = None) -> None:
        """Send an event to the server, without waiting for it to be delivered (:meth:`call` waits).

        Args:
            event: The event name.
            data: A ``str``, ``bytes``, ``list`` or ``dict``; a tuple sends each element as an argument.

        Raises:
            turbosio.exceptions.DisconnectedError: The client is not connected and will not connect again.
        """
        while True:
            self._ready()
            try:
                self.client.emit(event, data, namespace=self.namespace)
                return
            except SocketIOError:
                if not self._must_retry():
                    raise

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Send an event to the server and wait for its acknowledgement.

        Args:
            event: The event name.
            data: A ``str``, ``bytes``, ``list`` or ``dict``; a tuple sends each element as an argument.
            timeout: Seconds to wait for the acknowledgement.

        Returns:
            The server's ack: its one argument, a tuple of several, or None.

        Raises:
            turbosio.exceptions.TimeoutError: No acknowledgement within ``timeout``.
            turbosio.exceptions.DisconnectedError: The client is not connected and will not connect again.
        """
        while True:
            self._ready()
            try:
                return self.client.call(event, data, namespace=self.namespace, timeout=timeout)
            except TimeoutError:
                raise
            except SocketIOError:
                if not self._must_retry():
                    raise

    def receive(self, timeout: float | None = None) -> list[Any]:
        """Wait for the next event from the server.

        Args:
            timeout: Seconds to wait, or None to wait as long as the connection lasts.

        Returns:
            A list: the event name, then the event's arguments.

        Raises:
            turbosio.exceptions.TimeoutError: No event within ``timeout``.
            turbosio.exceptions.DisconnectedError: The connection ended and every received event was handed out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.input_buffer:
            if not self._ready(deadline):
                raise TimeoutError()
            if not self.input_event.wait(_remaining(deadline)):
                raise TimeoutError()
            self.input_event.clear()
        return self.input_buffer.pop(0)

    def disconnect(self) -> None:
        """Disconnect from the server; does nothing when not connected."""
        if self.connected:
            client, self.client = self.client, None
            client.disconnect()
            self._finish()

    def __enter__(self) -> SimpleClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
