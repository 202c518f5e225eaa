"""The shape of the server API: constructor checks, subclassing, class-based namespaces, catch-all namespaces
and ``always_connect``. Driven by python-socketio's own client."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from support.clients import arun
from support.settings import IMPL


def _impl():
    if IMPL == 'turbosio':
        import turbosio

        return turbosio
    return socketio


@pytest.mark.parametrize(
    ('option', 'value'),
    [
        ('ping_interval', -1),
        ('ping_interval', 'soon'),
        ('ping_timeout', 0),
        ('max_http_buffer_size', 0),
        ('max_http_buffer_size', 1.5),
        ('transports', ['carrier-pigeon']),
        ('cors_allowed_origins', 42),
    ],
)
def test_invalid_constructor_arguments_raise_value_error_naming_them(option, value):
    if IMPL != 'turbosio':
        pytest.skip('python-socketio accepts these and fails later; turbosio checks them up front')
    import turbosio

    with pytest.raises(ValueError, match=option):
        turbosio.AsyncServer(**{option: value})


def test_unknown_keyword_arguments_are_ignored():
    sio = _impl().AsyncServer(async_mode='asgi', not_an_option=True, monitor_clients=False)
    assert sio.is_asyncio_based()


async def _connect(url: str, namespace: str, query: str = '') -> socketio.AsyncClient:
    client = socketio.AsyncClient()
    await client.connect(url + query, namespaces=[namespace], transports=['websocket'])
    return client


def test_class_based_namespace_and_subclassed_server(server):
    srv = server(app='api_app.py', variant='classes')

    async def scenario():
        a = await _connect(srv.url, '/room')
        b = await _connect(srv.url, '/room')
        heard = asyncio.get_running_loop().create_future()
        b.on('announcement', lambda data: heard.done() or heard.set_result(data), namespace='/room')
        try:
            assert await a.call('echo', {'x': [1, 2]}, namespace='/room', timeout=5) == {'x': [1, 2]}
            assert await a.call('shout', 'hey', namespace='/room', timeout=5) == 'HEY'
            answer = await a.call('announce', 'news', namespace='/room', timeout=5)
            assert answer['emits_seen_by_subclass'] >= 1  # the subclass's emit() ran and was awaited
            assert (await asyncio.wait_for(heard, 5)) == {'text': 'news'}
            sid = a.get_sid('/room')
        finally:
            await a.disconnect()
            await b.disconnect()
        return sid

    sid = arun(scenario())
    srv.wait_for({'ev': 'connect', 'ns': '/room', 'sid': sid})
    srv.wait_for({'ev': 'disconnect', 'ns': '/room', 'sid': sid})


def test_catch_all_namespace_receives_any_namespace_and_event(server):
    srv = server(app='api_app.py', variant='catchall')

    async def scenario():
        client = await _connect(srv.url, '/anything')
        try:
            return await client.call('whatever', 5, namespace='/anything', timeout=5)
        finally:
            await client.disconnect()

    assert arun(scenario()) == {'event': 'whatever', 'namespace': '/anything', 'data': [5]}
    srv.wait_for({'ev': 'connect', 'ns': '/anything'})


def test_always_connect_refusal_arrives_as_a_disconnect(server):
    srv = server(app='api_app.py', variant='always')

    async def scenario():
        client = socketio.AsyncClient()
        disconnected = asyncio.get_running_loop().create_future()
        client.on('disconnect', lambda *reason: disconnected.done() or disconnected.set_result(True), namespace='/room')
        await client.connect(srv.url + '?refuse=1', namespaces=['/room'], transports=['websocket'])
        try:
            # The connect answer came first (always_connect), then the refusal as a server disconnect.
            return await asyncio.wait_for(disconnected, 5)
        finally:
            await client.disconnect()

    assert arun(scenario()) is True


def test_async_verbs_are_coroutines_for_create_task_and_run_coroutine_threadsafe():
    """python-socketio's verbs are coroutines; code passes them to create_task / run_coroutine_threadsafe."""
    sio = _impl().AsyncServer(async_mode='asgi')

    async def scenario():
        loop = asyncio.get_running_loop()
        await asyncio.create_task(sio.emit('nobody', {'x': 1}))
        await asyncio.ensure_future(sio.send('to nobody'))
        done = await loop.run_in_executor(
            None, lambda: asyncio.run_coroutine_threadsafe(sio.emit('nobody'), loop).result(5)
        )
        return done

    assert arun(scenario()) is None
