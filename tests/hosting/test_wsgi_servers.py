"""``WSGIApp`` for the threaded ``Server`` under WSGI servers, with WebSocket: eventlet (the seed's server),
gunicorn's threaded worker and werkzeug hand the connection's socket over, so clients get WebSocket; wsgiref
exposes no socket, so the upgrade is refused and clients stay on long-polling."""

from __future__ import annotations

import pytest
import requests
from support.clients import AsyncPeers, arun
from support.settings import IMPL

pytestmark = pytest.mark.parametrize('mode', ['asgi'], indirect=True)

TAKE_OVER = ['eventlet', 'gunicorn', 'werkzeug']


def _start(server, wsgi_server: str):
    pytest.importorskip(wsgi_server)
    srv = server(app='wsgi_servers_app.py', sync=True, server=wsgi_server)
    assert requests.get(f'{srv.url}/hello', timeout=5).json() == {'hello': 'world'}
    return srv


@pytest.mark.parametrize('wsgi_server', TAKE_OVER)
@pytest.mark.parametrize('transports', [['websocket'], None], ids=['websocket', 'upgrade'])
def test_python_client_gets_websocket_through_the_wsgi_server(server, wsgi_server, transports):
    srv = _start(server, wsgi_server)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=transports)
            echoed = await peer.sio.call('echo', {'via': wsgi_server}, timeout=5)
            await peer.sio.emit('shout', 'hey')
            shouted = await peer.wait_event('shouted')
            await peer.wait_until(lambda: peer.sio.transport() == 'websocket', what='the upgrade')
            return echoed, shouted, await peer.sio.call('peer', timeout=5)

    echoed, shouted, (host, port) = arun(scenario())
    assert (echoed, shouted) == ({'via': wsgi_server}, ('HEY',))
    assert host == '127.0.0.1'
    if IMPL == 'turbosio':  # python-engineio does not pass the port everywhere
        assert port not in ('', '0')


@pytest.mark.parametrize('wsgi_server', TAKE_OVER)
def test_official_js_client_upgrades_through_the_wsgi_server(server, node_scenario, wsgi_server):
    srv = _start(server, wsgi_server)
    result = node_scenario(srv.url, 'echo_transport', {'payload': {'n': [1, 2]}})
    assert result == {'ack': [{'n': [1, 2]}], 'again': [{'n': [1, 2]}], 'transport': 'websocket'}


@pytest.mark.parametrize('wsgi_server', TAKE_OVER)
def test_finished_websockets_give_the_worker_back(server, wsgi_server):
    # gunicorn runs 4 worker threads here: ten WebSockets one after another only work if each one's thread is
    # released when it closes; the web app must still answer afterwards.
    srv = _start(server, wsgi_server)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            for i in range(10):
                peer = await peers.connect(transports=['websocket'])
                assert await peer.sio.call('echo', i, timeout=5) == i
                await peer.sio.disconnect()

    arun(scenario())
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200


@pytest.mark.skipif(IMPL != 'turbosio', reason='python-engineio has no fallback for servers without a socket')
def test_a_wsgi_server_without_socket_access_refuses_the_upgrade_and_clients_keep_polling(server):
    srv = _start(server, 'wsgiref')

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=None)
            assert await peer.sio.call('echo', 'still polling', timeout=5) == 'still polling'
            return peer.sio.transport()

    assert arun(scenario()) == 'polling'
    refused = requests.get(
        f'{srv.url}/socket.io/',
        params={'EIO': '4', 'transport': 'websocket'},
        headers={'Upgrade': 'websocket', 'Connection': 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
                 'Sec-WebSocket-Version': '13'},
        timeout=5,
    )
    assert refused.status_code == 400


@pytest.mark.skipif(IMPL != 'turbosio', reason="the error answers are turbosio's (Node's codes)")
@pytest.mark.parametrize('wsgi_server', TAKE_OVER)
def test_bad_websocket_requests_get_http_errors_and_the_server_keeps_serving(server, wsgi_server):
    srv = _start(server, wsgi_server)
    upgrade = {'Upgrade': 'websocket', 'Connection': 'Upgrade', 'Sec-WebSocket-Version': '13'}
    key = {'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='}
    url = f'{srv.url}/socket.io/'
    unknown_sid = requests.get(url, params={'EIO': '4', 'transport': 'websocket', 'sid': 'nope'},
                               headers={**upgrade, **key}, timeout=5)
    assert (unknown_sid.status_code, unknown_sid.json()['code']) == (400, 1)
    no_key = requests.get(url, params={'EIO': '4', 'transport': 'websocket'}, headers=upgrade, timeout=5)
    assert no_key.status_code == 400
    old_protocol = requests.get(url, params={'EIO': '3', 'transport': 'websocket'}, headers={**upgrade, **key},
                                timeout=5)
    assert old_protocol.status_code == 400

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['websocket'])
            return await peer.sio.call('echo', 'fine', timeout=5)

    assert arun(scenario()) == 'fine'
