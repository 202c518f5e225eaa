"""``client_manager=``: the in-process Manager/AsyncManager, subclassed as python-socketio users do.

The server runs in this process (ASGIApp under uvicorn, or the threaded Server under werkzeug) with a manager
subclass that records the calls the server makes to it; python-socketio clients connect over real sockets.
``TURBOSIO_TEST_IMPL=socketio`` runs the same tests against python-socketio, except the ones about what turbosio
refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from support.clients import arun
from support.inprocess import UvicornThread, WerkzeugThread
from support.settings import IMPL

sio_impl: Any = importlib.import_module(IMPL)


class RecordingAsyncManager(sio_impl.AsyncManager):
    """Overrides what python-socketio applications override, and calls super() to do the work."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []

    def initialize(self) -> None:
        self.calls.append(('initialize',))
        super().initialize()

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        self.calls.append(('emit', event, namespace, to or room))
        await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)

    async def enter_room(self, sid, namespace, room, eio_sid=None):
        self.calls.append(('enter_room', room))
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)

    async def leave_room(self, sid, namespace, room):
        self.calls.append(('leave_room', room))
        await super().leave_room(sid, namespace, room)

    async def close_room(self, room, namespace):
        self.calls.append(('close_room', room))
        await super().close_room(room, namespace)

    async def disconnect(self, sid, namespace, **kwargs):
        self.calls.append(('disconnect', namespace))
        await super().disconnect(sid, namespace, **kwargs)


def _async_server(manager: Any) -> Any:
    sio = sio_impl.AsyncServer(async_mode='asgi', client_manager=manager)

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        await sio.emit('room_news', f'welcome to {room}', to=room)
        return 'joined'

    @sio.event
    async def leave(sid, room):
        await sio.leave_room(sid, room)
        return 'left'

    @sio.event
    async def close(sid, room):
        await sio.close_room(room)
        return 'closed'

    @sio.event
    async def kick(sid):
        await sio.disconnect(sid)

    @sio.event
    async def inspect(sid, room):
        m = sio.manager
        eio_sid = m.eio_sid_from_sid(sid, '/')
        return {
            'namespaces': list(m.get_namespaces()),
            'rooms': sorted(m.get_rooms(sid, '/')),
            'participants': sorted(s for s, _ in m.get_participants('/', room)),
            'connected': m.is_connected(sid, '/'),
            'round_trip': m.sid_from_eio_sid(eio_sid, '/') == sid,
            'can_disconnect': await m.can_disconnect(sid, '/'),
            'unknown_ack_ignored': await m.trigger_callback(sid, 12345, ['late']) is None,
            'sid_room': (m.is_sid_room('/', sid), m.is_sid_room('/', room)),
        }

    @sio.event
    async def via_manager(sid, room):
        await sio.manager.emit('from_manager', {'room': room}, '/', room=room)
        return 'sent'

    return sio


def _eventually(condition, timeout: float = 5) -> bool:
    """Wait for a fact the server's thread establishes (it announces nothing the test could await)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Peer:
    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.client.on('*', lambda event, data: self.events.put_nowait((event, data)))
        self.client.on('disconnect', lambda *reason: self.gone.set())

    async def next_event(self) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), 5)


@contextlib.asynccontextmanager
async def two_peers(url: str) -> AsyncIterator[tuple[Peer, Peer]]:
    alice, bob = Peer(), Peer()
    await alice.client.connect(url)
    await bob.client.connect(url)
    try:
        yield alice, bob
    finally:
        await alice.client.disconnect()
        await bob.client.disconnect()


@pytest.fixture
def async_served():
    manager = RecordingAsyncManager()
    sio = _async_server(manager)
    server = UvicornThread(sio_impl.ASGIApp(sio))
    yield sio, manager, server
    server.stop()


def test_a_manager_subclass_sees_the_servers_verbs(async_served):
    sio, manager, server = async_served

    async def scenario():
        async with two_peers(server.url) as (alice, bob):
            assert await alice.client.call('join', 'red', timeout=5) == 'joined'
            news = await alice.next_event()
            assert await alice.client.call('leave', 'red', timeout=5) == 'left'
            await bob.client.call('join', 'blue', timeout=5)
            assert await bob.next_event() == ('room_news', 'welcome to blue')
            assert await alice.client.call('close', 'blue', timeout=5) == 'closed'
            await alice.client.emit('kick')
            await asyncio.wait_for(alice.gone.wait(), 5)
            return news, alice.events.empty()

    news, nothing_else = arun(scenario())
    assert news == ('room_news', 'welcome to red')
    assert nothing_else  # alice was never in blue
    assert manager.calls.count(('initialize',)) == 1
    assert manager.calls[0] == ('initialize',)
    # disconnect is called for every socket that leaves: alice (kicked), then bob (left by itself).
    assert _eventually(lambda: manager.calls.count(('disconnect', '/')) == 2)
    verbs = [call for call in manager.calls if call[0] != 'initialize']
    assert verbs == [
        ('enter_room', 'red'),
        ('emit', 'room_news', '/', 'red'),
        ('leave_room', 'red'),
        ('enter_room', 'blue'),
        ('emit', 'room_news', '/', 'blue'),
        ('close_room', 'blue'),
        ('disconnect', '/'),
        ('disconnect', '/'),
    ]
    assert sio.manager is manager


def test_manager_queries_answer_from_the_server(async_served):
    sio, manager, server = async_served

    async def scenario():
        async with two_peers(server.url) as (alice, bob):
            await alice.client.call('join', 'green', timeout=5)
            await bob.client.call('join', 'green', timeout=5)
            seen = await alice.client.call('inspect', 'green', timeout=5)
            return alice.client.get_sid(), bob.client.get_sid(), seen

    alice_sid, bob_sid, seen = arun(scenario())
    assert seen['namespaces'] == ['/']
    assert seen['rooms'] == sorted([alice_sid, 'green'])
    assert seen['participants'] == sorted([alice_sid, bob_sid])
    assert seen['connected'] is True
    assert seen['round_trip'] is True
    assert seen['can_disconnect'] is True
    assert seen['unknown_ack_ignored'] is True
    assert seen['sid_room'] == [True, False]


def test_emit_through_the_manager_reaches_the_room(async_served):
    _, manager, server = async_served

    async def scenario():
        async with two_peers(server.url) as (alice, bob):
            await bob.client.call('join', 'yellow', timeout=5)
            await bob.next_event()  # its own room_news
            assert await alice.client.call('via_manager', 'yellow', timeout=5) == 'sent'
            return await bob.next_event(), alice.events.empty()

    received, alice_untouched = arun(scenario())
    assert received == ('from_manager', {'room': 'yellow'})
    assert alice_untouched
    assert ('emit', 'from_manager', '/', 'yellow') in manager.calls


def test_the_default_manager_is_the_in_process_one():
    assert isinstance(sio_impl.AsyncServer(async_mode='asgi').manager, sio_impl.AsyncManager)
    assert isinstance(sio_impl.Server(async_mode='threading').manager, sio_impl.Manager)


class RecordingManager(sio_impl.Manager):
    def __init__(self) -> None:
        super().__init__()
        self.emitted: list[tuple[str, Any]] = []

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        self.emitted.append((event, to or room))
        super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)


def test_a_threaded_server_takes_a_manager_subclass():
    manager = RecordingManager()
    sio = sio_impl.Server(async_mode='threading', client_manager=manager)

    @sio.event
    def shout(sid, text):
        sio.emit('shouted', text.upper(), to=sid)

    server = WerkzeugThread(sio_impl.WSGIApp(sio))
    client = socketio.Client(reconnection=False)
    try:
        answered = threading.Event()
        got: list[Any] = []
        client.on('shouted', lambda text: (got.append(text), answered.set()))
        client.connect(server.url, transports=['polling'], wait_timeout=5)
        client.emit('shout', 'hey')
        assert answered.wait(5)
        sid = client.get_sid()
    finally:
        client.disconnect()
        server.stop()
    assert got == ['HEY']
    assert manager.emitted == [('shouted', sid)]


@pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio accepts every manager')
@pytest.mark.parametrize(
    'foreign',
    [socketio.AsyncManager(), socketio.Manager(), object()],
    ids=['socketio.AsyncManager', 'socketio.Manager', 'object'],
)
def test_a_manager_that_is_not_turbosios_is_not_implemented(foreign):
    with pytest.raises(NotImplementedError, match='scale-out'):
        sio_impl.AsyncServer(client_manager=foreign)


@pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio does not check the flavour')
def test_a_manager_of_the_other_flavour_is_refused():
    with pytest.raises(ValueError, match='AsyncManager'):
        sio_impl.AsyncServer(client_manager=sio_impl.Manager())
    with pytest.raises(ValueError, match='Manager'):
        sio_impl.Server(client_manager=sio_impl.AsyncManager())
