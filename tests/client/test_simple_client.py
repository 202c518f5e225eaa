"""SimpleClient and AsyncSimpleClient: connect, emit, call, receive with and without a timeout, context managers.

Three implementations: python-socketio's own (``socketio``, proving the tests right), turbosio's (``turbosio``,
skipped until ``turbosio.Client`` exists), and turbosio's simple clients wrapped around python-socketio's
``Client``/``AsyncClient`` (``turbosio-on-socketio``): they use only the clients' public API, so this runs them
today.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from types import ModuleType

import pytest
from support.clients import arun
from support.servers import free_port

from .peers import turbosio_impl


@dataclass(frozen=True)
class SimpleImpl:
    name: str
    SimpleClient: type
    AsyncSimpleClient: type
    own_errors: ModuleType  # what the simple client raises itself (receive's timeout, DisconnectedError)
    client_errors: ModuleType  # what the client inside it raises (ConnectionError, call's TimeoutError)


def _turbosio_on_socketio() -> SimpleImpl:
    import socketio
    import turbosio.exceptions
    from turbosio.async_simple_client import AsyncSimpleClient
    from turbosio.simple_client import SimpleClient

    class OnClient(SimpleClient):
        client_class = socketio.Client

    class OnAsyncClient(AsyncSimpleClient):
        client_class = socketio.AsyncClient

    return SimpleImpl('turbosio-on-socketio', OnClient, OnAsyncClient, turbosio.exceptions, socketio.exceptions)


@pytest.fixture(
    params=['socketio', 'turbosio', 'turbosio-on-socketio'],
    ids=['socketio-client', 'turbosio-client', 'turbosio-simple-over-socketio'],
)
def simple_impl(request) -> SimpleImpl:
    if request.param == 'socketio':
        import socketio

        return SimpleImpl('socketio', socketio.SimpleClient, socketio.AsyncSimpleClient, *(socketio.exceptions,) * 2)
    if request.param == 'turbosio-on-socketio':
        return _turbosio_on_socketio()
    impl = turbosio_impl()
    if impl is None:
        pytest.skip('turbosio.Client does not exist yet (issue 9: the client engine is being written)')
    return SimpleImpl('turbosio', impl.SimpleClient, impl.AsyncSimpleClient, *(impl.exceptions,) * 2)


def test_simple_client_emit_receive_call(simple_impl, target_server):
    with simple_impl.SimpleClient(reconnection=False) as sio:
        assert sio.transport == '' and sio.sid is None
        sio.connect(target_server.url, auth={'simple': 1}, namespace='/chat')
        assert sio.connected
        assert sio.transport in ('polling', 'websocket')
        target_server.wait_for({'ev': 'connect', 'ns': '/chat', 'sid': sio.sid, 'auth': {'simple': 1}})
        with pytest.raises(RuntimeError):
            sio.connect(target_server.url)
        sio.emit('echo', ('hi', b'\x01'))
        assert sio.receive(timeout=5) == ['echo_reply', 'hi', b'\x01']
        assert sio.call('echo', 'called', timeout=5) == 'called'
        assert sio.receive(timeout=5) == ['echo_reply', 'called']
        with pytest.raises(simple_impl.own_errors.TimeoutError):
            sio.receive(timeout=0.2)
        with pytest.raises(simple_impl.client_errors.TimeoutError):
            sio.call('nobody_listens', timeout=0.2)
        sid = sio.sid
    assert not sio.connected
    target_server.wait_for({'ev': 'disconnect', 'ns': '/chat', 'sid': sid})


def test_async_simple_client_emit_receive_call(simple_impl, target_server):
    async def body():
        async with simple_impl.AsyncSimpleClient(reconnection=False) as sio:
            await sio.connect(target_server.url, auth={'simple': 2}, namespace='/chat')
            assert sio.connected
            assert sio.transport in ('polling', 'websocket')
            await target_server.await_for({'ev': 'connect', 'ns': '/chat', 'sid': sio.sid, 'auth': {'simple': 2}})
            await sio.emit('echo', ('hi', b'\x01'))
            assert await sio.receive(timeout=5) == ['echo_reply', 'hi', b'\x01']
            assert await sio.call('echo', 'called', timeout=5) == 'called'
            assert await sio.receive(timeout=5) == ['echo_reply', 'called']
            with pytest.raises(simple_impl.own_errors.TimeoutError):
                await sio.receive(timeout=0.2)
            with pytest.raises(simple_impl.client_errors.TimeoutError):
                await sio.call('nobody_listens', timeout=0.2)
            sid = sio.sid
        assert not sio.connected
        await target_server.await_for({'ev': 'disconnect', 'ns': '/chat', 'sid': sid})

    arun(body())


def wait_until_disconnected(sio, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while sio.connected:
        assert time.monotonic() < deadline, f'still connected after {timeout} s'
        time.sleep(0.05)  # polling a state with a deadline, not a synchronisation by sleeping


# compat: python-socketio's receive() that is already waiting when the connection ends for good waits out its
# timeout and raises TimeoutError (with no timeout, it never returns); turbosio's raises DisconnectedError then.
# Against python-socketio the tests wait until the disconnect happened before they call receive().


def test_simple_client_server_disconnect_ends_receive(simple_impl, target_server):
    sio = simple_impl.SimpleClient()
    sio.connect(target_server.url)
    sio.emit('disconnect_me')
    if simple_impl.name == 'socketio':
        wait_until_disconnected(sio)
    with pytest.raises(simple_impl.own_errors.DisconnectedError):
        sio.receive(timeout=10)
    assert not sio.connected
    with pytest.raises(simple_impl.own_errors.DisconnectedError):
        sio.emit('echo', 'too late')
    sio.disconnect()  # nothing to do, and no error


def test_async_simple_client_server_disconnect_ends_receive(simple_impl, target_server):
    async def body():
        sio = simple_impl.AsyncSimpleClient()
        await sio.connect(target_server.url)
        await sio.emit('disconnect_me')
        if simple_impl.name == 'socketio':
            await asyncio.to_thread(wait_until_disconnected, sio)
        with pytest.raises(simple_impl.own_errors.DisconnectedError):
            await sio.receive(timeout=10)
        assert not sio.connected
        with pytest.raises(simple_impl.own_errors.DisconnectedError):
            await sio.call('echo', 'too late')
        await sio.disconnect()

    arun(body())


def test_simple_client_refused_or_unreachable_raises_connection_error(simple_impl, target_server):
    sio = simple_impl.SimpleClient(reconnection=False)
    with pytest.raises(simple_impl.client_errors.ConnectionError):
        sio.connect(target_server.url, auth={'refuse': True})
    assert not sio.connected
    with pytest.raises(simple_impl.client_errors.ConnectionError):
        sio.connect(f'http://127.0.0.1:{free_port()}', wait_timeout=2)


def test_async_simple_client_refused_raises_connection_error(simple_impl, target_server):
    async def body():
        sio = simple_impl.AsyncSimpleClient(reconnection=False)
        with pytest.raises(simple_impl.client_errors.ConnectionError):
            await sio.connect(target_server.url, auth={'refuse': True})
        assert not sio.connected

    arun(body())
