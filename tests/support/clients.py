"""python-socketio clients that record every event they receive, and ``arun`` to run a coroutine test body."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

import socketio

from .settings import WAIT_TIMEOUT


def arun(coro, timeout: float = 30.0):
    """Run a coroutine to completion in a fresh event loop, bounded by ``timeout`` seconds."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class AsyncPeer:
    """A python-socketio AsyncClient that records every event it receives, per namespace."""

    def __init__(self, namespaces=('/',)):
        self.sio = socketio.AsyncClient(reconnection=False)
        self.namespaces = list(namespaces)
        self.events: list[tuple[str, str, tuple]] = []  # (namespace, event, args)
        self.connect_errors: list[tuple[str, tuple]] = []
        self.disconnects: list[tuple[str, Any]] = []  # (namespace, reason)
        self._changed = asyncio.Event()
        for ns in self.namespaces:
            self._listen(ns)

    def _listen(self, ns: str) -> None:
        async def on_any(event, *args):
            self.events.append((ns, event, args))
            self._changed.set()

        async def on_connect_error(*data):
            self.connect_errors.append((ns, data))
            self._changed.set()

        async def on_disconnect(reason=None):
            self.disconnects.append((ns, reason))
            self._changed.set()

        self.sio.on('*', on_any, namespace=ns)
        self.sio.on('connect_error', on_connect_error, namespace=ns)
        self.sio.on('disconnect', on_disconnect, namespace=ns)

    def sid(self, ns: str = '/') -> str:
        return self.sio.get_sid(namespace=ns)

    def received(self, event: str, ns: str = '/') -> list[tuple]:
        return [args for (n, e, args) in self.events if n == ns and e == event]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = ''):
        async def poll():
            while True:
                result = condition()
                if result:
                    return result
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(poll(), timeout)
        except asyncio.TimeoutError:
            message = f'timed out after {timeout} s waiting for {what or condition}; got {self.events}'
            raise AssertionError(message) from None

    async def wait_event(self, event: str, ns: str = '/', timeout: float = WAIT_TIMEOUT, count: int = 1) -> tuple:
        """Wait until ``count`` ``event`` events arrived on ``ns``; return the args of the last of them."""
        found = await self.wait_until(
            lambda: len(self.received(event, ns)) >= count, timeout, what=f'{count} x {event!r} on {ns}'
        )
        assert found
        return self.received(event, ns)[count - 1]

    async def wait_disconnect(self, ns: str = '/', timeout: float = WAIT_TIMEOUT):
        await self.wait_until(lambda: any(n == ns for n, _ in self.disconnects), timeout, what=f'disconnect of {ns}')
        return next(reason for n, reason in self.disconnects if n == ns)


class AsyncPeers:
    """Creates connected AsyncPeers and disconnects all of them at the end of the ``async with`` block."""

    def __init__(self, url: str):
        self.url = url
        self.peers: list[AsyncPeer] = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await asyncio.gather(*(self._close(peer) for peer in self.peers))

    @staticmethod
    async def _close(peer: AsyncPeer) -> None:
        # Bounded: against python-socketio a polling client's disconnect() waits for its pending long-poll GET,
        # which that server leaves open until the next ping (test_disconnect checks promptness on its own).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(peer.sio.disconnect(), 2)

    async def connect(
        self,
        *,
        namespaces=('/',),
        auth=None,
        transports=('websocket',),
        query: str = '',
        wait_timeout: float = 5,
        handlers: dict[str, Callable] | None = None,
    ) -> AsyncPeer:
        """Connect a new AsyncPeer; ``handlers`` are extra event handlers for namespace '/'."""
        peer = AsyncPeer(namespaces)
        self.peers.append(peer)
        for event, handler in (handlers or {}).items():
            peer.sio.on(event, handler)
        await peer.sio.connect(
            self.url + query,
            auth=auth,
            transports=list(transports) if transports else None,
            namespaces=list(namespaces),
            wait_timeout=wait_timeout,
        )
        return peer


class SyncPeer:
    """A python-socketio (sync) Client that records every event it receives, per namespace."""

    def __init__(self, namespaces=('/',)):
        self.sio = socketio.Client(reconnection=False)
        self.events: list[tuple[str, str, tuple]] = []
        self.disconnects: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        for ns in namespaces:
            self._listen(ns)

    def _listen(self, ns: str) -> None:
        def on_any(event, *args):
            self.record(ns, event, args)

        def on_disconnect(reason=None):
            with self._cond:
                self.disconnects.append((ns, reason))
                self._cond.notify_all()

        self.sio.on('*', on_any, namespace=ns)
        self.sio.on('disconnect', on_disconnect, namespace=ns)

    def record(self, ns: str, event: str, args: tuple) -> None:
        with self._cond:
            self.events.append((ns, event, args))
            self._cond.notify_all()

    def received(self, event: str, ns: str = '/') -> list[tuple]:
        with self._cond:
            return [args for (n, e, args) in self.events if n == ns and e == event]

    def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = ''):
        with self._cond:
            if self._cond.wait_for(condition, timeout):
                return condition()
            raise AssertionError(f'timed out after {timeout} s waiting for {what or condition}; got {self.events}')
