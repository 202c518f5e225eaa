"""msgpack clients against msgpack servers over real sockets, polling, WebSocket and upgrade: events, acks, bytes,
rooms, namespaces, auth and refusal.

Each pair is (client library, server): python-socketio 5.18's clients (sync and async) against turbosio's
``AsyncServer`` and ``Server`` (natively, and the former under uvicorn too), and turbosio's clients against
python-socketio's server and Node's socket.io 4.8 with socket.io-msgpack-parser. python-socketio's clients against
its own server prove the expectations.
"""

from __future__ import annotations

import asyncio
import queue

import pytest
import socketio
import turbosio
from support.clients import arun

from .msgpack_app import TYPES

TIMEOUT = 5
TRANSPORTS = [['polling'], ['websocket'], ['polling', 'websocket']]
TRANSPORT_IDS = ['polling', 'websocket', 'upgrade']
PAYLOAD = {'blob': bytes(range(256)), 'nested': [b'', {'deep': b'\x00'}, 7, -1, 2.5, None, True], 'text': 'é'}


PAIRS = {
    'python-socketio-client-turbosio-async-server': (socketio, 'turbosio', False),
    'python-socketio-client-turbosio-sync-server': (socketio, 'turbosio', True),
    'python-socketio-client-turbosio-asgi-server': (socketio, 'turbosio-asgi', False),
    'python-socketio-client-python-socketio-server': (socketio, 'socketio', False),
    'turbosio-client-python-socketio-server': (turbosio, 'socketio', False),
    'turbosio-client-node-server': (turbosio, 'node', False),
}


@pytest.fixture(params=list(PAIRS.values()), ids=list(PAIRS))
def pair(request, msgpack_server):
    """(the client library, the server's URL)."""
    lib, impl, sync = request.param
    return lib, msgpack_server(impl, sync=sync)


async def connect_async(lib, url, transports, namespaces=('/',), auth=None):
    client = lib.AsyncClient(serializer='msgpack')
    received: asyncio.Queue = asyncio.Queue()
    for ns in namespaces:
        for event in ('welcome', 'echo_reply', 'shouted'):
            client.on(event, lambda *args, _e=event, _ns=ns: received.put_nowait((_ns, _e, args)), namespace=ns)
    await client.connect(url, transports=transports, namespaces=list(namespaces), auth=auth, wait_timeout=TIMEOUT)
    return client, received


async def next_event(received: asyncio.Queue):
    """The next event other than a ``welcome`` (each namespace's connect sends one)."""
    while True:
        item = await asyncio.wait_for(received.get(), TIMEOUT)
        if item[1] != 'welcome':
            return item


@pytest.mark.parametrize('transports', TRANSPORTS, ids=TRANSPORT_IDS)
def test_events_acks_and_binary_async_client(pair, transports):
    lib, server_url = pair

    async def scenario():
        client, received = await connect_async(lib, server_url, transports, auth={'token': 'abc'})
        try:
            assert await asyncio.wait_for(received.get(), TIMEOUT) == ('/', 'welcome', ({'token': 'abc'},))
            assert await client.call('echo', PAYLOAD, timeout=TIMEOUT) == PAYLOAD
            assert await asyncio.wait_for(received.get(), TIMEOUT) == ('/', 'echo_reply', (PAYLOAD,))
            several = (b'\x01', [b'\x02'], 'three')
            assert await client.call('echo', several, timeout=TIMEOUT) == several
            assert await asyncio.wait_for(received.get(), TIMEOUT) == ('/', 'echo_reply', several)
            types = await client.call('types', timeout=TIMEOUT)
            assert types == TYPES
            assert type(types['bytes']) is bytes and type(types['list']) is list
        finally:
            await client.disconnect()

    arun(scenario())


@pytest.mark.parametrize('transports', TRANSPORTS, ids=TRANSPORT_IDS)
def test_events_acks_and_binary_sync_client(pair, transports):
    lib, server_url = pair
    received: queue.Queue = queue.Queue()
    client = lib.Client(serializer='msgpack')
    client.on('echo_reply', lambda *args: received.put(args))
    client.connect(server_url, transports=transports, wait_timeout=TIMEOUT)
    try:
        assert client.call('echo', PAYLOAD, timeout=TIMEOUT) == PAYLOAD
        assert received.get(timeout=TIMEOUT) == (PAYLOAD,)
    finally:
        client.disconnect()


def test_rooms_and_broadcast_in_namespaces(pair):
    lib, server_url = pair

    async def scenario():
        a, got_a = await connect_async(lib, server_url, ['websocket'], namespaces=('/', '/chat'))
        b, got_b = await connect_async(lib, server_url, ['polling', 'websocket'], namespaces=('/', '/chat'))
        c, got_c = await connect_async(lib, server_url, ['websocket'], namespaces=('/', '/chat'))
        try:
            assert await a.call('join', 'r1', namespace='/chat', timeout=TIMEOUT) is True
            assert await b.call('join', 'r1', namespace='/chat', timeout=TIMEOUT) is True
            assert await c.call('join', 'r1', namespace='/', timeout=TIMEOUT) is True  # same room, other namespace
            assert await c.call('shout', ('r1', {'x': b'\x07'}), namespace='/chat', timeout=TIMEOUT) is True
            assert await next_event(got_a) == ('/chat', 'shouted', ({'x': b'\x07'},))
            assert await next_event(got_b) == ('/chat', 'shouted', ({'x': b'\x07'},))
            # c is in r1 of '/' only: its next event is the echo it asks for, not the shout.
            await c.emit('echo', 'mine', namespace='/chat')
            assert await next_event(got_c) == ('/chat', 'echo_reply', ('mine',))
        finally:
            for client in (a, b, c):
                await client.disconnect()

    arun(scenario())


@pytest.mark.parametrize('transports', [['polling'], ['websocket']], ids=['polling', 'websocket'])
def test_connect_refusal_carries_message_and_data(pair, transports):
    lib, server_url = pair

    async def scenario():
        client = lib.AsyncClient(serializer='msgpack')
        errors: asyncio.Queue = asyncio.Queue()
        client.on('connect_error', lambda data: errors.put_nowait(data))
        with pytest.raises(lib.exceptions.ConnectionError):
            await client.connect(server_url, transports=transports, auth={'refuse': True}, wait_timeout=TIMEOUT)
        assert await asyncio.wait_for(errors.get(), TIMEOUT) == {'message': 'not welcome', 'data': {'code': 4001}}
        await client.disconnect()

    arun(scenario())


def test_simple_clients_pass_the_serializer_through(msgpack_server):
    url = msgpack_server('socketio')
    with turbosio.SimpleClient(serializer='msgpack') as client:
        client.connect(url, transports=['websocket'], wait_timeout=TIMEOUT)
        assert client.receive(timeout=TIMEOUT) == ['welcome']  # emit(event, None): no arguments
        assert client.call('echo', b'\x00simple', timeout=TIMEOUT) == b'\x00simple'
        assert client.receive(timeout=TIMEOUT) == ['echo_reply', b'\x00simple']

    async def scenario():
        async with turbosio.AsyncSimpleClient(serializer='msgpack') as client:
            await client.connect(url, transports=['polling'], wait_timeout=TIMEOUT)
            assert await client.receive(timeout=TIMEOUT) == ['welcome']  # emit(event, None): no arguments
            assert await client.call('echo', {'b': b'\x01'}, timeout=TIMEOUT) == {'b': b'\x01'}

    arun(scenario())
