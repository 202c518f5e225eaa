"""Bad input to the server's Python API fails at the call site with a clear exception, as python-socketio 5.18
does where it has an answer; a handler that raises hurts nobody. In-process: one turbosio AsyncServer served
natively, python-socketio AsyncClients over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

import pytest
import socketio
import turbosio
from support.settings import IMPL
from turbosio import exceptions

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='turbosio API checks, in process')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(sio: turbosio.AsyncServer):
    port, stop = _free_port(), asyncio.Event()
    task = asyncio.ensure_future(turbosio.serve(sio, port=port, stop=stop))
    url = f'http://127.0.0.1:{port}'
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(('127.0.0.1', port), timeout=1):
            break
        await asyncio.sleep(0.05)  # polling for the port: serve() gives no other sign it listens
    try:
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def client(url: str, **handlers) -> socketio.AsyncClient:
    c = socketio.AsyncClient(reconnection=False)
    for event, handler in handlers.items():
        c.on(event, handler)
    await c.connect(url, transports=['websocket'], wait_timeout=5)
    return c


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_unserialisable_data_names_the_type_and_the_path():
    async def scenario():
        sio = turbosio.AsyncServer(async_mode='asgi')
        async with serving(sio) as url:
            c = await client(url)
            with pytest.raises(TypeError, match=r"^cannot serialise object of type set at data\['a'\]\[2\]$"):
                await sio.emit('x', {'a': [1, 2, {3}]})
            with pytest.raises(TypeError, match=r'^cannot serialise object of type object at data\[1\]$'):
                await sio.emit('x', ('fine', object()), to=c.get_sid())
            with pytest.raises(TypeError, match=r"^cannot serialise key of type tuple at data\['k'\]$"):
                await sio.emit('x', {'k': {(1, 2): 'v'}})
            # the client is unaffected and still gets good data
            got = asyncio.get_running_loop().create_future()
            c.on('x', lambda data: got.set_result(data))
            await sio.emit('x', {'ok': [1]})
            assert await asyncio.wait_for(got, 5) == {'ok': [1]}
            await c.disconnect()

    run(scenario())


@pytest.mark.parametrize('event', [123, None, b'bytes', ('a',)])
def test_an_event_name_that_is_not_a_string_is_a_type_error(event):
    sio = turbosio.AsyncServer(async_mode='asgi')
    with pytest.raises(TypeError, match='event name must be a str'):
        sio.emit(event, 1)
    with pytest.raises(TypeError, match='event name must be a str'):
        turbosio.Server().emit(event, 1)


@pytest.mark.parametrize('event', ['connect', 'disconnect', 'message'])
def test_reserved_event_names_can_be_emitted_as_python_socketio_allows(event):
    # python-socketio 5.18 documents them as reserved but does not refuse them; neither does turbosio.
    async def scenario():
        sio = turbosio.AsyncServer(async_mode='asgi')
        async with serving(sio) as url:
            c = await client(url)
            await sio.emit(event, 'x', to=c.get_sid())
            await c.disconnect()

    run(scenario())


@pytest.mark.parametrize('flavour', ['turbosio', 'socketio'])
def test_verbs_on_a_sid_that_is_not_connected_match_python_socketio(flavour):
    async def scenario():
        module = turbosio if flavour == 'turbosio' else socketio
        sio = module.AsyncServer(async_mode='asgi')
        sid = 'not-a-sid'
        # silent: emit, send, leave_room, disconnect, rooms, get_environ
        await sio.emit('x', 1, to=sid)
        await sio.send('x', to=sid)
        await sio.leave_room(sid, 'room')
        await sio.disconnect(sid)
        assert sio.rooms(sid) == []
        assert sio.get_environ(sid) is None
        # raise
        with pytest.raises(ValueError, match='sid is not connected to requested namespace'):
            await sio.enter_room(sid, 'room')
        for verb in (lambda: sio.get_session(sid), lambda: sio.save_session(sid, {})):
            with pytest.raises(KeyError, match='Session not found'):
                await verb()
        with pytest.raises(KeyError, match='Session not found'):
            sio.transport(sid)
        with pytest.raises(KeyError, match='Session not found'):
            async with sio.session(sid):
                pass
        with pytest.raises(socketio.exceptions.TimeoutError if flavour == 'socketio' else exceptions.TimeoutError):
            await sio.call('x', to=sid, timeout=0.2)

    run(scenario())


async def silent_client(url: str) -> tuple[socketio.AsyncClient, asyncio.Event]:
    """A client whose 'ask' handler never returns (so never acks); the event is set once it was asked."""
    asked = asyncio.Event()

    async def never_answers(*_):
        asked.set()
        await asyncio.Event().wait()  # never set: the handler never returns, so never acks

    return await client(url, ask=never_answers), asked


def test_call_to_a_client_that_leaves_raises_at_once():
    async def scenario():
        sio = turbosio.AsyncServer(async_mode='asgi')
        async with serving(sio) as url:
            c, asked = await silent_client(url)
            call = asyncio.ensure_future(sio.call('ask', 1, to=c.get_sid(), timeout=30))
            await asyncio.wait_for(asked.wait(), 5)
            started = time.monotonic()
            await c.disconnect()
            # python-socketio raises TimeoutError once the timeout passes; turbosio raises the same, at once
            with pytest.raises(exceptions.TimeoutError):
                await asyncio.wait_for(call, 5)
            assert time.monotonic() - started < 3
            assert sio._callbacks == {}

    run(scenario())


def test_call_that_times_out_leaves_no_callback_behind():
    async def scenario():
        sio = turbosio.AsyncServer(async_mode='asgi')
        async with serving(sio) as url:
            c, _ = await silent_client(url)
            sid = c.get_sid()
            with pytest.raises(exceptions.TimeoutError):
                await sio.call('ask', 1, to=sid, timeout=0.2)
            assert not sio._callbacks.get(sid)
            await c.disconnect()

    run(scenario())


def test_a_handler_that_raises_is_logged_and_harms_nobody(caplog):
    async def scenario():
        sio = turbosio.AsyncServer(async_mode='asgi')

        def boom(sid, data):
            raise RuntimeError(f'boom {data}')

        def echo(sid, data):
            return data

        sio.on('boom', boom)
        sio.on('echo', echo)
        async with serving(sio) as url:
            a, b = await client(url), await client(url)
            with caplog.at_level(logging.ERROR):
                # no ack for the failed handler: the client's call times out
                with pytest.raises(socketio.exceptions.TimeoutError):
                    await a.call('boom', 'x', timeout=1)
            records = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
            assert records and str(records[0].exc_info[1]) == 'boom x'
            assert 'Traceback' in caplog.text
            # the client stays connected, and others are unaffected
            assert a.connected and await a.call('echo', 1, timeout=5) == 1
            assert await b.call('echo', 2, timeout=5) == 2
            await a.disconnect()
            await b.disconnect()

    run(scenario())
