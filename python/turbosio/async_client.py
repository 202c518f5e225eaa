"""The asyncio Socket.IO client, :class:`AsyncClient`.

All AsyncClients of one event loop share one ``ClientHubCore``, registered once with ``loop.add_reader``: a burst
of events from any number of clients costs one wake-up and one drain, and handlers run on that loop (coroutine
handlers as tasks, started in arrival order).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from typing import Any

from . import _core, exceptions
from ._client_types import AckCallback, HeadersArg, NamesArg, UrlArg
from .base_client import BaseClient, reconnecting_clients


class _LoopHub:
    """One event loop's hub: a reader on its wake-up pipe that hands each item to its client."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.core = _core.ClientHubCore()
        self.clients: weakref.WeakValueDictionary[int, AsyncClient] = weakref.WeakValueDictionary()
        self._fd = self.core.wake_fd()
        os.set_blocking(self._fd, False)
        loop.add_reader(self._fd, self._on_wake)

    def _on_wake(self) -> None:
        try:
            os.read(self._fd, 4096)
        except BlockingIOError:
            pass
        for item in self.core.drain():
            client = self.clients.get(item[1])
            if client is None:
                continue
            try:
                client._handle_item(item)
            except Exception:
                client.logger.exception('error while handling client item %r', item[0])


_loop_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopHub] = weakref.WeakKeyDictionary()
_idle_hub: _core.ClientHubCore | None = None


def _placeholder_hub() -> _core.ClientHubCore:
    """The hub a client holds before it first connects (nothing is ever queued there)."""
    global _idle_hub
    if _idle_hub is None:
        _idle_hub = _core.ClientHubCore()
    return _idle_hub


class AsyncClient(BaseClient):
    """A Socket.IO client for asyncio, with python-socketio 5.18's API.

    Handlers run on the loop that called :meth:`connect`. The constructor takes the same options as
    :class:`turbosio.Client` (see :class:`turbosio.base_client.BaseClient`).

    Example::

        sio = turbosio.AsyncClient()
        await sio.connect('http://localhost:5000')
    """

    def is_asyncio_based(self) -> bool:
        return True

    def _hub(self) -> _core.ClientHubCore:
        return _placeholder_hub()

    def _hub_register(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open_future: asyncio.Future[str | None] | None = None
        self._connect_event = asyncio.Event()
        self._closed_event = asyncio.Event()
        self._closed_event.set()
        self._reconnect_abort = asyncio.Event()
        self._tasks: set[asyncio.Future[Any]] = set()

    def _attach_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        hub = _loop_hubs.get(loop)
        if hub is None:
            hub = _loop_hubs[loop] = _LoopHub(loop)
        self._core.use_hub(hub.core)
        hub.clients[self._core.id] = self
        if self._loop is not None:
            # asyncio events belong to the loop that first waited on them: a client moved to a new loop (one
            # asyncio.run() after another) gets fresh ones.
            self._connect_event = asyncio.Event()
            self._closed_event = asyncio.Event()
            self._closed_event.set()
            self._reconnect_abort = asyncio.Event()
        self._loop = loop

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
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(self._finish(result, then, on_error))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif then is not None:
            then(result)

    async def _finish(self, coro: Any, then: Callable[[Any], None] | None, on_error: Callable[[], None] | None) -> None:
        try:
            result = await coro
        except Exception as exc:
            self._log_handler_error(exc)
            if on_error is not None:
                on_error()
            return
        if then is not None:
            then(result)

    def _signal_open(self, error: str | None) -> None:
        if error is None:
            self._closed_event.clear()
        if self._open_future is not None and not self._open_future.done():
            self._open_future.set_result(error)

    def _signal_connect(self) -> None:
        self._connect_event.set()

    def _signal_closed(self) -> None:
        self._closed_event.set()

    async def connect(
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
        """Connect to a Socket.IO server (a coroutine).

        Args:
            url: The server's URL (``http``, ``https``, ``ws`` or ``wss``), with any query string; or a function
                (or coroutine function) returning it, called again on each reconnection.
            headers: Extra request headers, or a function returning them.
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
        self._attach_loop()
        self._connect_event.clear()
        try:
            await self._open()
        except exceptions.ConnectionError as exc:
            for namespace in self.connection_namespaces:
                self._trigger_event('connect_error', namespace, exc.args[0])
            if retry:
                await self._handle_reconnect()
                if self._eio_state == 'connected':
                    return
            raise
        if wait:
            try:
                while True:
                    await asyncio.wait_for(self._connect_event.wait(), wait_timeout)
                    self._connect_event.clear()
                    if self._namespaces_settled():
                        break
            except asyncio.TimeoutError:
                pass
            self._check_still_open()
            if set(self.namespaces) != set(self.connection_namespaces):
                await self.disconnect()
                raise self._connect_failure()
        self.connected = True

    async def _open(self) -> None:
        url = await self._real_value(self.connection_url)
        headers = await self._real_value(self.connection_headers)
        auth = await self._real_value(self.connection_auth)
        loop = asyncio.get_running_loop()
        self._open_future = future = loop.create_future()
        self._start_core(url, headers, auth)
        try:
            error = await asyncio.wait_for(future, float(self.request_timeout) + 1.0)
        except asyncio.TimeoutError:
            self._core.close()
            raise exceptions.ConnectionError('Connection timed out') from None
        finally:
            self._open_future = None
        if error is not None:
            raise exceptions.ConnectionError(error)

    @staticmethod
    async def _real_value(value: Any) -> Any:
        if not callable(value):
            return value
        result = value()
        if asyncio.iscoroutine(result):
            result = await result
        return result

    async def wait(self) -> None:
        """Wait until the connection ends for good, reconnections included (a coroutine)."""
        while True:
            await self._closed_event.wait()
            task = self._reconnect_task
            if task is None:
                if self._eio_state == 'connected':
                    continue
                break
            await task
            if self._eio_state != 'connected':
                break

    async def emit(
        self, event: str, data: Any = None, namespace: str | None = None, callback: AckCallback = None
    ) -> None:
        """Emit ``event`` to the server (a coroutine; it only queues the packet).

        Args:
            event: The event name.
            data: One argument, or a tuple of several (``bytes`` travel as binary attachments).
            namespace: The namespace, ``'/'`` by default.
            callback: Called (or awaited, if a coroutine function) with the server's ack arguments.

        Raises:
            BadNamespaceError: The namespace is not connected.
        """
        self._emit_now(event, data, namespace, callback)

    async def send(self, data: Any, namespace: str | None = None, callback: AckCallback = None) -> None:
        """Emit the ``'message'`` event (a coroutine)."""
        await self.emit('message', data=data, namespace=namespace, callback=callback)

    async def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = 60) -> Any:
        """Emit ``event`` and wait for the server's ack (a coroutine).

        Returns:
            The ack's argument, a tuple when there are several, None when there are none.

        Raises:
            TimeoutError: No ack within ``timeout`` seconds (None waits for ever).
            BadNamespaceError: The namespace is not connected.
        """
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def resolve(*args: Any) -> None:
            if not future.done():
                future.set_result(args)

        self._emit_now(event, data, namespace, resolve)
        try:
            args = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise exceptions.TimeoutError() from None
        return args if len(args) > 1 else args[0] if args else None

    async def disconnect(self) -> None:
        """Leave every namespace and close the connection (a coroutine); ``disconnect`` handlers run first."""
        before = set(self._tasks)
        self._local_disconnect()
        # compat: python-socketio awaits the disconnect handlers before returning. Ours that are coroutines started
        # as tasks: wait for them here (without this, only an asyncio.wait_for() that wraps this coroutine in a task
        # of its own, as 3.11's does and 3.12's no longer does, let them run before the caller went on).
        started = [task for task in self._tasks if task not in before]
        if started:
            await asyncio.gather(*started, return_exceptions=True)

    async def shutdown(self) -> None:
        """Disconnect, or stop reconnecting if a reconnection is under way (a coroutine)."""
        if self.connected:
            await self.disconnect()
        elif self._reconnect_task:
            self._reconnect_abort.set()
            await self._reconnect_task

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Run the coroutine function ``target(*args, **kwargs)`` as a task; await the task to join it."""
        return asyncio.ensure_future(target(*args, **kwargs))

    async def sleep(self, seconds: float = 0) -> None:
        """``asyncio.sleep`` (a coroutine)."""
        await asyncio.sleep(seconds)

    def _start_reconnect(self) -> None:
        self._reconnect_task = asyncio.ensure_future(self._handle_reconnect())

    def _abort_reconnect(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._reconnect_abort.set)

    async def _handle_reconnect(self) -> None:
        self._begin_reconnecting()
        try:
            while True:
                delay = self._next_reconnect_delay()
                if delay is None:
                    break
                try:
                    await asyncio.wait_for(self._reconnect_abort.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                else:
                    self.logger.info('Reconnect task aborted')
                    break
                try:
                    await self.connect(**self._reconnect_arguments())
                except (exceptions.ConnectionError, ValueError):
                    continue
                self.logger.info('Reconnection successful')
                self._reconnect_task = None
                return
            self._give_up_reconnecting()
        finally:
            reconnecting_clients.discard(self)
            if self._reconnect_task is asyncio.current_task():
                self._reconnect_task = None
