""":class:`AsyncSimpleClient`: :class:`~turbosio.simple_client.SimpleClient` for asyncio code.

It is built only on the public API of :class:`turbosio.AsyncClient`, as python-socketio builds its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from ._client_types import HeadersArg, UrlArg
from .exceptions import DisconnectedError, SocketIOError, TimeoutError
from .simple_client import _remaining, _SimpleClientBase


class AsyncSimpleClient(_SimpleClientBase):
    """A Socket.IO client for asyncio code that asks and waits rather than handling events.

    Received events are kept in order and handed out by :meth:`receive`. The positional and keyword arguments of
    the constructor go to the :class:`turbosio.AsyncClient` it wraps. Its methods are coroutines, to be called
    from one event loop.

    Example:
        ``async with AsyncSimpleClient() as sio: await sio.connect(url); print(await sio.receive())``
    """

    _client_class_name = 'AsyncClient'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connected_event = asyncio.Event()
        self.input_event = asyncio.Event()
        self._watcher: asyncio.Future[None] | None = None

    async def connect(
        self,
        url: UrlArg,
        headers: HeadersArg = {},  # noqa: B006 - compat: python-socketio's default, never mutated
        auth: Any = None,
        transports: list[str] | None = None,
        namespace: str = '/',
        socketio_path: str = 'socket.io',
        wait_timeout: float = 5,
    ) -> None:
        """Connect to a Socket.IO server, with the arguments of :meth:`SimpleClient.connect`. A coroutine.

        Raises:
            RuntimeError: This client is already connected.
            turbosio.exceptions.ConnectionError: The server could not be reached or refused the connection.
        """
        if self.connected:
            raise RuntimeError('Already connected')
        client = self._new_client(namespace)
        await client.connect(
            url,
            headers=headers,
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )
        self._watcher = asyncio.ensure_future(self._watch(client))

    async def _watch(self, client: Any) -> None:
        # wait() returns once the client stopped for good, including when it gave up reconnecting.
        await client.wait()
        if self.client is client:
            self._finish()

    async def _ready(self, deadline: float | None = None) -> bool:
        """Wait until connected (False at ``deadline``); raise ``DisconnectedError`` if the connection ended."""
        if self.client is None:
            raise DisconnectedError()
        try:
            await asyncio.wait_for(self.connected_event.wait(), _remaining(deadline))
        except asyncio.TimeoutError:
            return False
        if not self.connected:
            raise DisconnectedError()
        return True

    async def emit(self, event: str, data: Any = None) -> None:
        """Send an event to the server, as :meth:`SimpleClient.emit` does. A coroutine.

        Raises:
            turbosio.exceptions.DisconnectedError: The client is not connected and will not connect again.
        """
        while True:
            await self._ready()
            try:
                await self.client.emit(event, data, namespace=self.namespace)
                return
            except SocketIOError:
                if not self._must_retry():
                    raise

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Send an event and wait for its acknowledgement, as :meth:`SimpleClient.call` does. A coroutine.

        Returns:
            The server's ack: its one argument, a tuple of several, or None.

        Raises:
            turbosio.exceptions.TimeoutError: No acknowledgement within ``timeout`` seconds.
            turbosio.exceptions.DisconnectedError: The client is not connected and will not connect again.
        """
        while True:
            await self._ready()
            try:
                return await self.client.call(event, data, namespace=self.namespace, timeout=timeout)
            except TimeoutError:
                raise
            except SocketIOError:
                if not self._must_retry():
                    raise

    async def receive(self, timeout: float | None = None) -> list[Any]:
        """Wait for the next event from the server, as :meth:`SimpleClient.receive` does. A coroutine.

        Returns:
            A list: the event name, then the event's arguments.

        Raises:
            turbosio.exceptions.TimeoutError: No event within ``timeout`` seconds (None: no limit).
            turbosio.exceptions.DisconnectedError: The connection ended and every received event was handed out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.input_buffer:
            if not await self._ready(deadline):
                raise TimeoutError()
            try:
                await asyncio.wait_for(self.input_event.wait(), _remaining(deadline))
            except asyncio.TimeoutError:
                raise TimeoutError() from None
            self.input_event.clear()
        return self.input_buffer.pop(0)

    async def disconnect(self) -> None:
        """Disconnect from the server; does nothing when not connected. This method is a coroutine."""
        if self.connected:
            client, self.client = self.client, None
            await client.disconnect()
            self._finish()
        watcher, self._watcher = self._watcher, None
        if watcher is not None and not watcher.done():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def __aenter__(self) -> AsyncSimpleClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()
