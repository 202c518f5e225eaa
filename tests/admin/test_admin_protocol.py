"""``instrument()`` on the wire: what an admin socket (python-socketio's AsyncClient on ``/admin``) is sent as other
clients act, what its actions do, and what read-only and production mode leave out.

The server is tests/apps/admin_app.py (credentials ``admin``/``secret`` or ``ops``/``hunter2``, stats every
0.5 s). A report that must *not* come is proven absent after a later one that must: the admin's own events
come back as ``event_received`` (development mode), and ``server_stats`` arrive in order after everything the
server sent before them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
import socketio
from support.clients import AsyncPeers, arun
from support.marks import reference_deviates
from support.servers import ServerProcess, ServerView
from support.settings import IMPL

ADMIN = {'username': 'admin', 'password': 'secret'}
SOCKET_FIELDS = {'id', 'clientId', 'transport', 'nsp', 'data', 'handshake', 'rooms'}
STATS_FIELDS = {
    'serverId',
    'hostname',
    'pid',
    'uptime',
    'clientsCount',
    'pollingClientsCount',
    'aggregatedEvents',
    'namespaces',
}
TAPS = {'socket_connected', 'socket_disconnected', 'room_joined', 'room_left', 'event_received', 'event_sent'}


@pytest.fixture(params=['async', 'sync'])
def flavour(request) -> str:
    return request.param


def start(server, flavour: str, **options) -> ServerView:
    return server(app='admin_app.py', sync=flavour == 'sync', fresh=True, **options)


async def connect_admin(peers: AsyncPeers, auth=ADMIN):
    return await peers.connect(namespaces=('/admin',), auth=auth)


async def admin_with_config(peers: AsyncPeers):
    """A logged-in admin, and the ``config`` it was sent first."""
    admin = await connect_admin(peers)
    (config,) = await admin.wait_event('config', '/admin')
    return admin, config


def admin_events(admin, event: str) -> list[tuple]:
    return admin.received(event, '/admin')


async def next_stats(admin, after: int = 0) -> dict:
    """The next ``server_stats`` after the ``after`` already received."""
    args = await admin.wait_event('server_stats', '/admin', count=after + 1)
    return args[0]


async def find(admin, event: str, match) -> tuple:
    """Wait for an ``event`` whose args satisfy ``match``."""
    return await admin.wait_until(
        lambda: next((a for a in admin_events(admin, event) if match(a)), None), what=f'{event} matching'
    )


@reference_deviates('it reports a refused admin socket its own connect before checking its credentials')
def test_wrong_credentials_are_refused_and_see_nothing(server, flavour):
    srv = start(server, flavour)

    async def body():
        async with AsyncPeers(srv.url) as peers:
            for auth in ({'username': 'admin', 'password': 'wrong'}, None, {'username': 'ops'}):
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await connect_admin(peers, auth)
                refused = peers.peers[-1]
                assert refused.connect_errors, 'no connect_error for wrong credentials'
                assert refused.connect_errors[0][1][0]['message'] == 'authentication failed'
                assert refused.events == []
            # The second set of credentials of the list is good too.
            admin = await connect_admin(peers, {'username': 'ops', 'password': 'hunter2'})
            await admin.wait_event('config', '/admin')

    arun(body())


def test_admin_sees_sockets_rooms_events_and_stats(server, flavour):
    if IMPL == 'socketio' and flavour == 'sync':
        pytest.skip('python-socketio under werkzeug keeps a closed WebSocket session counted for a long while')
    srv = start(server, flavour)

    async def body():
        async with AsyncPeers(srv.url) as peers:
            early = await peers.connect(transports=('polling',), query='?who=early&tag=a&tag=b')
            admin, config = await admin_with_config(peers)
            assert {'EMIT', 'JOIN', 'LEAVE', 'DISCONNECT', 'ALL_EVENTS', 'AGGREGATED_EVENTS'} <= set(
                config['supportedFeatures']
            )
            (listed,) = await admin.wait_event('all_sockets', '/admin')
            (mine,) = [s for s in listed if s['id'] == early.sid()]
            assert set(mine) == SOCKET_FIELDS
            assert mine['nsp'] == '/' and mine['rooms'] == [early.sid()] and mine['data'] == {}
            assert mine['handshake']['query']['who'] == 'early'
            assert mine['handshake']['query']['tag'] == ['a', 'b']
            assert mine['handshake']['address'] == '127.0.0.1'

            user = await peers.connect()
            sid = user.sid()
            connected, when = await find(admin, 'socket_connected', lambda a: a[0]['id'] == sid)
            assert set(connected) == SOCKET_FIELDS and connected['transport'] == 'websocket'
            assert connected['clientId'] != sid and connected['handshake']['issued'] > 0
            assert datetime.fromisoformat(when.replace('Z', '+00:00')).tzinfo is not None  # Node: ...123Z

            assert await user.sio.call('enter', 'lobby', timeout=5) == 'entered'
            joined = await find(admin, 'room_joined', lambda a: a[1] == 'lobby')
            assert joined[:3] == ('/', 'lobby', sid)
            assert await user.sio.call('echo', {'n': 1}, timeout=5) == 'echoed'
            received = await find(admin, 'event_received', lambda a: a[1] == sid and a[2][0] == 'echo')
            assert received[:3] == ('/', sid, ['echo', {'n': 1}])
            sent = await find(admin, 'event_sent', lambda a: a[1] == sid)
            assert sent[:3] == ('/', sid, ['echo', {'n': 1}])
            assert await user.sio.call('exit', 'lobby', timeout=5) == 'left'
            assert (await find(admin, 'room_left', lambda a: a[1] == 'lobby'))[:3] == ('/', 'lobby', sid)

            await user.sio.disconnect()
            gone = await find(admin, 'socket_disconnected', lambda a: a[1] == sid)
            assert gone[:2] == ('/', sid) and gone[2] in ('client disconnect', 'transport close')

            # The user's session may end a little after its socket: wait for a report that counts the early
            # (polling) client and the admin only.
            count = len(admin_events(admin, 'server_stats'))
            stats = await admin.wait_until(
                lambda: next(
                    (
                        s[0]
                        for s in admin_events(admin, 'server_stats')[count:]
                        if (s[0]['clientsCount'], s[0]['pollingClientsCount']) == (2, 1)
                    ),
                    None,
                ),
                what='server_stats counting 2 clients, 1 polling',
            )
            assert set(stats) == STATS_FIELDS and stats['serverId'] == 'admin-test'
            assert {'name': '/', 'socketsCount': 1} in stats['namespaces']
            assert {'name': '/admin', 'socketsCount': 1} in stats['namespaces']
            seen = [s[0] for s in admin_events(admin, 'server_stats')]
            totals: dict[str, int] = {}
            for report in seen:
                for bucket in report['aggregatedEvents']:
                    assert set(bucket) == {'timestamp', 'type', 'count'} and bucket['timestamp'] % 1000 == 0
                    totals[bucket['type']] = totals.get(bucket['type'], 0) + bucket['count']
            assert totals.get('rawConnection', 0) >= 2 and totals.get('rawDisconnection', 0) >= 1
            assert totals.get('packetsIn', 0) >= 4 and totals.get('bytesIn', 0) > totals['packetsIn']
            assert totals.get('packetsOut', 0) >= 4 and totals.get('bytesOut', 0) > totals['packetsOut']

    arun(body())


def test_admin_actions_join_leave_emit_disconnect(server, flavour):
    srv = start(server, flavour)

    async def body():
        async with AsyncPeers(srv.url) as peers:
            admin = await connect_admin(peers)
            await admin.wait_event('all_sockets', '/admin')
            user = await peers.connect()
            other = await peers.connect()
            sid = user.sid()

            await admin.sio.emit('join', ('/', 'vip', sid), namespace='/admin')
            await find(admin, 'room_joined', lambda a: a[1] == 'vip')
            assert [a[2] for a in admin_events(admin, 'room_joined') if a[1] == 'vip'] == [sid]

            # emit(namespace, room filter, event, *args): only the members of the room get it.
            await admin.sio.emit('emit', ('/', 'vip', 'news', 'a', 2), namespace='/admin')
            assert await user.wait_event('news') == ('a', 2)
            await admin.sio.emit('emit', ('/', None, 'all', 3), namespace='/admin')
            await other.wait_event('all')
            assert other.received('news') == []

            await admin.sio.emit('leave', ('/', 'vip', None), namespace='/admin')
            await find(admin, 'room_left', lambda a: a[1] == 'vip' and a[2] == sid)

            await admin.sio.emit('_disconnect', ('/', False, sid), namespace='/admin')
            assert await user.wait_disconnect() is not None
            assert other.sio.connected

    arun(body())


def test_read_only_refuses_actions(server, flavour):
    srv = start(server, flavour, read_only='yes')

    async def body():
        async with AsyncPeers(srv.url) as peers:
            admin, config = await admin_with_config(peers)
            assert config['supportedFeatures'] == ['AGGREGATED_EVENTS', 'ALL_EVENTS']
            user = await peers.connect()
            sid = user.sid()
            await find(admin, 'socket_connected', lambda a: a[0]['id'] == sid)
            await admin.sio.emit('join', ('/', 'vip', sid), namespace='/admin')
            await admin.sio.emit('_disconnect', ('/', False, sid), namespace='/admin')
            # The server got both (they come back as event_received), and a stats report later still counts
            # the user connected and no room was joined.
            await find(admin, 'event_received', lambda a: a[2][0] == '_disconnect')
            count = len(admin_events(admin, 'server_stats'))
            stats = await next_stats(admin, count + 1)
            assert {'name': '/', 'socketsCount': 1} in stats['namespaces']
            assert user.sio.connected and user.disconnects == []
            assert [a for a in admin_events(admin, 'room_joined') if a[1] == 'vip'] == []

    arun(body())


def test_production_mode_sends_stats_only(server, flavour):
    srv = start(server, flavour, admin_mode='production')

    async def body():
        async with AsyncPeers(srv.url) as peers:
            admin, config = await admin_with_config(peers)
            assert 'ALL_EVENTS' not in config['supportedFeatures']
            user = await peers.connect()
            assert await user.sio.call('enter', 'lobby', timeout=5) == 'entered'
            assert await user.sio.call('echo', 'x', timeout=5) == 'echoed'
            await user.sio.disconnect()
            await asyncio.to_thread(srv.wait_for, {'ev': 'disconnect'})
            count = len(admin_events(admin, 'server_stats'))
            stats = await next_stats(admin, count + 1)
            assert set(stats) == STATS_FIELDS and stats['clientsCount'] >= 1
            names = {event for _, event, _ in admin.events}
            assert names == {'config', 'server_stats'}, names

    arun(body())


def test_same_reports_as_python_socketio(server, mode):
    """Side by side with python-socketio's own instrumented server: the same event names and the same fields."""

    async def scenario(url: str) -> dict:
        async with AsyncPeers(url) as peers:
            admin = await connect_admin(peers)
            await admin.wait_event('all_sockets', '/admin')
            user = await peers.connect()
            sid = user.sid()
            await find(admin, 'socket_connected', lambda a: a[0]['id'] == sid)
            assert await user.sio.call('enter', 'lobby', timeout=5) == 'entered'
            assert await user.sio.call('echo', 'x', timeout=5) == 'echoed'
            assert await user.sio.call('exit', 'lobby', timeout=5) == 'left'
            await user.sio.disconnect()
            await find(admin, 'socket_disconnected', lambda a: a[1] == sid)
            # python-socketio sends its room reports with the next stats.
            await find(admin, 'room_left', lambda a: a[1] == 'lobby')
            await next_stats(admin, len(admin_events(admin, 'server_stats')))
            connected = next(a for a in admin_events(admin, 'socket_connected') if a[0]['id'] == sid)
            shapes = {
                'events': {event for _, event, _ in admin.events},
                'socket': set(connected[0]),
                'handshake': set(connected[0]['handshake']),
                'stats': set(admin_events(admin, 'server_stats')[-1][0]),
                'config': set(admin_events(admin, 'config')[0][0]['supportedFeatures']),
            }
            for event in TAPS:
                shapes[f'{event} args'] = len(next(a for a in admin_events(admin, event) if sid in str(a)))
            return shapes

    reference = ServerProcess('admin_app.py', 'socketio', mode, ('--async',))
    reference.start()
    try:
        theirs = arun(scenario(reference.url))
    finally:
        reference.stop()
    ours = arun(scenario(server(app='admin_app.py', fresh=True).url))
    assert ours == theirs


def test_upgrade_is_reported(server):
    """The engine-level test (src/engine/tests.rs) covers the update deterministically; this one over the wire."""
    srv = start(server, 'async')

    async def body():
        async with AsyncPeers(srv.url) as peers:
            admin = await connect_admin(peers)
            await admin.wait_event('all_sockets', '/admin')
            user = await peers.connect(transports=('polling', 'websocket'))
            sid = user.sid()
            connected, _ = await find(admin, 'socket_connected', lambda a: a[0]['id'] == sid)
            # The client often upgrades before its connect is answered; when it did not, an update follows.
            if connected['transport'] == 'polling':
                updated = await find(admin, 'socket_updated', lambda a: a[0]['id'] == sid)
                assert updated == ({'id': sid, 'nsp': '/', 'transport': 'websocket'},)
            await admin.wait_until(lambda: user.sio.transport() == 'websocket', what='the upgrade')
            count = len(admin_events(admin, 'server_stats'))
            assert (await next_stats(admin, count))['pollingClientsCount'] == 0

    arun(body())


@pytest.mark.parametrize('kind', ['function', 'coroutine', 'off'])
def test_auth_as_a_function_or_off(server, kind):
    srv = start(server, 'async', auth=kind)

    async def body():
        async with AsyncPeers(srv.url) as peers:
            if kind != 'off':
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await connect_admin(peers, {'token': 'nope'})
                assert peers.peers[-1].connect_errors[0][1][0]['message'] == 'authentication failed'
                await asyncio.to_thread(srv.wait_for, {'ev': 'admin_auth', 'auth': {'token': 'nope'}})
            admin = await connect_admin(peers, {'token': 'letmein'} if kind != 'off' else None)
            await admin.wait_event('all_sockets', '/admin')

    arun(body())


def test_auth_must_be_given():
    import turbosio

    for flavour in (turbosio.AsyncServer, turbosio.Server):
        with pytest.raises(ValueError, match='auth must be specified'):
            flavour().instrument()


@pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio instruments a msgpack server (its reports are msgpack)')
def test_instrument_refuses_a_msgpack_server():
    import turbosio

    for flavour in (turbosio.AsyncServer, turbosio.Server):
        with pytest.raises(NotImplementedError, match="serializer='msgpack'"):
            flavour(serializer='msgpack').instrument(auth=False)


def test_uninstrument_stops_the_reports(server, flavour):
    srv = start(server, flavour)

    async def body():
        async with AsyncPeers(srv.url) as peers:
            admin = await connect_admin(peers)
            await admin.wait_event('all_sockets', '/admin')
            user = await peers.connect()
            sid = user.sid()
            assert await user.sio.call('uninstrument', timeout=5) == 'done'
            await find(admin, 'event_received', lambda a: a[1] == sid and a[2] == ['uninstrument'])
            assert await user.sio.call('echo', 'after', timeout=5) == 'echoed'
            # Two stats reports later (they keep coming), still nothing about the echo.
            count = len(admin_events(admin, 'server_stats'))
            await next_stats(admin, count + 1)
            later = [
                a
                for a in admin_events(admin, 'event_received') + admin_events(admin, 'event_sent')
                if 'after' in str(a)
            ]
            assert later == []

    arun(body())
