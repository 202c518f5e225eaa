"""The asyncio flavour: :class:`AsyncServer`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from . import exceptions
from ._awaitable import DONE, Done
from .base_server import BaseServer

# perf: Python 3.12+ can run a coroutine's first step eagerly inside a real Task (so asyncio.current_task() and
# asyncio.timeout() work as usual); most handlers finish in that step and never touch the loop's ready queue.
_EAGER_TASKS = sys.version_info >= (3, 12)


class AsyncServer(BaseServer):
    """A Socket.IO server for asyncio, with python-socketio's ``AsyncServer`` API.

    Args:
        client_manager: Not supported yet (multi-process message queues); must be None.
        logger: True to log at INFO, False for errors only, or a ``logging.Logger``.
        serializer: ``'default'`` (JSON).
        json: A ``json``-compatible module, used only for values the built-in encoder cannot write.
        async_handlers: Kept for compatibility; handlers always run concurrently across clients.
        always_connect: Send the connect answer before the ``connect`` handler runs.
        namespaces: Namespaces clients may connect to besides those with handlers, or ``'*'`` for any.
        **kwargs: python-engineio's options: ``ping_interval``, ``ping_timeout``, ``max_http_buffer_size``,
            ``allow_upgrades``, ``cookie``, ``cors_allowed_origins``, ``cors_credentials``, ``transports``,
            ``async_mode`` and others; unknown ones are ignored.
    """

    _default_async_mode = 'asgi'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._wake_fd = self._core.wake_fd()
        self._wake_waiters: dict[int, asyncio.Future[None]] = {}
        self._asgi_scopes: dict[str, dict[str, Any]] = {}

    def is_asyncio_based(self) -> bool:
        return True

    # -- the event pump ---------------------------------------------------------------------------------------------

    def _attach_loop(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start handling events on ``loop`` (the running loop by default). Idempotent."""
        loop = loop or asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._wake_fd)
        self._loop = loop
        loop.add_reader(self._wake_fd, self._on_wake)
        # Events that arrived before the loop was attached.
        self._on_wake()

    def _detach_loop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._wake_fd)
        self._loop = None

    def _on_wake(self) -> None:
        try:
            os.read(self._wake_fd, 4096)
        except BlockingIOError:
            pass
        handle = self._handle_item
        for item in self._core.drain():
            try:
                handle(item)
            except Exception:
                self.logger.exception('error while handling %r', item[0])

    def _environ_for(self, eio_sid: str, transport: str, request: Any) -> dict[str, Any]:
        environ = super()._environ_for(eio_sid, transport, request)
        scope = self._asgi_scopes.pop(eio_sid, None)
        if scope is not None:
            environ['asgi.scope'] = scope
        return environ

    def _on_wake_token(self, token: int) -> None:
        waiter = self._wake_waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wait_token(self, token: int) -> asyncio.Future[None]:
        """A future resolved when the engine wakes ``token`` (used by the ASGI driver)."""
        assert self._loop is not None
        waiter = self._loop.create_future()
        self._wake_waiters[token] = waiter
        return waiter

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        try:
            result = handler(*args)
        except Exception as exc:
            self._failed(label, exc, on_error)
            return
        if asyncio.iscoroutine(result):
            self._run_coroutine(result, on_result, on_error, label)
        elif on_result is not None:
            on_result(result)

    def _failed(self, label: str, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        if on_error is None:
            self._log_handler_error(label, exc)
        else:
            on_error(exc)

    def _run_coroutine(
        self,
        coro: Coroutine[Any, Any, Any],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        loop = self._loop or asyncio.get_running_loop()
        if _EAGER_TASKS:
            task = asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg]
        else:
            task = loop.create_task(coro)

        def finished(task: asyncio.Task[Any]) -> None:
            self._tasks.discard(task)
            if task.cancelled():
                return
            exc = task.exception()
            if exc is not None:
                self._failed(label, exc, on_error)
            elif on_result is not None:
                on_result(task.result())

        if task.done():
            finished(task)
        else:
            self._tasks.add(task)
            task.add_done_callback(finished)

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
    ) -> Done:
        """Emit an event to one client (its sid), a room, a list of rooms, or everyone in the namespace.

        Args:
            event: The event name.
            data: The payload: a value, or a tuple for several arguments.
            to: A sid, a room, or a list of them; everyone in the namespace when omitted.
            room: Alias of ``to``.
            skip_sid: A sid or list of sids to leave out.
            namespace: The namespace; ``'/'`` when omitted.
            callback: Called with the client's acknowledgement arguments.
            ignore_queue: Accepted for compatibility.

        Returns:
            An awaitable that is already complete: the frames are queued when the call returns.
        """
        self._emit(event, data, to, room, skip_sid, namespace, callback)
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
    ) -> Done:
        """Emit the ``'message'`` event; see :meth:`emit`."""
        self._emit('message', data, to, room, skip_sid, namespace, callback)
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
            turbosio.exceptions.TimeoutError: when no answer comes within ``timeout`` seconds.
        """
        if to is None and sid is None:
            raise ValueError('Cannot use call() to broadcast.')
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[Any, ...]] = loop.create_future()

        def callback(*args: Any) -> None:
            if not answer.done():
                answer.set_result(args)

        self._emit(event, data, to or sid, None, None, namespace, callback)
        try:
            args = await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            raise exceptions.TimeoutError() from None
        if len(args) > 1:
            return args
        return args[0] if args else None

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> Done:
        """Put a client in a room."""
        self._enter_room(sid, room, namespace)
        return DONE

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> Done:
        """Take a client out of a room."""
        self._leave_room(sid, room, namespace)
        return DONE

    def close_room(self, room: Any, namespace: str | None = None) -> Done:
        """Remove every client from a room."""
        self._close_room(room, namespace)
        return DONE

    def get_session(self, sid: str, namespace: str | None = None) -> Done:
        """The client's session dict (awaitable).

        Raises:
            KeyError: if the client is not connected.
        """
        return Done(self._session(sid, namespace))

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> Done:
        """Replace the client's session dict."""
        self._save_session(sid, session, namespace)
        return DONE

    def session(self, sid: str, namespace: str | None = None) -> _SessionContext:
        """``async with sio.session(sid) as session:``: changes are saved on exit."""
        return _SessionContext(self, sid, namespace)

    def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> Done:
        """Disconnect a client from a namespace; its ``disconnect`` handler runs with reason 'server disconnect'."""
        self._disconnect(sid, namespace)
        return DONE

    async def shutdown(self) -> None:
        """Stop serving and disconnect every client (a coroutine)."""
        self._core.shutdown()
        await asyncio.sleep(0)
        self._on_wake()

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Run ``target(*args, **kwargs)`` (a coroutine function) as an asyncio task."""
        task = asyncio.ensure_future(target(*args, **kwargs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def sleep(self, seconds: float = 0) -> None:
        """``asyncio.sleep`` (a coroutine)."""
        await asyncio.sleep(seconds)

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Not used by turbosio: mount :class:`turbosio.ASGIApp` or call :func:`turbosio.run` instead."""
        raise NotImplementedError('turbosio serves requests through ASGIApp or turbosio.run()')

    def attach(self, app: Any, socketio_path: str = 'socket.io') -> None:
        """Not supported (aiohttp/sanic/tornado): use :class:`turbosio.ASGIApp` or :func:`turbosio.run`."""
        raise NotImplementedError('turbosio supports ASGI (ASGIApp) and its native server (turbosio.run)')


class _SessionContext:
    def __init__(self, server: AsyncServer, sid: str, namespace: str | None) -> None:
        self.server, self.sid, self.namespace = server, sid, namespace
        self.session: dict[str, Any] = {}

    async def __aenter__(self) -> dict[str, Any]:
        self.session = await self.server.get_session(self.sid, namespace=self.namespace)
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        await self.server.save_session(self.sid, self.session, namespace=self.namespace)
