"""The threaded Socket.IO client, :class:`Client`.

Every threaded client in the process shares one ``ClientHubCore``: one daemon thread waits on its wake-up pipe,
drains each burst, and hands each client's items to a pool where one client's handlers run in arrival order and
different clients run in parallel. Verbs may be called from any thread.
"""

from __future__ import annotations

import os
import select
import threading
import weakref
from collections.abc import Callable
from typing import Any

from . import _core, exceptions
from ._client_types import AckCallback, HeadersArg, NamesArg, UrlArg
from ._kinds import CLIENT_ACK
from ._serial import SerialExecutor
from .base_client import BaseClient, reconnecting_clients

_OPEN_MARGIN = 1.0  # seconds beyond request_timeout to wait for Rust's verdict on a connect


class _CallWaiter:
    """The callback ``call()`` waits on; resolved on the pump thread so a blocked handler cannot hold it up."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.args: tuple[Any, ...] = ()

    def __call__(self, *args: Any) -> None:
        self.args = args
        self.done.set()


class _ThreadHub:
    """The process's hub for threaded clients, its pump thread and its handler pool."""

    def __init__(self) -> None:
        self.core = _core.ClientHubCore()
        self.clients: weakref.WeakValueDictionary[int, Client] = weakref.WeakValueDictionary()
        self.executor = SerialExecutor(name='turbosio-client')
        self._fd = self.core.wake_fd()
        os.set_blocking(self._fd, False)
        self._thread = threading.Thread(target=self._run, name='turbosio-client-dispatch', daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            select.select([self._fd], [], [])
            try:
                os.read(self._fd, 4096)
            except BlockingIOError:
                pass
            for item in self.core.drain():
                client = self.clients.get(item[1])
                if client is None:
                    continue
                if item[0] == CLIENT_ACK and client._resolve_call(item):
                    continue
                self.executor.submit(item[1], _Job(client, item))


class _Job:
    __slots__ = ('client', 'item')

    def __init__(self, client: Client, item: tuple[Any, ...]) -> None:
        self.client, self.item = client, item

    def __call__(self) -> None:
        try:
            self.client._handle_item(self.item)
        except Exception:
            self.client.logger.exception('error while handling client item %r', self.item[0])


_hub: _ThreadHub | None = None
_hub_lock = threading.Lock()


def _thread_hub() -> _ThreadHub:
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = _ThreadHub()
        return _hub


class Client(BaseClient):
    """A Socket.IO client for threaded programs, with python-socketio 5.18's API.

    Handlers run on a pool thread (one client's events in arrival order); the verbs can be called from any
    thread. A handler may ``emit`` and ``call``, but should not ``connect`` the same client again: the answer it
    would wait for queues behind the handler itself.

    The constructor takes :class:`turbosio.base_client.BaseClient`'s options: ``reconnection``,
    ``reconnection_attempts``, ``reconnection_delay``, ``reconnection_delay_max``, ``randomization_factor``,
    ``logger``, ``serializer``, ``json``, ``handle_sigint``, and ``request_timeout``, ``ssl_verify``,
    ``engineio_logger`` (``http_session`` and ``websocket_extra_options`` are accepted and ignored).

    Example::

        sio = turbosio.Client()
        sio.connect('http://localhost:5000')
    """

    def _hub(self) -> _core.ClientHubCore:
        return _thread_hub().core

    def _hub_register(self) -> None:
        self._open_event = threading.Event()
        self._open_error: str | None = None
        self._connect_event = threading.Event()
        self._closed_event = threading.Event()
        self._closed_event.set()
        self._reconnect_abort = threading.Event()
        _thread_hub().clients[self._core.id] = self

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        then: Callable[[Any], None] | None,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        try:
            result = handler(*args)
        except Exception as exc:
            self._log_handler_error(exc)
            if on_error is not None:
                on_error()
            return
        if then is not None:
            then(result)

    def _signal_open(self, error: str | None) -> None:
        self._open_error = error
        if error is None:
            self._closed_event.clear()
        self._open_event.set()

    def _signal_connect(self) -> None:
        self._connect_event.set()

    def _signal_closed(self) -> None:
        self._closed_event.set()

    def _resolve_call(self, item: tuple[Any, ...]) -> bool:
        callbacks = self.callbacks.get(item[2], {})
        callback = callbacks.get(item[3])
        if not isinstance(callback, _CallWaiter):
            return False
        callbacks.pop(item[3], None)
        callback(*item[4])
        return True

    def connect(
        self,
        url: UrlArg,
        headers: HeadersArg = {},  # noqa: B006 - python-socketio's default, never mutated
        auth: Any = None,
        transports: NamesArg = None,
        namespaces: NamesArg = None,
        socketio_path: str = 'socket.io',
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
    ) -> None:
        """Connect to a Socket.IO server.

        Args:
            url: The server's URL (``http``, ``https``, ``ws`` or ``wss``), with any query string; or a function
                returning it, called again on each reconnection.
            headers: Extra request headers, or a function returning them (called on each attempt).
            auth: The auth data sent with each namespace's CONNECT, or a function returning it.
            transports: ``['polling']``, ``['websocket']`` or both (the default: polling, then an upgrade).
            namespaces: A namespace or list of them; by default those with handlers, else ``'/'``.
            socketio_path: The server's endpoint path.
            wait: Return only once every namespace answered (or ``wait_timeout`` passed).
            wait_timeout: Seconds to wait for the namespaces' answers.
            retry: Apply the reconnection logic if this first attempt fails.

        Raises:
            ConnectionError: The server is unreachable or refused, or a namespace failed to connect.
        """
        self._prepare_connect(url, headers, auth, transports, namespaces, socketio_path)
        self._connect_event.clear()
        try:
            self._open()
        except exceptions.ConnectionError as exc:
            for namespace in self.connection_namespaces:
                self._trigger_event('connect_error', namespace, exc.args[0])
            if retry:
                self._handle_reconnect()
                if self._eio_state == 'connected':
                    return
            raise
        if wait:
            while self._connect_event.wait(timeout=wait_timeout):
                self._connect_event.clear()
                if self._namespaces_settled():
                    break
            self._check_still_open()
            if set(self.namespaces) != set(self.connection_namespaces):
                self.disconnect()
                raise self._connect_failure()
        self.connected = True

    def _open(self) -> None:
        """Open the Engine.IO connection with the settings evaluated now; raise ConnectionError on failure."""
        url = self._real_value(self.connection_url)
        headers = self._real_value(self.connection_headers)
        auth = self._real_value(self.connection_auth)
        self._open_event.clear()
        self._open_error = None
        self._start_core(url, headers, auth)
        if not self._open_event.wait(float(self.request_timeout) + _OPEN_MARGIN):
            self._core.close()
            raise exceptions.ConnectionError('Connection timed out')
        if self._open_error is not None:
            raise exceptions.ConnectionError(self._open_error)

    @staticmethod
    def _real_value(value: Any) -> Any:
        return value() if callable(value) else value

    def wait(self) -> None:
        """Block until the connection ends for good (reconnections included)."""
        while True:
            self._closed_event.wait()
            task = self._reconnect_task
            if task is None:
                if self._eio_state == 'connected':
                    continue
                break
            task.join()
            if self._eio_state != 'connected':
                break

    def emit(self, event: str, data: Any = None, namespace: str | None = None, callback: AckCallback = None) -> None:
        """Emit ``event`` to the server.

        Args:
            event: The event name.
            data: One argument, or a tuple of several (``bytes`` travel as binary attachments).
            namespace: The namespace, ``'/'`` by default.
            callback: Called with the server's ack arguments.

        Raises:
            BadNamespaceError: The namespace is not connected.
        """
        self._emit_now(event, data, namespace, callback)

    def send(self, data: Any, namespace: str | None = None, callback: AckCallback = None) -> None:
        """Emit the ``'message'`` event."""
        self.emit('message', data=data, namespace=namespace, callback=callback)

    def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = 60) -> Any:
        """Emit ``event`` and wait for the server's ack.

        Returns:
            The ack's argument, a tuple when there are several, None when there are none.

        Raises:
            TimeoutError: No ack within ``timeout`` seconds (None waits for ever).
            BadNamespaceError: The namespace is not connected.
        """
        waiter = _CallWaiter()
        self.emit(event, data=data, namespace=namespace, callback=waiter)
        if not waiter.done.wait(timeout=timeout):
            raise exceptions.TimeoutError()
        args = waiter.args
        return args if len(args) > 1 else args[0] if args else None

    def disconnect(self) -> None:
        """Leave every namespace and close the connection; the ``disconnect`` handlers run before this returns."""
        self._local_disconnect()

    def shutdown(self) -> None:
        """Disconnect, or stop reconnecting if a reconnection is under way."""
        if self.connected:
            self.disconnect()
        elif self._reconnect_task:
            self._reconnect_abort.set()
            self._reconnect_task.join()

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        """Run ``target(*args, **kwargs)`` on a daemon thread; the returned thread has ``join()``."""
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    def sleep(self, seconds: float = 0) -> None:
        """``time.sleep``."""
        threading.Event().wait(seconds)

    def _start_reconnect(self) -> None:
        self._reconnect_task = self.start_background_task(self._handle_reconnect)

    def _abort_reconnect(self) -> None:
        self._reconnect_abort.set()

    def _handle_reconnect(self) -> None:
        self._begin_reconnecting()
        try:
            while True:
                delay = self._next_reconnect_delay()
                if delay is None:
                    break
                if self._reconnect_abort.wait(delay):
                    self.logger.info('Reconnect task aborted')
                    break
                try:
                    self.connect(**self._reconnect_arguments())
                except (exceptions.ConnectionError, ValueError):
                    continue
                self.logger.info('Reconnection successful')
                self._reconnect_task = None
                return
            self._give_up_reconnecting()
        finally:
            reconnecting_clients.discard(self)
            if self._reconnect_task is threading.current_thread():
                self._reconnect_task = None
