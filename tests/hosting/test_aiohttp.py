"""AsyncServer.attach(): Socket.IO inside an aiohttp application, served by aiohttp's own web server.

The aiohttp server runs in this process, on an event loop of its own thread and a free port; python-socketio's
AsyncClient and node's socket.io-client connect to it over long-polling, WebSocket, and polling upgraded to
WebSocket. ``TURBOSIO_TEST_IMPL=socketio`` runs the same tests against python-socketio.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio
import websocket
from aiohttp import web
from support.clients import arun
from support.marks import reference_deviates
from support.protocol import ENGINE_PATH, RS, connect_polling_namespace, poll, post
from support.settings import IMPL
from support.tcp import wait_until_read

sio_impl: Any = importlib.import_module(IMPL)

TRANSPORTS = {'polling': ['polling'], 'websocket': ['websocket'], 'upgrade': ['polling', 'websocket']}


class AiohttpServer:
    """An aiohttp app with an attached AsyncServer, served on a thread's event loop."""

    def __init__(self, socketio_path: str = 'socket.io', **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner: web.AppRunner | None = None
        self.sio, self.port = self.call(self._start(socketio_path, options))
        self.url = f'http://127.0.0.1:{self.port}'
        self.host, self.base_url = '127.0.0.1', f'{self.url}{ENGINE_PATH}'  # what support.protocol's helpers use

    def call(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self, socketio_path: str, options: dict[str, Any]) -> tuple[Any, int]:
        sio = sio_impl.AsyncServer(async_mode='aiohttp', **options)

        @sio.event
        async def echo(sid, data):
            return data

        @sio.event
        async def join(sid, room):
            await sio.enter_room(sid, room)
            await sio.emit('joined', room, to=room)

        async def hello(request: web.Request) -> web.Response:
            return web.json_response({'hello': 'aiohttp'})

        app = web.Application()
        app.router.add_get('/hello', hello)
        sio.attach(app, socketio_path=socketio_path)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, '127.0.0.1', 0)
        await site.start()
        port = self.runner.addresses[0][1]
        return sio, port

    def stop(self) -> None:
        if self.runner is not None:
            self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def aiohttp_server() -> Iterator[AiohttpServer]:
    server = AiohttpServer()
    yield server
    server.stop()


@pytest.mark.parametrize(
    'transport',
    [
        pytest.param('polling', marks=reference_deviates('a polling AsyncClient hangs in disconnect() under aiohttp')),
        'websocket',
        'upgrade',
    ],
)
def test_python_client_echoes_over_each_transport(aiohttp_server, transport):
    async def scenario():
        client = socketio.AsyncClient(reconnection=False)
        joined: asyncio.Queue[str] = asyncio.Queue()
        client.on('joined', joined.put_nowait)
        await client.connect(aiohttp_server.url, transports=TRANSPORTS[transport])
        try:
            echoed = await client.call('echo', {'n': [1, 2], 'b': b'\x00\xff'}, timeout=5)
            await client.emit('join', 'lobby')
            room = await asyncio.wait_for(joined.get(), 5)
            if transport == 'upgrade':
                await asyncio.wait_for(_upgraded(client), 5)
            return echoed, room, client.transport()
        finally:
            await client.disconnect()

    echoed, room, settled = arun(scenario())
    assert echoed == {'n': [1, 2], 'b': b'\x00\xff'}
    assert room == 'lobby'
    assert settled == ('polling' if transport == 'polling' else 'websocket')


async def _upgraded(client: socketio.AsyncClient) -> None:
    # python-engineio's client announces no upgrade event: watch its transport (bounded by the caller's wait_for).
    while client.transport() != 'websocket':  # noqa: ASYNC110
        await asyncio.sleep(0.02)


@pytest.mark.parametrize('transport', list(TRANSPORTS))
def test_node_client_echoes_over_each_transport(aiohttp_server, node_scenario, transport):
    result = node_scenario(
        aiohttp_server.url, 'echo_transport', {'payload': {'from': 'node'}, 'transports': TRANSPORTS[transport]}
    )
    assert result['ack'] == [{'from': 'node'}]
    assert result['again'] == [{'from': 'node'}]
    assert result['transport'] == ('polling' if transport == 'polling' else 'websocket')


def test_aiohttp_routes_keep_working_beside_socketio(aiohttp_server):
    assert requests.get(f'{aiohttp_server.url}/hello', timeout=5).json() == {'hello': 'aiohttp'}
    assert requests.get(f'{aiohttp_server.url}/nothing', timeout=5).status_code == 404


def test_custom_socketio_path():
    server = AiohttpServer(socketio_path='/ws/sio/')
    try:

        async def scenario():
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(server.url, socketio_path='ws/sio')
            try:
                return await client.call('echo', 'custom path', timeout=5)
            finally:
                await client.disconnect()

        assert arun(scenario()) == 'custom path'
        assert requests.get(f'{server.url}/socket.io/?EIO=4&transport=polling', timeout=5).status_code == 404
    finally:
        server.stop()


def test_a_bad_engineio_request_gets_the_engines_answer(aiohttp_server):
    answer = requests.get(f'{aiohttp_server.url}/socket.io/?EIO=4&transport=polling&sid=nope', timeout=5)
    assert answer.status_code == 400


@pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio attaches to sanic and tornado')
@pytest.mark.parametrize('app', [object(), {'not': 'an app'}])
def test_attach_to_anything_else_is_not_implemented(app):
    sio = sio_impl.AsyncServer()
    with pytest.raises(NotImplementedError, match='aiohttp'):
        sio.attach(app)


def test_an_oversized_websocket_message_closes_only_that_connection():
    server = AiohttpServer(max_http_buffer_size=1000)
    try:
        ws = websocket.create_connection(
            f'ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket', timeout=5
        )
        try:
            assert ws.recv().startswith('0{')
            ws.send('4' + 'x' * 5000)
            with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
                while True:  # the server's answer to an oversized message is a close, whatever came before it
                    if ws.recv() in ('', None):
                        raise websocket.WebSocketConnectionClosedException('closed')
        finally:
            ws.close()
            ws.shutdown()  # close() skips the socket once the server has closed the connection

        async def scenario():
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(server.url, transports=['websocket'])
            try:
                return await client.call('echo', 'still serving', timeout=5)
            finally:
                await client.disconnect()

        assert arun(scenario()) == 'still serving'
    finally:
        server.stop()


@reference_deviates('the abandoned GET takes the frames and the next GET waits past its timeout')
def test_a_poll_whose_client_left_does_not_take_the_next_ones_frames(aiohttp_server):
    # aiohttp tells a handler nothing when its client leaves; the relay must notice before it hands out frames.
    sid, _ = connect_polling_namespace(aiohttp_server)
    raw = socket.create_connection(('127.0.0.1', aiohttp_server.port), timeout=5)
    raw.sendall(f'GET {ENGINE_PATH}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
    wait_until_read(aiohttp_server.port, raw.getsockname()[1])  # the server is waiting on it
    raw.close()
    deadline = time.monotonic() + 5
    while True:
        assert post(aiohttp_server, sid, '421["echo","after"]').status_code == 200
        answer = poll(aiohttp_server, sid)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
    assert answer.status_code == 200, answer.text
    assert '431["after"]' in answer.text.split(RS)
