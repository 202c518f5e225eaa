"""What the client tests share: the client implementation under test, the servers they talk to, and inboxes that
record what a client's handlers receive so a test can wait for it with a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from support.servers import ServerProcess, ServerView, wait_until_accepting
from support.settings import WAIT_TIMEOUT

# Where each server kind comes from: (--impl, --mode) of tests/apps/client_peer_app.py.
SERVER_KINDS = {
    'node': ('node', 'native'),  # Node's socket.io 4.8 (tests/js/client_peer_server.js)
    'socketio': ('socketio', 'asgi'),  # python-socketio 5.18 under uvicorn
    'turbosio': ('turbosio', 'native'),  # turbosio.run
}
PEER_APP = 'client_peer_app.py'


@dataclass(frozen=True)
class ClientImpl:
    """One implementation of python-socketio's client API: its module and its four client classes."""

    name: str
    module: ModuleType
    Client: type
    AsyncClient: type
    SimpleClient: type
    AsyncSimpleClient: type
    ClientNamespace: type | None
    AsyncClientNamespace: type | None

    @property
    def exceptions(self) -> ModuleType:
        return self.module.exceptions


def socketio_impl() -> ClientImpl:
    import socketio

    return ClientImpl(
        'socketio',
        socketio,
        socketio.Client,
        socketio.AsyncClient,
        socketio.SimpleClient,
        socketio.AsyncSimpleClient,
        socketio.ClientNamespace,
        socketio.AsyncClientNamespace,
    )


def turbosio_impl() -> ClientImpl | None:
    """turbosio's clients, or None while ``turbosio.Client`` does not exist yet."""
    import turbosio

    if not hasattr(turbosio, 'Client') or not hasattr(turbosio, 'AsyncClient'):
        return None
    # The simple clients are not exported from turbosio/__init__.py yet: take them from their modules then.
    from turbosio.async_simple_client import AsyncSimpleClient
    from turbosio.simple_client import SimpleClient

    return ClientImpl(
        'turbosio',
        turbosio,
        turbosio.Client,
        turbosio.AsyncClient,
        getattr(turbosio, 'SimpleClient', SimpleClient),
        getattr(turbosio, 'AsyncSimpleClient', AsyncSimpleClient),
        getattr(turbosio, 'ClientNamespace', None),
        getattr(turbosio, 'AsyncClientNamespace', None),
    )


class PeerServer(ServerProcess):
    """``tests/apps/client_peer_app.py`` as one kind of server, which a test can restart on the same port."""

    def __init__(self, kind: str):
        impl, mode = SERVER_KINDS[kind]
        super().__init__(PEER_APP, impl, mode)
        self.kind = kind

    def kill(self) -> None:
        """Kill the server: its clients lose their connections with no goodbye, as when a server crashes.

        Killed, not stopped: a graceful shutdown says goodbye to each client, and a python-socketio client does
        not reconnect after the server's goodbye; this is the server going away, which it reconnects after.
        """
        if self.proc is not None:
            self.proc.kill()
        self.stop(grace=2)

    def restart(self) -> None:
        """Kill the server and start it again on the same port."""
        self.kill()
        self._spawn()
        problem = wait_until_accepting(self.proc, self.port)
        if problem:
            raise RuntimeError(f'{self.describe()} did not restart: {problem}\n{self.stderr_text()}')


class PeerView(ServerView):
    """What a test sees of a peer server: its URL and the facts it printed since the test began."""

    process: PeerServer

    @property
    def kind(self) -> str:
        return self.process.kind

    def connects(self, ns: str = '/') -> list[dict]:
        return [line for line in self.lines if line.get('ev') == 'connect' and line.get('ns') == ns]


class Inbox:
    """Records what a sync ``Client``'s handlers receive (from any thread) and waits for it."""

    def __init__(self):
        self.items: list[tuple] = []
        self._cond = threading.Condition()

    def put(self, *item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def of(self, kind: str) -> list[tuple]:
        """The items whose first element is ``kind``, without it."""
        with self._cond:
            return [item[1:] for item in self.items if item[0] == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = WAIT_TIMEOUT) -> tuple:
        """Wait until ``count`` items of ``kind`` arrived; return the last of those (without ``kind``)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.of(kind)) >= count, timeout):
                raise AssertionError(f'no {count} x {kind!r} within {timeout} s; got {self.items}')
            return self.of(kind)[count - 1]


class AsyncInbox:
    """Records what an ``AsyncClient``'s handlers receive (on the event loop) and waits for it."""

    def __init__(self):
        self.items: list[tuple] = []
        self._changed = asyncio.Event()

    def put(self, *item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    def of(self, kind: str) -> list[tuple]:
        return [item[1:] for item in self.items if item[0] == kind]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = '') -> Any:
        async def watch():
            while not condition():
                self._changed.clear()
                await self._changed.wait()
            return condition()

        try:
            return await asyncio.wait_for(watch(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'no {what or condition} within {timeout} s; got {self.items}') from None

    async def wait_for(self, kind: str, count: int = 1, timeout: float = WAIT_TIMEOUT) -> tuple:
        """Wait until ``count`` items of ``kind`` arrived; return the last of those (without ``kind``)."""
        await self.wait_until(lambda: len(self.of(kind)) >= count, timeout, f'{count} x {kind!r}')
        return self.of(kind)[count - 1]


def record(sio: Any, inbox: Inbox | AsyncInbox, namespaces=('/',)) -> None:
    """Register handlers on ``sio`` that put all it receives into ``inbox`` as ``(kind, namespace, *args)``.

    ``kind`` is ``connect``, ``connect_error``, ``disconnect`` or, through the catch-all ``'*'``, the event name.
    Handlers of an AsyncClient are coroutines, as an asyncio program writes them.
    """
    asynchronous = isinstance(inbox, AsyncInbox)
    for ns in namespaces:
        for kind in ('connect', 'connect_error', 'disconnect'):
            sio.on(kind, _recorder(inbox, asynchronous, kind, ns), namespace=ns)
        sio.on('*', _recorder(inbox, asynchronous, None, ns), namespace=ns)


def _recorder(inbox: Inbox | AsyncInbox, asynchronous: bool, kind: str | None, ns: str) -> Callable:
    # kind None: a catch-all handler, whose first argument is the event name.
    def put(*args):
        if kind is None:
            inbox.put(args[0], ns, *args[1:])
        else:
            inbox.put(kind, ns, *args)

    if not asynchronous:
        return put

    async def put_async(*args):
        put(*args)

    return put_async


async def close(sio: Any, timeout: float = 10) -> None:
    """Disconnect an AsyncClient at the end of a test, bounded so that a stuck disconnect fails the test.

    A python-socketio polling client's disconnect waits for its pending long-poll, which python-socketio's server
    answers only when the session times out (ping interval + ping timeout: 7 s here).
    """
    if sio.connected:
        await asyncio.wait_for(sio.disconnect(), timeout)


@contextlib.asynccontextmanager
async def async_client(
    impl: ClientImpl, url: str, namespaces=('/',), options: dict | None = None, **connect_options: Any
) -> AsyncIterator[tuple[Any, AsyncInbox]]:
    """A connected AsyncClient (no reconnection unless ``options`` say so) recording into an AsyncInbox; yields
    ``(client, inbox)`` and disconnects at the end."""
    sio = impl.AsyncClient(**(options or {'reconnection': False}))
    inbox = AsyncInbox()
    record(sio, inbox, namespaces)
    connect_options.setdefault('wait_timeout', 5)
    await sio.connect(url, namespaces=list(namespaces), **connect_options)
    try:
        yield sio, inbox
    finally:
        await close(sio)
