"""Disconnections and the reasons each side is given: client, server, ping timeout, dropped transport."""

import asyncio
import json

import pytest
import requests
import websocket
from support.clients import AsyncPeers, arun
from support.marks import reference_deviates


def raw_socketio_over_websocket(port: int) -> tuple[websocket.WebSocket, str]:
    """A websocket-client connection that speaks just enough Engine.IO/Socket.IO to join '/' (and no more:
    it never answers a ping). Returns the socket and the Socket.IO sid."""
    ws = websocket.create_connection(f'ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket', timeout=5)
    handshake = ws.recv()
    assert handshake.startswith('0{'), handshake
    ws.send('40')
    connected = ws.recv()
    assert connected.startswith('40{'), connected
    return ws, json.loads(connected[2:])['sid']


# python-socketio's AsyncClient.disconnect() over websocket closes the socket before its write loop has sent the
# queued DISCONNECT and CLOSE packets, so no server can see more than the transport closing.
@pytest.mark.parametrize(('transport', 'reason'), [('polling', 'client disconnect'), ('websocket', 'transport close')])
def test_client_disconnect_reason(server, transport, reason):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=[transport])
            sid = peer.sid()
            leaving = asyncio.create_task(peer.sio.disconnect())
            fact = await srv.await_for({'ev': 'disconnect', 'sid': sid})
            assert fact['reason'] == reason
            assert await peer.wait_disconnect() == 'client disconnect'
            await asyncio.wait([leaving], timeout=2)  # see test_polling_disconnect_returns_promptly
            leaving.cancel()

    arun(scenario())


@reference_deviates('after a polling client sends CLOSE, the pending long-poll GET stays open until the next ping')
def test_polling_disconnect_returns_promptly(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['polling'])
            await asyncio.wait_for(peer.sio.disconnect(), 5)

    arun(scenario())


def test_namespace_disconnect_reason_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'client_disconnect')
    assert result['still'] == ['still here']
    assert srv.wait_for({'ev': 'disconnect', 'sid': result['ids']['chat']})['reason'] == 'client disconnect'
    srv.wait_for({'ev': 'disconnect', 'sid': result['ids']['main']})  # when the node process closes


def test_server_disconnect_python(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            sid = peer.sid()
            await peer.sio.emit('server_disconnect')
            assert await peer.wait_disconnect() == 'server disconnect'
            assert (await srv.await_for({'ev': 'disconnect', 'sid': sid}))['reason'] == 'server disconnect'
            await peer.wait_until(lambda: not peer.sio.connected, what='the client to notice')

    arun(scenario())


def test_server_disconnect_of_one_namespace_keeps_the_others(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(namespaces=('/', '/chat'))
            chat_sid = peer.sid('/chat')
            await peer.sio.emit('server_disconnect', namespace='/chat')
            assert await peer.wait_disconnect('/chat') == 'server disconnect'
            assert (await srv.await_for({'ev': 'disconnect', 'sid': chat_sid}))['reason'] == 'server disconnect'
            assert await peer.sio.call('echo', 'main still up', timeout=5) == 'main still up'
            assert [ns for ns, _ in peer.disconnects] == ['/chat']

    arun(scenario())


def test_server_disconnect_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'server_disconnect')
    assert result['reason'] == 'io server disconnect'
    assert srv.wait_for({'ev': 'disconnect', 'sid': result['id']})['reason'] == 'server disconnect'


def raw_socketio_over_polling(port: int) -> str:
    """Joins '/' over HTTP long-polling with requests, then stops polling (and so never answers a ping).
    Returns the Socket.IO sid."""
    url = f'http://127.0.0.1:{port}/socket.io/'
    handshake = requests.get(url, params={'EIO': '4', 'transport': 'polling'}, timeout=5)
    assert handshake.text.startswith('0{'), handshake.text
    params = {'EIO': '4', 'transport': 'polling', 'sid': json.loads(handshake.text[1:])['sid']}
    assert requests.post(url, params=params, data='40', timeout=5).ok
    connected = requests.get(url, params=params, timeout=5).text
    assert connected.startswith('40{'), connected
    return json.loads(connected[2:])['sid']


def test_ping_timeout_polling(server):
    srv = server(fresh=True, ping_interval=1, ping_timeout=1)
    sid = raw_socketio_over_polling(srv.port)
    srv.wait_for({'ev': 'connect', 'sid': sid})
    assert srv.wait_for({'ev': 'disconnect', 'sid': sid}, timeout=10)['reason'] == 'ping timeout'


@reference_deviates(
    "a silent websocket client is usually reported as 'transport close': the read timeout of "
    'ping_interval + ping_timeout fires before the once-per-ping_timeout sweep that says ping timeout'
)
def test_ping_timeout_websocket(server):
    srv = server(fresh=True, ping_interval=1, ping_timeout=1)
    ws, sid = raw_socketio_over_websocket(srv.port)
    try:
        srv.wait_for({'ev': 'connect', 'sid': sid})
        assert srv.wait_for({'ev': 'disconnect', 'sid': sid}, timeout=10)['reason'] == 'ping timeout'
    finally:
        ws.close()


def test_dropped_connection_is_transport_close(server):
    srv = server()
    ws, sid = raw_socketio_over_websocket(srv.port)
    srv.wait_for({'ev': 'connect', 'sid': sid})
    ws.sock.close()  # no Engine.IO CLOSE, no websocket close frame: the TCP connection just goes away
    ws.sock = None
    assert srv.wait_for({'ev': 'disconnect', 'sid': sid})['reason'] == 'transport close'


@pytest.mark.parametrize('sync', [False, True], ids=['async', 'sync'])
@pytest.mark.parametrize(
    ('transport', 'how'),
    [('polling', 'client'), ('polling', 'server'), ('websocket', 'client'), ('websocket', 'server'),
     ('websocket', 'dropped')],  # a dropped long-polling client is noticed only at its ping timeout
)
def test_the_disconnect_handler_still_sees_the_transport_and_session(server, sync, transport, how):
    srv = server(sync=sync)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=[transport], auth={'user': how})
            sid = peer.sid()
            leaving = None
            if how == 'client':  # see test_polling_disconnect_returns_promptly for why it is not awaited
                leaving = asyncio.create_task(peer.sio.disconnect())
            elif how == 'server':
                await peer.sio.emit('server_disconnect')
            else:
                await peer.sio.eio.ws.close()  # the connection just goes away
            fact = await srv.await_for({'ev': 'disconnect', 'sid': sid})
            if leaving is not None:
                await asyncio.wait([leaving], timeout=2)
                leaving.cancel()
            return fact

    fact = arun(scenario())
    assert fact['transport'] == transport
    assert fact['session'] == {'auth': {'user': how}, 'ns': '/'}
