"""A small typed turbosio client program: every public client-side name, used the way a typed program uses them.

The test command checks this file with ``mypy --strict`` and pyright (``scripts/check_types.sh``); run it against
``examples/typed/app.py`` (``python examples/typed/client.py``, server on :5000).
"""

from __future__ import annotations

import asyncio
from typing import Any

import turbosio
from turbosio import exceptions

URL = 'http://127.0.0.1:5000'

sio = turbosio.AsyncClient(reconnection_attempts=3, request_timeout=5)


@sio.event
async def connect() -> None:
    print('connected as', sio.get_sid(), 'over', sio.transport())


@sio.event
async def connect_error(data: Any) -> None:
    print('refused:', data)


@sio.on('said')
async def said(message: dict[str, str]) -> None:
    print(f'{message["who"]}: {message["text"]}')


@sio.on('are_you_there', namespace='/admin')
def are_you_there() -> str:
    return 'yes'  # the return value is the ack


@sio.on('disconnect')
def gone(reason: str) -> None:
    print('disconnected:', reason)


class StatsClient(turbosio.AsyncClientNamespace):
    """A class-based client namespace: ``on_<event>`` methods."""

    def __init__(self) -> None:
        super().__init__('/stats')
        self.last = 0

    async def on_pong(self, data: int) -> None:
        self.last = data

    async def ping(self, data: int) -> int:
        count: int = await self.call('ping', data, timeout=5)
        await self.emit('ping', data, callback=self.acked)
        return count

    def acked(self, count: int) -> None:
        print('ping acked, count', count)


stats = StatsClient()
sio.register_namespace(stats)


def auth() -> dict[str, str]:
    return {'name': 'typed'}  # connect(auth=...) also takes a function, called on every attempt


async def chat() -> None:
    await sio.connect(
        lambda: URL,  # or a str
        headers={'X-Client': 'typed'},
        auth=auth,
        transports=['websocket'],
        namespaces=['/', '/stats', '/admin'],
        wait_timeout=5,
    )
    reply: dict[str, int] = await sio.call('say', 'hello', timeout=5)
    print('in', reply['rooms'], 'rooms; stats count', await stats.ping(41))
    await sio.send('bye', callback=lambda *args: print('acked', args))
    await sio.sleep(0.1)
    await sio.disconnect()


async def simple() -> None:
    async with turbosio.AsyncSimpleClient() as client:
        await client.connect(URL, auth={'name': 'simple'}, transports=['websocket'], wait_timeout=5)
        await client.emit('say', 'hi')
        try:
            event: list[Any] = await client.receive(timeout=1)
            print('received', event, 'as', client.sid, 'over', client.transport)
        except exceptions.TimeoutError:
            print('nothing received')


# The threaded flavours.
threaded = turbosio.Client(reconnection=False)


@threaded.on('said')
def heard(message: dict[str, str]) -> None:
    print('thread heard', message['text'])


class StatsThreaded(turbosio.ClientNamespace):
    def on_pong(self, data: int) -> None:
        print('pong', data)

    def ping(self, data: int) -> int:
        count: int = self.call('ping', data, timeout=5)
        return count


def blocking() -> None:
    stats_threaded = StatsThreaded('/stats')
    threaded.register_namespace(stats_threaded)
    threaded.connect(URL, namespaces=['/', '/stats'], transports='polling', auth={'name': 'threaded'})
    reply: dict[str, int] = threaded.call('say', 'from a thread', timeout=5)
    count = stats_threaded.ping(1)
    print('in', reply['rooms'], 'rooms; count', count)
    threaded.disconnect()
    with turbosio.SimpleClient() as client:
        client.connect(URL, auth={'name': 'simple-threaded'})
        answer: Any = client.call('say', 'sync', timeout=5)
        print('answer', answer)


def problems() -> tuple[type[exceptions.SocketIOError], ...]:
    return (exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BadNamespaceError)


if __name__ == '__main__':
    try:
        asyncio.run(chat())
        asyncio.run(simple())
        blocking()
    except problems() as exc:
        print('failed:', exc)
