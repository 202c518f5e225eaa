"""What both bare Engine.IO servers share: settings, handlers, sessions and event translation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, overload

from .. import _core
from .._handlers import HandlerT, handshake_environ, max_positional
from .._kinds import (
    EIO_CONNECT,
    EIO_DISCONNECT,
    EIO_MESSAGE,
    HTTP,
    HTTP_BODY,
    WAKE,
    WARNING,
    WEBSOCKET,
    WEBSOCKET_GONE,
    WEBSOCKET_MESSAGE,
)
from .._options import core_options, cors_callable, make_logger
from .._reason import Reason

default_logger = logging.getLogger('engineio.server')


class BaseServer:
    """Settings, handlers and sessions of a bare Engine.IO server."""

    reason = Reason
    _default_async_mode = 'threading'
    _invoke: Callable[..., None]  # provided by the flavour's pump mixin

    def __init__(self, logger: bool | logging.Logger = False, json: Any = None, **kwargs: Any) -> None:
        core = kwargs.pop('_shared_core', None)
        if core is None:
            core = _core.ServerCore(socketio=False, socketio_path='engine.io', **core_options(kwargs))
        self._core: _core.ServerCore = core
        self._cors_callable = cors_callable(kwargs)
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.environ: dict[str, dict[str, Any]] = {}
        self._sessions: dict[str, dict[str, Any]] = {}
        self.async_mode = kwargs.get('async_mode') or self._default_async_mode
        self.logger = make_logger(logger, default_logger)

    @overload
    def on(self, event: str, handler: None = None) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Callable[..., Any]) -> None: ...
    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Callable[[HandlerT], HandlerT] | None:
        """Register a handler for ``'connect'`` (sid, environ), ``'message'`` (sid, data) or ``'disconnect'``
        (sid, reason), directly or as a decorator.

        Raises:
            ValueError: for any other event name.
        """
        if event not in ('connect', 'message', 'disconnect'):
            raise ValueError('Invalid event')

        def set_handler(fn: HandlerT) -> HandlerT:
            self.handlers[event] = fn
            return fn

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    def transport(self, sid: str) -> str | None:
        """``'polling'`` or ``'websocket'``."""
        return self._core.transport(sid)

    def _log_handler_error(self, label: str, exc: BaseException) -> None:
        self.logger.error('%s handler error', label, exc_info=(type(exc), exc, exc.__traceback__))

    def _session(self, sid: str) -> dict[str, Any]:
        if sid not in self.environ:
            raise KeyError('Session not found')
        return self._sessions.setdefault(sid, {})

    def _trigger(self, event: str, args: tuple[Any, ...], on_result: Callable[[Any], None] | None = None) -> None:
        handler = self.handlers.get(event)
        if handler is None:
            if on_result is not None:
                on_result(None)
            return
        if event != 'message':
            args = args[: max(max_positional(handler), 1)]
        self._invoke(handler, args, on_result, None, event)

    def _handle_item(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == EIO_MESSAGE:
            self._trigger('message', (item[1], item[2]))
        elif kind == EIO_CONNECT:
            sid = item[1]
            environ = self.environ[sid] = self._environ_for(sid, item[2], item[3])

            def connected(result: Any) -> None:
                if result is False:
                    self._core.eio_close(sid)

            self._trigger('connect', (sid, environ), connected)
        elif kind == EIO_DISCONNECT:
            sid = item[1]
            self.environ.pop(sid, None)
            self._sessions.pop(sid, None)
            self._trigger('disconnect', (sid, item[2]))
        elif kind == WARNING:
            self.logger.warning('%s', item[1])
        elif kind == WAKE:
            self._on_wake_token(item[1])
        elif kind == HTTP:
            self._on_http(item)
        elif kind in (WEBSOCKET, WEBSOCKET_MESSAGE, WEBSOCKET_GONE):
            self._on_web_socket(item)
        elif kind == HTTP_BODY:
            self._on_http_body(item)

    def _environ_for(self, sid: str, transport: str, request: Any) -> dict[str, Any]:
        return handshake_environ(request, transport)

    # Hooks for the Socket.IO server that shares this engine (``sio.eio``): it drains the engine's items and
    # tells this server about sessions opening and closing. Without handlers nothing is kept.

    def _shared_session_opened(self, sid: str, environ: dict[str, Any]) -> None:
        """A session of the shared engine opened; ``environ`` is the Socket.IO server's for it."""
        if self.handlers:
            self.environ[sid] = environ
            self._trigger('connect', (sid, environ))

    def _shared_session_closed(self, sid: str, reason: str) -> None:
        """A session of the shared engine closed."""
        if self.handlers:
            self.environ.pop(sid, None)
            self._trigger('disconnect', (sid, reason))

    def _on_wake_token(self, token: int) -> None:
        """A transport driven from Python may proceed (ASGI driver)."""

    # Provided by the pump mixin: answer a request for the hosted web app, and drive its WebSocket routes.
    _on_http: Callable[[tuple[Any, ...]], None]
    _on_web_socket: Callable[[tuple[Any, ...]], None]
    _on_http_body: Callable[[tuple[Any, ...]], None]

    def _serial_key(self, item: tuple[Any, ...]) -> Any:
        return item[1] if item[0] in (EIO_CONNECT, EIO_MESSAGE, EIO_DISCONNECT) else None
