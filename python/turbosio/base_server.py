"""What :class:`turbosio.Server` and :class:`turbosio.AsyncServer` share: settings, the handler registry, and the
translation of engine events into handler calls. The two flavours differ only in how a handler is run
(inline on the event loop, or on a worker thread) and in whether their verbs return awaitables.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from . import _core, _metrics, exceptions
from ._bad_data import unserialisable
from ._handlers import HandlerRegistry, HandlerT, ack_args, data_args, handshake_environ
from ._kinds import (
    ACK,
    CONNECT,
    DISCONNECT,
    EIO_CONNECT,
    EIO_DISCONNECT,
    EVENT,
    HTTP,
    HTTP_BODY,
    PUBSUB,
    PUBSUB_LOG,
    WAKE,
    WARNING,
    WEBSOCKET,
)
from ._options import core_options, cors_callable, make_logger
from ._reason import Reason
from .async_manager import AsyncManager
from .base_manager import resolve_manager
from .manager import Manager

if TYPE_CHECKING:
    from .base_pubsub_manager import BasePubSubManager
    from .engineio.base_server import BaseServer as EngineIOServer
    from .namespace import BaseServerNamespace

default_logger = logging.getLogger('socketio.server')
engineio_logger = logging.getLogger('engineio.server')


_REFUSED_BY_SERVER = {'message': 'Connection refused by server'}


class PendingCall:
    """The callback of one ``call()``: ``answered`` with the client's ack arguments, or ``gone`` when the client
    disconnects first (the caller then raises at once instead of waiting out its timeout)."""

    __slots__ = ('answered', 'gone')

    def __init__(self, answered: Callable[..., None], gone: Callable[[], None]) -> None:
        self.answered, self.gone = answered, gone

    def __call__(self, *args: Any) -> None:
        self.answered(*args)


class BaseServer:
    """Settings, handler registry and event translation shared by both server flavours."""

    reserved_events = ['connect', 'disconnect']
    reason = Reason
    _manager_disconnect: Callable[..., Any] | None = None  # set by base_manager.bind_manager

    def __init__(
        self,
        client_manager: Any = None,
        logger: bool | logging.Logger = False,
        serializer: Any = 'default',
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        if serializer not in ('default', 'msgpack'):
            raise NotImplementedError(
                f"turbosio: serializer={serializer!r} is not supported; use 'default' or 'msgpack'"
            )
        self._msgpack = serializer == 'msgpack'
        self._core = _core.ServerCore(**core_options(kwargs), msgpack=self._msgpack)
        self._fleet: BasePubSubManager | None = None  # a pub/sub manager's hooks (set by its set_server)
        self._cors_callable = cors_callable(kwargs)
        self._json = json
        self._registry = HandlerRegistry()
        self.handlers = self._registry.handlers
        self.namespace_handlers = self._registry.namespace_handlers
        self.environ: dict[str, dict[str, Any]] = {}
        self._sockets: dict[str, tuple[str, str]] = {}
        self._departing: dict[str, str | None] = {}  # sid -> transport, while its disconnect handler runs
        self._sessions: dict[str, dict[str, Any]] = {}
        self._callbacks: dict[str, dict[int, Callable[..., Any]]] = {}
        self._ack_lock = threading.Lock()  # see _emit_with_ack
        self._quiet_disconnects: set[str] = set()
        self.async_handlers = async_handlers
        self.always_connect = always_connect
        self.namespaces = namespaces or ['/']
        self.async_mode = kwargs.get('async_mode') or self._default_async_mode
        self.logger = make_logger(logger, default_logger)
        self._eio: EngineIOServer | None = None  # made on first use of the eio property
        self._use_client_manager(client_manager)

    def _use_client_manager(self, client_manager: Any) -> None:
        """Give the server its client manager (``None``: a fresh in-process one) before it serves: the
        constructor's ``client_manager=`` comes here, and so can a host that builds the manager later."""
        self.manager = resolve_manager(client_manager, self, AsyncManager if self.is_asyncio_based() else Manager)
        self.manager_initialized = False

    _default_async_mode = 'threading'

    # -- metrics (turbosio's own; see turbosio.metrics) -------------------------------------------------------------

    def enable_metrics(self) -> None:
        """Start counting for :meth:`metrics` (turbosio's own; ``metrics_path`` and ``Collector`` do it too)."""
        _metrics.enable(self)

    def metrics(self) -> dict[str, Any]:
        """A snapshot of the server's metrics, as a dict (shape documented in :mod:`turbosio.metrics`). Cheap: the
        engine is locked only while its gauges are read, without the GIL. Counters stay at zero until counting is
        enabled; the gauges (sessions, sockets, rooms, queued frames) are read from the engine either way."""
        return self._core.metrics_snapshot()

    # -- registration ---------------------------------------------------------------------------------------------

    @overload
    def on(self, event: str, handler: None = None, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> None: ...
    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Callable[[HandlerT], HandlerT] | None:
        """Register an event handler, directly or as a decorator.

        Args:
            event: The event name. ``'connect'`` and ``'disconnect'`` are special; ``'*'`` catches every event
                that has no handler of its own.
            handler: The function to call. When omitted, ``on()`` returns a decorator.
            namespace: The namespace; ``'/'`` when omitted, ``'*'`` for every namespace.

        Handlers receive ``(sid, environ, auth)`` for ``connect`` (``(sid, environ)`` also works),
        ``(sid, reason)`` or ``(sid)`` for ``disconnect``, and ``(sid, *data)`` for other events; a catch-all
        event handler gets the event name first, a catch-all namespace handler gets the namespace first. The return
        value of an event handler is the acknowledgement the client receives (a tuple means several arguments).
        """
        ns = namespace or '/'

        def set_handler(fn: HandlerT) -> HandlerT:
            self._registry.add(ns, event, fn)
            return fn

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    @overload
    def event(self, handler: HandlerT, /) -> HandlerT: ...
    @overload
    def event(self, *, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]: ...
    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Register a handler named after the decorated function: ``@sio.event`` or ``@sio.event(namespace=...)``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            handler: Callable[..., Any] = self.on(args[0].__name__)(args[0])
            return handler

        def set_handler(handler: HandlerT) -> HandlerT:
            registered: HandlerT = self.on(handler.__name__, *args, **kwargs)(handler)
            return registered

        return set_handler

    def register_namespace(self, namespace_handler: BaseServerNamespace) -> None:
        """Register a class-based namespace (:class:`turbosio.Namespace` or :class:`turbosio.AsyncNamespace`).

        Raises:
            ValueError: if it is not a namespace instance or is of the other flavour.
        """
        from .namespace import BaseServerNamespace

        if not isinstance(namespace_handler, BaseServerNamespace):
            raise ValueError('Not a namespace instance')
        if self.is_asyncio_based() != namespace_handler.is_asyncio_based():
            raise ValueError('Not a valid namespace class for this server')
        namespace_handler._set_server(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    @property
    def eio(self) -> Any:
        """The Engine.IO server under this Socket.IO server (python-engineio's API, sharing this engine).

        Its ``connect`` and ``disconnect`` handlers fire for every Engine.IO session; its messages are Socket.IO's.
        """
        eio = self._eio
        if eio is None:
            from . import engineio

            flavour = engineio.AsyncServer if self.is_asyncio_based() else engineio.Server
            eio = self._eio = flavour(_shared_core=self._core)
        return eio

    # -- queries ------------------------------------------------------------------------------------------------

    def instrument(
        self,
        auth: Any = None,
        mode: str = 'development',
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = '/admin',
        server_stats_interval: float = 2,
    ) -> Any:
        """Report to the `Socket.IO Admin UI <https://socket.io/docs/v4/admin-ui/>`_ from the ``namespace`` given.

        Args:
            auth: The credentials an admin must send: a dict (e.g. ``{'username': ..., 'password': ...}``), a list
                of such dicts, or a callable that takes the client's auth dict and returns True to let it in (a
                coroutine function too, on :class:`AsyncServer`). ``False`` turns the check off (never in
                production); ``None`` is refused with ``ValueError``.
            mode: ``'development'`` (the default) reports every connect, disconnect, room change and event as it
                happens; ``'production'`` sends only the periodic ``server_stats``.
            read_only: True refuses the UI's actions (emit, join, leave, disconnect).
            server_id: The name the UI shows for this server (default: the host name).
            namespace: The admin namespace (default ``'/admin'``).
            server_stats_interval: Seconds between two ``server_stats`` reports.

        Returns:
            The instrumentation object; its ``shutdown()`` stops the stats reports.

        Raises:
            ValueError: if ``auth`` is None.
            NotImplementedError: on a ``serializer='msgpack'`` server (the reports are framed in JSON).
        """
        if self._msgpack:
            raise NotImplementedError("turbosio: instrument() is not supported with serializer='msgpack' yet")
        from .admin import InstrumentedBase, InstrumentedServer
        from .async_admin import InstrumentedAsyncServer

        flavour: type[InstrumentedBase] = InstrumentedAsyncServer if self.is_asyncio_based() else InstrumentedServer
        return flavour(
            self,
            auth=auth,
            mode=mode,
            read_only=read_only,
            server_id=server_id,
            namespace=namespace,
            server_stats_interval=server_stats_interval,
        )

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        """The rooms a client is in, its own sid room first."""
        return self._core.rooms(sid, namespace or '/')

    def transport(self, sid: str, namespace: str | None = None) -> str | None:
        """The client's transport: ``'polling'`` or ``'websocket'``.

        Raises:
            KeyError: when the client is not connected (as python-socketio).
        """
        socket = self._sockets.get(sid)
        transport = self._core.transport(socket[0]) if socket else self._departing.get(sid)
        if transport is None:
            raise KeyError('Session not found')
        return transport

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The WSGI-style environ of the request that opened the client's connection."""
        socket = self._sockets.get(sid)
        return self.environ.get(socket[0]) if socket else None

    # -- shared verbs (flavours wrap these) -------------------------------------------------------------------------

    def _emit(
        self,
        event: str,
        data: Any,
        to: Any,
        room: Any,
        skip_sid: Any,
        namespace: str | None,
        callback: Callable[..., Any] | None,
        local_only: bool = False,
    ) -> list[tuple[str, int]]:
        """Send the event; with a callback, gives the (sid, ack id) pairs it waits on. ``local_only``: to this
        server's clients only, nothing published to a fleet (python-socketio's ``ignore_queue``)."""
        if not isinstance(event, str):
            raise TypeError(f'event name must be a str, not {type(event).__name__}')
        namespace = namespace or '/'
        target = to if to is not None else room
        args = data_args(data)
        self.logger.info('emitting event "%s" to %s [%s]', event, target or 'all', namespace)
        try:
            if callback is None:
                self._core.emit(namespace, event, args, target, skip_sid, local_only)
                return []
            return self._emit_with_ack(namespace, event, args, target, skip_sid, callback) or (
                self._relay_emit_with_ack(namespace, event, args, target, callback)
            )
        except TypeError:
            if self._json is None:
                # Name the culprit and where it sits, at the caller's line rather than deep in the encoder.
                bad = unserialisable(data)
                if bad is None:
                    raise
                raise bad from None
            # A custom json module (json=...) may know types the built-in encoder does not.
            args = tuple(self._json.loads(self._json.dumps(arg)) for arg in args)
        if callback is None:
            self._core.emit(namespace, event, args, target, skip_sid, local_only)
            return []
        return self._emit_with_ack(namespace, event, args, target, skip_sid, callback) or (
            self._relay_emit_with_ack(namespace, event, args, target, callback)
        )

    def _emit_with_ack(
        self,
        namespace: str,
        event: str,
        args: tuple[Any, ...],
        target: Any,
        skip_sid: Any,
        callback: Callable[..., Any],
    ) -> list[tuple[str, int]]:
        # The ack ids are chosen in Rust as the packets go out, and the threaded flavour drains ACKs on its pump
        # thread: a client's answer can be looked up there before this thread has stored the callback for its id,
        # and would be dropped. Sending and storing under the lock that _on_ack takes closes that gap.
        with self._ack_lock:
            sent = self._core.emit_with_ack(namespace, event, args, target, skip_sid)
            for sid, ack_id in sent:
                self._callbacks.setdefault(sid, {})[ack_id] = callback
        return sent

    def _relay_emit_with_ack(
        self, namespace: str, event: str, args: tuple[Any, ...], target: Any, callback: Callable[..., Any]
    ) -> list[tuple[str, int]]:
        """An emit with a callback to a sid of another server of the fleet (published with its callback)."""
        fleet = self._fleet
        if fleet is None or not isinstance(target, str) or target in self._sockets:
            return []
        return fleet._relay_emit(event, args, namespace, target, callback)

    def _drop_callbacks(self, sent: list[tuple[str, int]]) -> None:
        """Forget the callbacks of an emit nobody will answer any more (a call() that timed out)."""
        with self._ack_lock:
            for sid, ack_id in sent:
                pending = self._callbacks.get(sid)
                if pending is not None:
                    pending.pop(ack_id, None)

    def _enter_room(self, sid: str, room: Any, namespace: str | None) -> None:
        socket = self._sockets.get(sid)
        if socket is None or socket[1] != (namespace or '/'):
            if self._fleet is not None:  # a client of another server: its server puts it in the room
                self._fleet._relay_room('enter_room', sid, namespace or '/', room)
                return
            # compat: python-socketio's error for a sid that is not (or no longer) connected there
            raise ValueError('sid is not connected to requested namespace')
        self._core.enter_room(sid, namespace or '/', room)

    def _leave_room(self, sid: str, room: Any, namespace: str | None) -> None:
        if self._fleet is not None and sid not in self._sockets:
            self._fleet._relay_room('leave_room', sid, namespace or '/', room)
            return
        self._core.leave_room(sid, namespace or '/', room)

    def _close_room(self, room: Any, namespace: str | None) -> None:
        self._core.close_room(namespace or '/', room)

    def _session(self, sid: str, namespace: str | None) -> dict[str, Any]:
        if sid not in self._sockets and sid not in self._departing:
            raise KeyError('Session not found')
        session = self._sessions.get(sid)
        if session is None:
            session = self._sessions[sid] = {}
        return session

    def _save_session(self, sid: str, session: dict[str, Any], namespace: str | None) -> None:
        if sid not in self._sockets and sid not in self._departing:
            raise KeyError('Session not found')  # compat: python-socketio's error
        self._sessions[sid] = session

    def _disconnect(self, sid: str, namespace: str | None) -> None:
        if not self._core.disconnect(sid, namespace or '/') and self._fleet is not None and sid not in self._sockets:
            self._fleet._relay_disconnect(sid, namespace or '/')  # a client of another server of the fleet

    # -- engine events ------------------------------------------------------------------------------------------

    # Provided by the flavour's pump mixin (_asyncio_pump.AsyncioPump or _thread_pump.ThreadPump).
    _invoke: Callable[..., None]
    is_asyncio_based: Callable[[], bool]

    def _log_handler_error(self, label: str, exc: BaseException) -> None:
        self.logger.error('%s handler error', label, exc_info=(type(exc), exc, exc.__traceback__))

    def _namespace_allowed(self, namespace: str) -> bool:
        return self._registry.knows_namespace(namespace) or self.namespaces == '*' or namespace in self.namespaces

    def _handle_item(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == EVENT:
            self._on_event(item[1], item[2], item[3], item[4], item[5])
        elif kind == ACK:
            self._on_ack(item[1], item[3], item[4])
        elif kind == CONNECT:
            self._on_connect(item[1], item[2], item[3], item[4])
        elif kind == DISCONNECT:
            self._on_disconnect(item[1], item[2], item[3], item[4])
        elif kind == EIO_CONNECT:
            self._on_eio_connect(item[1], item[2], item[3])
            eio = self._eio
            if eio is not None:
                eio._shared_session_opened(item[1], self.environ[item[1]])
        elif kind == EIO_DISCONNECT:
            self.environ.pop(item[1], None)
            eio = self._eio
            if eio is not None:
                eio._shared_session_closed(item[1], item[2])
        elif kind == WARNING:
            engineio_logger.warning('%s', item[1])
        elif kind == WAKE:
            self._on_wake_token(item[1])
        elif kind == HTTP:
            self._on_http(item)
        elif kind >= WEBSOCKET:  # the hosted web app's WebSocket routes and request bodies, the fleet's messages
            self._handle_later_item(item)

    def _handle_later_item(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind in (PUBSUB, PUBSUB_LOG):
            fleet = self._fleet
            if fleet is None:
                return
            if kind == PUBSUB:
                fleet._on_forwarded(item[1])
            else:
                fleet._log_report(item[1], item[2])
            return
        (self._on_http_body if kind == HTTP_BODY else self._on_web_socket)(item)

    def _on_wake_token(self, token: int) -> None:
        """A transport driven from Python may proceed (ASGI driver)."""

    # Provided by the pump mixin: answer a request for the hosted web app, and drive its WebSocket routes.
    _on_http: Callable[[tuple[Any, ...]], None]
    _on_web_socket: Callable[[tuple[Any, ...]], None]
    _on_http_body: Callable[[tuple[Any, ...]], None]

    def _on_eio_connect(self, eio_sid: str, transport: str, request: Any) -> None:
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()
        self.environ[eio_sid] = self._environ_for(eio_sid, transport, request)

    def _environ_for(self, eio_sid: str, transport: str, request: Any) -> dict[str, Any]:
        return handshake_environ(request, transport)

    def _call_handler(
        self,
        event: str,
        namespace: str,
        args: tuple[Any, ...],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> bool:
        """Find and run the handler for ``event``; False when nothing handles it."""
        handler, call_args = self._registry.find(event, namespace, args)
        if handler is None:
            ns_handler, call_args = self._registry.find_namespace(namespace, args)
            if ns_handler is None:
                return False
            handler, call_args = ns_handler.trigger_event, (event, *call_args)
        elif event in self.reserved_events:
            # compat: legacy signatures connect(sid, environ) and disconnect(sid) still work.
            call_args = call_args[: max(self._registry.arity(handler), 1)]
        self._invoke(handler, call_args, on_result, on_error, event)
        return True

    def _on_event(self, sid: str, namespace: str, event: str, args: list[Any], ack_id: int | None) -> None:
        if ack_id is None:
            self._call_handler(event, namespace, (sid, *args), None)
            return

        def send_ack(result: Any) -> None:
            self._core.ack(sid, namespace, ack_id, ack_args(result))

        self._call_handler(event, namespace, (sid, *args), send_ack)

    def _on_ack(self, sid: str, ack_id: int, args: list[Any]) -> None:
        with self._ack_lock:
            callback = self._callbacks.get(sid, {}).pop(ack_id, None)
        if callback is not None:
            self._invoke(callback, tuple(args), None, None, 'ack callback')

    def _on_connect(self, eio_sid: str, sid: str, namespace: str, auth: Any) -> None:
        if not self._namespace_allowed(namespace):
            # spec: the Socket.IO v5 text for an unknown namespace (python-socketio says 'Unable to connect').
            self._core.refuse(sid, 'Invalid namespace')
            return
        self._sockets[sid] = (eio_sid, namespace)
        if self.always_connect:
            self._core.accept(sid)
        environ = self.environ.get(eio_sid, {})
        # compat: an empty auth payload ({} from most clients) reaches the handler as None.
        args = (sid, environ, auth or None)

        def done(result: Any) -> None:
            if result is False:
                self._refuse(sid, namespace, exceptions.ConnectionRefusedError().error_args)
            elif not self.always_connect and not self._core.accept(sid):
                # The client left (or was disconnected) while its connect handler ran.
                self._forget(sid)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, exceptions.ConnectionRefusedError):
                self._refuse(sid, namespace, exc.error_args)
                return
            if not isinstance(exc, ConnectionRefusedError):
                self._log_handler_error('connect', exc)
            self._refuse(sid, namespace, _REFUSED_BY_SERVER)

        if not self._call_handler('connect', namespace, args, done, failed):
            done(None)

    def _forget(self, sid: str) -> None:
        """Drop what Python keeps for a socket that is gone; a call() still waiting on it ends now."""
        self._sockets.pop(sid, None)
        self._sessions.pop(sid, None)
        with self._ack_lock:
            callbacks = self._callbacks.pop(sid, None)
        for callback in (callbacks or {}).values():
            if isinstance(callback, PendingCall):
                callback.gone()

    def _refuse(self, sid: str, namespace: str, error_args: dict[str, Any]) -> None:
        self._forget(sid)
        if self.always_connect:
            if self._core.disconnect(sid, namespace):
                self._quiet_disconnects.add(sid)
            return
        self._core.refuse(sid, str(error_args.get('message', '')), error_args.get('data'))

    def _on_disconnect(self, sid: str, namespace: str, reason: str, transport: str | None) -> None:
        session = self._sessions.get(sid)
        self._forget(sid)
        if sid in self._quiet_disconnects:
            self._quiet_disconnects.discard(sid)
            return
        # compat: the disconnect handler can still read the client's transport and session; they go when it ends.
        self._departing[sid] = transport
        if session is not None:
            self._sessions[sid] = session

        def departed(_: Any = None) -> None:
            self._departing.pop(sid, None)
            self._sessions.pop(sid, None)

        def failed(exc: BaseException) -> None:
            self._log_handler_error('disconnect', exc)
            departed()

        if not self._call_handler('disconnect', namespace, (sid, reason), departed, failed):
            departed()
        if self._manager_disconnect is not None:  # a client_manager that overrides disconnect (base_manager.py)
            self._invoke(self._manager_disconnect, (sid, namespace), None, None, 'client manager disconnect')
