"""Events: acked echoes, tuple returns, unicode, the catch-all handler, send(), and handlers that raise."""

import asyncio
import re
import uuid

import pytest
import socketio
from support.clients import AsyncPeers, arun
from support.marks import reference_deviates, require_wsgi_server

UNICODE_TEXT = 'héllo wörld · 世界 · שלום · 🎉👩‍💻 · \u2028\u2029 · "quotes" \\ back'


def test_echo_ack_returns_the_payload(server):
    srv = server()
    payload = {'int': 1, 'float': 2.5, 'list': [1, 'two', None, True], 'nested': {'empty': {}, 'e': []}}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert await peer.sio.call('echo', payload, timeout=5) == payload
            assert await peer.sio.call('echo', ('a', 2, [3]), timeout=5) == ('a', 2, [3])
            assert await peer.sio.call('echo', timeout=5) is None

    arun(scenario())


def test_emit_with_callback_gets_the_ack(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            acked = asyncio.get_running_loop().create_future()
            await peer.sio.emit('echo', {'via': 'callback'}, callback=lambda *args: acked.set_result(args))
            assert await asyncio.wait_for(acked, 5) == ({'via': 'callback'},)

    arun(scenario())


def test_tuple_return_becomes_several_ack_args(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert await peer.sio.call('echo_multi', [5], timeout=5) == ('first', [5], {'n': 3})

    arun(scenario())


def test_unicode_python(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert await peer.sio.call('echo', {UNICODE_TEXT: UNICODE_TEXT}, timeout=5) == {UNICODE_TEXT: UNICODE_TEXT}
            assert await peer.sio.call('événement_💥', UNICODE_TEXT, timeout=5) == 'caught événement_💥'

    arun(scenario())


def test_unicode_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'unicode', {'text': UNICODE_TEXT, 'event': 'événement_💥'})
    assert result['echo'] == [UNICODE_TEXT, {UNICODE_TEXT: UNICODE_TEXT}]
    assert result['caught'] == ['caught événement_💥']


def test_catch_all_handler_gets_unhandled_events(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert await peer.sio.call('no_such_event', {'x': 1}, timeout=5) == 'caught no_such_event'
            await peer.sio.emit('another_one', (1, 'two'))
            caught = await peer.wait_event('catch_all', count=2)
            assert caught == ({'event': 'another_one', 'args': [1, 'two']},)
            assert peer.received('catch_all')[0] == ({'event': 'no_such_event', 'args': [{'x': 1}]},)
            # an event with its own handler does not reach the catch-all
            assert await peer.sio.call('echo', 'direct', timeout=5) == 'direct'
            assert len(peer.received('catch_all')) == 2

    arun(scenario())


def test_send_and_message_event(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            await peer.sio.send({'sent': 'with send()'})
            assert await peer.wait_event('message') == ({'sent': 'with send()'},)

    arun(scenario())


def test_handler_exception_is_logged_and_connection_survives(server):
    srv = server()
    marker = uuid.uuid4().hex

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            await peer.sio.emit('boom', marker)
            await srv.await_for({'ev': 'boom', 'sid': peer.sid(), 'data': marker})
            assert await peer.sio.call('echo', 'still alive', timeout=5) == 'still alive'
            # a handler that raised sends no ack
            with pytest.raises(socketio.exceptions.TimeoutError):
                await peer.sio.call('boom', marker + '-acked', timeout=1)
            assert await peer.sio.call('echo', 'alive again', timeout=5) == 'alive again'
            assert peer.sio.connected
            assert peer.disconnects == []
            assert not [line for line in srv.lines if line['ev'] == 'disconnect' and line['sid'] == peer.sid()]

    arun(scenario())
    logged = srv.wait_for_stderr(f'RuntimeError: boom {marker}-acked')
    assert f'RuntimeError: boom {marker}\n' in logged
    assert 'Traceback (most recent call last)' in logged
    assert 'in boom' in logged  # the traceback reaches the handler's own frame


@reference_deviates('a raising AsyncServer handler is logged by asyncio ("Task exception was never retrieved")')
def test_handler_exception_is_logged_under_socketio_server(server):
    srv = server()
    marker = uuid.uuid4().hex

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            await peer.sio.emit('boom', marker)

    arun(scenario())
    expected = f'RuntimeError: boom {marker}'

    def logged_by_socketio_server(text: str) -> bool:
        # the app logs as '<LEVEL> <logger name>: message', the traceback on the lines below; split into records
        records = re.split(r'(?m)^(?=[A-Z]+ [\w.]+: )', text)
        return any(r.startswith('ERROR socketio.server: ') and expected in r for r in records)

    srv.wait_for_stderr(expected)
    srv.wait_for_stderr(logged_by_socketio_server, timeout=2)


def test_sync_server_events(server, mode):
    """The same handlers on the sync ``Server`` (threading): acks, tuples, catch-all, exceptions, rooms."""
    require_wsgi_server(mode)
    srv = server(sync=True)
    marker = uuid.uuid4().hex

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=None)
            assert await peer.sio.call('echo', {'sync': True}, timeout=5) == {'sync': True}
            assert await peer.sio.call('echo_multi', 1, timeout=5) == ('first', 1, {'n': 3})
            assert await peer.sio.call('unhandled', 2, timeout=5) == 'caught unhandled'
            await peer.sio.emit('boom', marker)
            await srv.await_for({'ev': 'boom', 'data': marker})
            assert await peer.sio.call('join', 'sync-room', timeout=5) == sorted([peer.sid(), 'sync-room'])
            assert await peer.sio.call('get_session', timeout=5) == {'auth': None, 'ns': '/'}
            # Under werkzeug (mode 'asgi' for the sync server) the upgrade is served on a socket taken over from
            # the WSGI server.
            assert peer.sio.transport() == 'websocket'

    arun(scenario())
    assert 'Traceback (most recent call last)' in srv.wait_for_stderr(f'RuntimeError: boom {marker}')
