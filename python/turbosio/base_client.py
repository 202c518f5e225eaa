"""What :class:`turbosio.Client` and :class:`turbosio.AsyncClient` share: options, handler registry, and how the
items of a ``_core.ClientCore`` become handler calls.

The connection itself (Engine.IO and Socket.IO, heartbeats, upgrade) runs in Rust; its events arrive as tuples from
a ``ClientHubCore`` shared by many clients. This module turns them into python-socketio's client behaviour: the
``connect``, ``connect_error`` and ``disconnect`` events, acks from handler return values, and when to reconnect.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from . import _core, exceptions
from ._handlers import HandlerT, max_positional
from ._kinds import (
    CLIENT_ACK,
    CLIENT_CLOSE,
    CLIENT_CONNECT,
    CLIENT_CONNECT_ERROR,
    CLIENT_DISCONNECT,
    CLIENT_EVENT,
    CLIENT_FAILED,
    CLIENT_OPEN,
    CLIENT_WARNING,
)

if TYPE_CHECKING:
    from .namespace import BaseClientNamespace

default_logger = logging.getLogger('socketio.client')
engineio_default_logger = logging.getLogger('engineio.client')

# Clients whose connection is open, and clients waiting to reconnect, for the SIGINT handler.
connected_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
reconnecting_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
_original_signal_handler: Any = None


def _signal_handler(sig: int, frame: Any) -> Any:
    """SIGINT: stop reconnecting and close every connection, then do what the process did before."""
    for client in list(reconnecting_clients):
        client._abort_reconnect()
    for client in list(connected_clients):
        client._core.close()
    if callable(_original_signal_handler):
        return _original_signal_handler(sig, frame)
    return signal.default_int_handler(sig, frame)


def _install_sigint_handler() -> None:
    global _original_signal_handler
    if _original_signal_handler is None and threading.current_thread() is threading.main_thread():
        _original_signal_handler = signal.signal(signal.SIGINT, _signal_handler)


def _make_logger(logger: Any, default: logging.Logger) -> logging.Logger:
    """compat: python-socketio's rule: a logger object is used as is; True logs at INFO, False only errors."""
    if not isinstance(logger, bool):
        return logger  # type: ignore[no-any-return]
    if default.level == logging.NOTSET:
        default.setLevel(logging.INFO if logger else logging.ERROR)
        default.addHandler(logging.StreamHandler())
    return default


class BaseClient:
    """Options, handlers and item handling shared by both client flavours.

    Args:
        reconnection: Reconnect after the connection to the server is lost (not after ``disconnect()``).
        reconnection_attempts: Attempts before giving up; 0 tries forever.
        reconnection_delay: Seconds before the first attempt; each further attempt doubles it.
        reconnection_delay_max: The longest wait between attempts.
        randomization_factor: Seconds of jitter: each delay moves by up to +/- this much.
        logger: ``True`` to log at INFO level under ``socketio.client``, ``False`` for errors only, or a logger.
        serializer: ``'default'`` (JSON) or ``'msgpack'`` (``socket.io-msgpack-parser``'s format).
        json: Accepted and ignored: JSON is encoded and decoded in Rust.
        handle_sigint: Close connections and stop reconnecting on Ctrl+C (only when created in the main thread).
        **kwargs: Engine.IO options: ``request_timeout`` (seconds, default 5), ``ssl_verify``, ``engineio_logger``
            (as ``logger``, under ``engineio.client``). ``ssl_verify`` checks an ``https://``/``wss://`` server's
            certificate: ``True`` (the default) against the system's roots (``SSL_CERT_FILE``/``SSL_CERT_DIR`` when
            set, read once per process), ``False`` accepts any certificate, and, a turbosio extension as in
            ``requests``' ``verify``, the path of a PEM CA bundle trusts only its authorities; a certificate that
            fails makes ``connect()`` raise ``ConnectionError`` naming the fault. ``http_session``,
            ``websocket_extra_options`` and ``timestamp_requests`` are accepted and ignored: the transports are
            Rust's own (hyper, tungstenite, rustls), not ``requests``/``aiohttp``, so a session's SSL context is not
            used either. Other keywords are ignored.
    """

    reserved_events = ['connect', 'connect_error', 'disconnect', '__disconnect_final']

    class reason:  # python-socketio's lower-case name
        """Why a connection ended: the ``reason`` the ``disconnect`` handler receives."""

        CLIENT_DISCONNECT = 'client disconnect'
        SERVER_DISCONNECT = 'server disconnect'
        TRANSPORT_ERROR = 'transport error'

    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: Any = False,
        serializer: Any = 'default',
        json: Any = None,
        handle_sigint: bool = True,
        **kwargs: Any,
    ) -> None:
        if handle_sigint:
            _install_sigint_handler()
        self.reconnection = reconnection
        self.reconnection_attempts = reconnection_attempts
        self.reconnection_delay = reconnection_delay
        self.reconnection_delay_max = reconnection_delay_max
        self.randomization_factor = randomization_factor
        self.handle_sigint = handle_sigint
        self.logger = _make_logger(logger, default_logger)
        self.engineio_logger = _make_logger(kwargs.pop('engineio_logger', False), engineio_default_logger)
        self.request_timeout: float = kwargs.pop('request_timeout', 5)
        self.ssl_verify: bool | str | os.PathLike[str] = kwargs.pop('ssl_verify', True)

        self.connection_url: Any = None
        self.connection_headers: Any = None
        self.connection_auth: Any = None
        self.connection_transports: Any = None
        self.connection_namespaces: list[str] = []
        self.socketio_path: str | None = None
        self.sid: str | None = None

        self.connected = False  #: Whether the client is connected.
        self.namespaces: dict[str, str | None] = {}  #: The connected namespaces and their sids.
        self.failed_namespaces: list[str] = []
        self._refusals: dict[str, str] = {}  # the server's message per refused namespace
        self.handlers: dict[str, dict[str, Callable[..., Any]]] = {}
        self.namespace_handlers: dict[str, Any] = {}
        self.callbacks: dict[str, dict[Any, Any]] = {}
        self._eio_state = 'disconnected'
        self._reconnect_task: Any = None
        self._reconnect_abort: Any = None  # set by the flavour: an Event the SIGINT handler and shutdown() set
        if serializer not in ('default', 'msgpack'):
            raise NotImplementedError(
                f"turbosio: serializer={serializer!r} is not supported; use 'default' or 'msgpack'"
            )
        self._core = _core.ClientCore(self._hub(), msgpack=serializer == 'msgpack')
        self._hub_register()

    # -- what the flavours provide -------------------------------------------------------------------------------

    def is_asyncio_based(self) -> bool:
        return False

    def _hub(self) -> _core.ClientHubCore:
        raise NotImplementedError

    def _hub_register(self) -> None:
        raise NotImplementedError

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        then: Callable[[Any], None] | None,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        """Call ``handler(*args)``, then ``then(result)``; if it raises, log it and call ``on_error()``."""
        raise NotImplementedError

    def _signal_open(self, error: str | None) -> None:
        raise NotImplementedError

    def _signal_connect(self) -> None:
        raise NotImplementedError

    def _signal_closed(self) -> None:
        raise NotImplementedError

    def _start_reconnect(self) -> None:
        raise NotImplementedError

    def _abort_reconnect(self) -> None:
        raise NotImplementedError

    # -- registry ------------------------------------------------------------------------------------------------

    @overload
    def on(self, event: str, handler: None = None, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> None: ...
    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Callable[[HandlerT], HandlerT] | None:
        """Register a handler for ``event``, as a call or as a decorator.

        ``'connect'`` takes no arguments, ``'connect_error'`` the data of the refusal, ``'disconnect'`` the reason
        (or nothing); other events take the arguments the server sent, and the handler's return value becomes the
        ack (a tuple for several arguments). ``'*'`` catches every other event (the event name comes first), and a
        ``'*'`` namespace catches every namespace (its name comes next).

        Args:
            event: The event name.
            handler: The function; when omitted, ``on`` returns a decorator.
            namespace: The namespace, ``'/'`` by default.
        """
        namespace = namespace or '/'

        def set_handler(handler: HandlerT) -> HandlerT:
            self.handlers.setdefault(namespace, {})[event] = handler
            return handler

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    @overload
    def event(self, handler: HandlerT, /) -> HandlerT: ...
    @overload
    def event(self, *, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]: ...
    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator: register the function as the handler of the event named after it (``namespace=`` allowed)."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            handler: Callable[..., Any] = self.on(args[0].__name__)(args[0])
            return handler

        def set_handler(handler: HandlerT) -> HandlerT:
            registered: HandlerT = self.on(handler.__name__, *args, **kwargs)(handler)
            return registered

        return set_handler

    def register_namespace(self, namespace_handler: BaseClientNamespace) -> None:
        """Register a :class:`ClientNamespace` (or :class:`AsyncClientNamespace` for ``AsyncClient``) instance.

        Raises:
            ValueError: It is not a client namespace of this client's flavour.
        """
        from .namespace import BaseClientNamespace

        if not isinstance(namespace_handler, BaseClientNamespace):
            raise ValueError('Not a namespace instance')
        if self.is_asyncio_based() != namespace_handler.is_asyncio_based():
            raise ValueError('Not a valid namespace class for this client')
        namespace_handler._set_client(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def get_sid(self, namespace: str | None = None) -> str | None:
        """The sid of ``namespace`` (``'/'`` by default); each namespace has its own."""
        return self.namespaces.get(namespace or '/')

    def transport(self) -> str | None:
        """``'polling'`` or ``'websocket'``: the transport carrying the connection (None when disconnected)."""
        return self._core.transport()

    # -- shared steps of the verbs --------------------------------------------------------------------------------

    def _prepare_connect(
        self, url: Any, headers: Any, auth: Any, transports: Any, namespaces: Any, socketio_path: str
    ) -> None:
        if self.connected:
            raise exceptions.ConnectionError('Already connected')
        self.connection_url = url
        self.connection_headers = headers
        self.connection_auth = auth
        self.connection_transports = transports
        self.socketio_path = socketio_path
        if namespaces is None:
            namespaces = [n for n in set(self.handlers) | set(self.namespace_handlers) if n != '*'] or ['/']
        elif isinstance(namespaces, str):
            namespaces = [namespaces]
        self.connection_namespaces = list(namespaces)
        self.namespaces = {}
        self.failed_namespaces = []
        self._refusals = {}

    def _start_core(self, url: Any, headers: Any, auth: Any) -> None:
        """Hand the evaluated connection settings to Rust; CLIENT_OPEN or CLIENT_FAILED follows."""
        if not isinstance(url, str):
            raise exceptions.ConnectionError(f'Invalid URL {url!r}')
        transports = self.connection_transports or ['polling', 'websocket']
        if isinstance(transports, str):
            transports = [transports]
        header_list = [(str(k), str(v)) for k, v in (headers or {}).items()]
        self.logger.info('Attempting connection to %s', url)
        try:
            self._core.connect(
                url,
                header_list,
                list(transports),
                self.socketio_path or 'socket.io',
                self.connection_namespaces,
                auth or {},
                float(self.request_timeout),
                self._ssl_verify_value(),
            )
        except (ValueError, TypeError, OSError) as exc:
            raise exceptions.ConnectionError(str(exc)) from exc

    def _ssl_verify_value(self) -> bool | str:
        """``ssl_verify`` for ``_core``: a CA bundle's path as a string, anything else as a flag."""
        if isinstance(self.ssl_verify, (str, os.PathLike)):
            return os.fspath(self.ssl_verify)
        return bool(self.ssl_verify)

    def _check_still_open(self) -> None:
        """Raise if the connection ended while connect() waited for the namespaces."""
        if self._eio_state != 'connected':
            raise exceptions.ConnectionError('The connection was lost while connecting')

    def _namespaces_settled(self) -> bool:
        return len(self.namespaces) + len(self.failed_namespaces) >= len(self.connection_namespaces)

    def _connect_failure(self) -> exceptions.ConnectionError:
        if self.failed_namespaces:
            # compat: python-socketio names only the namespaces; the server's reasons follow here too.
            reasons = '; '.join(f'{ns}: {msg}' for ns, msg in self._refusals.items() if msg)
            return exceptions.ConnectionError(
                'One or more namespaces failed to connect: '
                + ', '.join(self.failed_namespaces)
                + (f' ({reasons})' if reasons else '')
            )
        return exceptions.ConnectionError('Unexpected connection error')

    @staticmethod
    def _event_args(data: Any) -> tuple[Any, ...]:
        # compat: a tuple is several arguments, anything else one, None none.
        if isinstance(data, tuple):
            return data
        if data is None:
            return ()
        return (data,)

    def _emit_now(self, event: str, data: Any, namespace: str | None, callback: Any) -> None:
        namespace = namespace or '/'
        if namespace not in self.namespaces:
            raise exceptions.BadNamespaceError(namespace + ' is not a connected namespace.')
        self.logger.info('Emitting event "%s" [%s]', event, namespace)
        ack_id = self._generate_ack_id(namespace, callback) if callback is not None else None
        if not self._core.emit(namespace, event, self._event_args(data), ack_id):
            if ack_id is not None:
                self.callbacks.get(namespace, {}).pop(ack_id, None)
            raise exceptions.BadNamespaceError(namespace + ' is not a connected namespace.')

    def _generate_ack_id(self, namespace: str, callback: Any) -> int:
        callbacks = self.callbacks.setdefault(namespace, {0: itertools.count(1)})
        ack_id: int = next(callbacks[0])
        callbacks[ack_id] = callback
        return ack_id

    # -- handler lookup ------------------------------------------------------------------------------------------

    def _get_event_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        # compat: python-socketio's order: the event in its namespace, '*' in it, the event in '*', '*' in '*'.
        handler = None
        if namespace in self.handlers:
            if event in self.handlers[namespace]:
                handler = self.handlers[namespace][event]
            elif event not in self.reserved_events and '*' in self.handlers[namespace]:
                handler = self.handlers[namespace]['*']
                args = (event, *args)
        elif '*' in self.handlers:
            if event in self.handlers['*']:
                handler = self.handlers['*'][event]
                args = (namespace, *args)
            elif event not in self.reserved_events and '*' in self.handlers['*']:
                handler = self.handlers['*']['*']
                args = (event, namespace, *args)
        return handler, args

    def _get_namespace_handler(self, namespace: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        if namespace in self.namespace_handlers:
            return self.namespace_handlers[namespace], args
        if '*' in self.namespace_handlers:
            return self.namespace_handlers['*'], (namespace, *args)
        return None, args

    def _trigger_event(
        self,
        event: str,
        namespace: str,
        *args: Any,
        then: Callable[[Any], None] | None = None,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        """Run the handler of ``event`` (or the namespace object's), then ``then(result)``, or ``on_error()``."""
        handler, found_args = self._get_event_handler(event, namespace, args)
        if handler is not None:
            if event == 'disconnect' and max_positional(handler) < len(found_args):
                found_args = found_args[:-1]  # compat: disconnect handlers without a reason
            self._invoke(handler, found_args, then, on_error)
            return
        namespace_handler, found_args = self._get_namespace_handler(namespace, args)
        if namespace_handler is not None:
            self._invoke(namespace_handler.trigger_event, (event, *found_args), then, on_error)
        elif then is not None:
            then(None)

    def _log_handler_error(self, exc: BaseException) -> None:
        self.logger.error('Error in a client event handler', exc_info=exc)

    # -- items from Rust -----------------------------------------------------------------------------------------

    def _handle_item(self, item: tuple[Any, ...]) -> None:
        """One item of this client's, from the hub, in arrival order."""
        kind = item[0]
        if kind == CLIENT_EVENT:
            self._on_event(item[2], item[3], tuple(item[4]), item[5])
        elif kind == CLIENT_ACK:
            self._on_ack(item[2], item[3], item[4])
        elif kind == CLIENT_OPEN:
            self.engineio_logger.info('Engine.IO connection established (%s)', item[3])
            self.sid = item[2]
            self._eio_state = 'connected'
            connected_clients.add(self)
            self._signal_open(None)
        elif kind == CLIENT_FAILED:
            self._signal_open(item[2])
        elif kind == CLIENT_CONNECT:
            self._on_connect(item[2], item[3])
        elif kind == CLIENT_CONNECT_ERROR:
            self._on_connect_error(item[2], item[3])
        elif kind == CLIENT_DISCONNECT:
            self._on_server_disconnect(item[2])
        elif kind == CLIENT_CLOSE:
            self._on_close(item[2])
        elif kind == CLIENT_WARNING:
            self.engineio_logger.warning('%s', item[2])

    def _on_connect(self, namespace: str, sid: str) -> None:
        if namespace in self.namespaces:
            return
        self.logger.info('Namespace %s is connected', namespace)
        self.namespaces[namespace] = sid or self.sid
        self._trigger_event('connect', namespace, then=lambda _: self._signal_connect(), on_error=self._signal_connect)

    def _on_connect_error(self, namespace: str, data: Any) -> None:
        self.logger.info('Connection to namespace %s was rejected', namespace)
        args = () if data is None else tuple(data) if isinstance(data, (tuple, list)) else (data,)
        self.failed_namespaces.append(namespace)
        message = data.get('message') if isinstance(data, dict) else data
        self._refusals[namespace] = '' if message is None else str(message)
        self.namespaces.pop(namespace, None)
        if namespace == '/':
            self.namespaces = {}
            self.connected = False
        self._trigger_event(
            'connect_error', namespace, *args, then=lambda _: self._signal_connect(), on_error=self._signal_connect
        )

    def _on_server_disconnect(self, namespace: str) -> None:
        if not self.connected:
            return
        self._trigger_event('disconnect', namespace, self.reason.SERVER_DISCONNECT)
        self._trigger_event('__disconnect_final', namespace)
        self.namespaces.pop(namespace, None)
        if not self.namespaces:
            # compat: with no namespace left the whole connection closes, and no reconnection follows.
            self.connected = False
            self._eio_state = 'disconnected'
            self._core.close()

    def _on_event(self, namespace: str, event: str, args: tuple[Any, ...], ack_id: int | None) -> None:
        self.logger.info('Received event "%s" [%s]', event, namespace)
        if ack_id is None:
            self._trigger_event(event, namespace, *args)
            return

        def send_ack(result: Any) -> None:
            self._core.ack(namespace, ack_id, self._event_args(result))

        self._trigger_event(event, namespace, *args, then=send_ack)

    def _on_ack(self, namespace: str, ack_id: int, args: list[Any]) -> None:
        callback = self.callbacks.get(namespace, {}).pop(ack_id, None)
        if callback is None:
            self.logger.warning('Unknown callback received, ignoring.')
            return
        self._invoke(callback, tuple(args), None)

    def _on_close(self, reason: str) -> None:
        """The Engine.IO session ended: disconnect handlers, then reconnection when the transport failed."""
        if self._eio_state != 'connected':
            self._signal_closed()
            return
        self.engineio_logger.info('Engine.IO connection dropped (%s)', reason)
        self._eio_state = 'disconnected'
        connected_clients.discard(self)
        # Reconnect only a connection that connect() completed: one lost while connect() still waits makes that
        # call fail instead (inside the reconnection loop, the next attempt follows).
        will_reconnect = self.reconnection and reason == self.reason.TRANSPORT_ERROR and self.connected
        # Namespaces whose connect handler ran hear of the end, even if connect() had not returned yet.
        for namespace in list(self.namespaces):
            self._trigger_event('disconnect', namespace, reason)
            if not will_reconnect:
                self._trigger_event('__disconnect_final', namespace)
        self.namespaces = {}
        self.connected = False
        self.callbacks = {}
        self.sid = None
        if will_reconnect and not self._reconnect_task:
            self._start_reconnect()
        self._signal_closed()

    def _begin_reconnecting(self) -> None:
        """Start a run of attempts: the schedule (computed in Rust) starts over."""
        self._reconnect_abort.clear()
        reconnecting_clients.add(self)
        self._core.start_reconnecting(
            float(self.reconnection_delay),
            float(self.reconnection_delay_max),
            float(self.randomization_factor),
            int(self.reconnection_attempts or 0),
        )

    def _next_reconnect_delay(self) -> float | None:
        """Seconds before the next attempt, or None (logged) once the attempts are used up."""
        delay = self._core.next_reconnect_delay()
        if delay is None:
            self.logger.info('Maximum reconnection attempts reached, giving up')
        else:
            self.logger.info('Connection failed, new attempt in %.02f seconds', delay)
        return delay

    def _reconnect_arguments(self) -> dict[str, Any]:
        """What ``connect()`` gets on each attempt: the settings given first, callables still unevaluated."""
        return {
            'url': self.connection_url,
            'headers': self.connection_headers,
            'auth': self.connection_auth,
            'transports': self.connection_transports,
            'namespaces': self.connection_namespaces,
            'socketio_path': self.socketio_path or 'socket.io',
            'retry': False,
        }

    def _give_up_reconnecting(self) -> None:
        for namespace in self.connection_namespaces:
            self._trigger_event('__disconnect_final', namespace)

    def _local_disconnect(self) -> None:
        """Our own ``disconnect()``: close in Rust and fire the handlers now, as python-socketio does."""
        self._core.close()
        self._on_close(self.reason.CLIENT_DISCONNECT)
