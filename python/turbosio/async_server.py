"""The asyncio flavour: :class:`AsyncServer`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import exceptions
from ._asyncio_pump import AsyncioPump
from ._awaitable import DONE, Done
from .base_server import BaseServer, PendingCall


class AsyncServer(AsyncioPump, BaseServer):
    """A Socket.IO server for asyncio, with python-socketio's ``AsyncServer`` API.

    Args:
        client_manager: A :class:`turbosio.AsyncManager` (or subclass); a fresh one when None.
        logger: True to log at INFO, False for errors only, or a ``logging.Logger``.
        serializer: ``'default'`` (JSON) or ``'msgpack'`` (``socket.io-msgpack-parser``'s format).
        json: A ``json``-compatible module, used only for values the built-in encoder cannot write.
        async_handlers: Kept for compatibility; handlers always run concurrently across clients.
        always_connect: Send the connect answer before the ``connect`` handler runs.
        namespaces: Namespaces clients may connect to besides those with handlers, or ``'*'`` for any.
        **kwargs: python-engineio's options: ``ping_interval``, ``ping_timeout``, ``max_http_buffer_size``,
            ``allow_upgrades``, ``cookie``, ``cors_allowed_origins``, ``cors_credentials``, ``transports``,
            ``async_mode`` and others; unknown ones are ignored. turbosio adds ``max_queue_packets`` and
            ``max_queue_bytes``, the bounds of what may wait to be written to one client.
    """

    _default_async_mode = 'asgi'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_pump()

    def _environ_for(self, eio_sid: str, transport: str, request: Any) -> dict[str, Any]:
        return self._scope_environ(eio_sid, super()._environ_for(eio_sid, transport, request))

    # -- verbs ------------------------------------------------------------------------------------------------------

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> Done[None]:
        """Emit an event to one client (its sid), a room, a list of rooms, or everyone in the namespace.

        Args:
            event: The event name.
            data: The payload: a value, or a tuple for several arguments.
            to: A sid, a room, or a list of them; everyone in the namespace when omitted.
            room: Alias of ``to``.
            skip_sid: A sid or list of sids to leave out.
            namespace: The namespace; ``'/'`` when omitted.
            callback: Called with the client's acknowledgement arguments.
            ignore_queue: With a pub/sub manager (Redis), emit to this server's clients only, without publishing.

        Returns:
            An awaitable that is already complete: the frames are queued when the call returns.
        """
        self._emit(event, data, to, room, skip_sid, namespace, callback, ignore_queue)
        return DONE

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> Done[None]:
        """Emit the ``'message'`` event; see :meth:`emit`."""
        self._emit('message', data, to, room, skip_sid, namespace, callback, ignore_queue)
        return DONE

    async def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit an event to one client and wait for its acknowledgement (a coroutine).

        Returns:
            The acknowledgement: None, the single argument, or a tuple of several.

        Raises:
            ValueError: when no client is named (``call()`` cannot broadcast).
            turbosio.exceptions.TimeoutError: when no answer comes within ``timeout`` seconds, or at once when the
                client is not connected or disconnects before answering.
        """
        if to is None and sid is None:
            raise ValueError('Cannot use call() to broadcast.')
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[Any, ...]] = loop.create_future()

        def answered(*args: Any) -> None:
            if not answer.done():
                answer.set_result(args)

        def gone() -> None:
            if not answer.done():
                answer.set_exception(exceptions.TimeoutError('the client disconnected before answering'))

        sent = self._emit(event, data, to or sid, None, None, namespace, PendingCall(answered, gone))
        if not sent:
            # Nobody to answer (not connected): python-socketio's TimeoutError, without waiting for it.
            raise exceptions.TimeoutError('the client is not connected')
        try:
            args = await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            self._drop_callbacks(sent)
            self._core.metrics_ack_timeout()
            raise exceptions.TimeoutError() from None
        if len(args) > 1:
            return args
        return args[0] if args else None

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> Done[None]:
        """Put a client in a room."""
        self._enter_room(sid, room, namespace)
        return DONE

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> Done[None]:
        """Take a client out of a room."""
        self._leave_room(sid, room, namespace)
        return DONE

    def close_room(self, room: Any, namespace: str | None = None) -> Done[None]:
        """Remove every client from a room."""
        self._close_room(room, namespace)
        return DONE

    def get_session(self, sid: str, namespace: str | None = None) -> Done[dict[str, Any]]:
        """The client's session dict (awaitable).

        Raises:
            KeyError: if the client is not connected.
        """
        return Done(self._session(sid, namespace))

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> Done[None]:
        """Replace the client's session dict."""
        self._save_session(sid, session, namespace)
        return DONE

    def session(self, sid: str, namespace: str | None = None) -> _SessionContext:
        """``async with sio.session(sid) as session:``: changes are saved on exit."""
        return _SessionContext(self, sid, namespace)

    def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> Done[None]:
        """Disconnect a client from a namespace; its ``disconnect`` handler runs with reason 'server disconnect'."""
        self._disconnect(sid, namespace)
        return DONE

    async def shutdown(self) -> None:
        """Stop serving and disconnect every client (a coroutine)."""
        # Off the loop: the drain waits for connections to finish, and hosted requests need the loop to do so.
        await asyncio.get_running_loop().run_in_executor(None, self._core.shutdown)
        await asyncio.sleep(0)
        self._on_wake()

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Not used by turbosio: mount :class:`turbosio.ASGIApp` or call :func:`turbosio.run` instead."""
        raise NotImplementedError('turbosio serves requests through ASGIApp or turbosio.run()')

    def attach(self, app: Any, socketio_path: str = 'socket.io') -> None:
        """Serve Socket.IO inside an aiohttp application, at ``/<socketio_path>/`` (long-polling and WebSocket).

        Args:
            app: An ``aiohttp.web.Application``, before it starts.
            socketio_path: The Socket.IO endpoint (default ``'socket.io'``).

        Raises:
            NotImplementedError: for any other framework (sanic, tornado): use :class:`turbosio.ASGIApp` or
                :func:`turbosio.run` there.
        """
        try:
            from aiohttp import web
        except ImportError:
            web = None  # type: ignore[assignment]
        if web is None or not isinstance(app, web.Application):
            raise NotImplementedError(
                f'turbosio: attach() supports aiohttp.web.Application, not {type(app).__name__}; '
                'serve other frameworks with turbosio.ASGIApp or turbosio.run()'
            )
        from ._external_aiohttp import attach_aiohttp

        attach_aiohttp(self, app, socketio_path)


class _SessionContext:
    def __init__(self, server: AsyncServer, sid: str, namespace: str | None) -> None:
        self.server, self.sid, self.namespace = server, sid, namespace
        self.session: dict[str, Any] = {}

    async def __aenter__(self) -> dict[str, Any]:
        self.session = await self.server.get_session(self.sid, namespace=self.namespace)
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        await self.server.save_session(self.sid, self.session, namespace=self.namespace)
