"""turbosio serving natively over TLS: python-socketio's clients and node's socket.io-client over https and wss
(polling, websocket, upgrade), the hosted web app on the same port, and what a peer that does not speak TLS, or
does not trust the certificate, gets."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading

import aiohttp
import pytest
import requests
import socketio
from support.clients import arun
from support.settings import IMPL, JS_DIR, WAIT_TIMEOUT

from .conftest import TLS_DIR

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='serving natively over TLS is turbosio-only')

TRANSPORTS = pytest.mark.parametrize(
    'transports', [['polling'], ['websocket'], None], ids=['polling', 'websocket', 'upgrade']
)


async def _echo_over(sio: socketio.AsyncClient, url: str, transports: list[str] | None) -> tuple:
    """Connect, emit ``echo`` with an ack, wait for the ``echoed`` push too; (ack, pushed, transport)."""
    pushed: asyncio.Future = asyncio.get_running_loop().create_future()
    sio.on('echoed', lambda data: pushed.done() or pushed.set_result(data))
    await sio.connect(url, transports=transports, wait_timeout=5)
    try:
        ack = await sio.call('echo', {'over': 'tls', 'bytes': b'\x00\xff'}, timeout=5)
        return ack, await asyncio.wait_for(pushed, WAIT_TIMEOUT), sio.transport()
    finally:
        await sio.disconnect()


def _expected_transport(transports: list[str] | None) -> str:
    return transports[0] if transports else 'websocket'


@TRANSPORTS
def test_async_client_without_verification(tls_server, transports):
    async def scenario():
        return await _echo_over(socketio.AsyncClient(reconnection=False, ssl_verify=False), tls_server.url, transports)

    ack, pushed, transport = arun(scenario())
    assert ack == pushed == {'over': 'tls', 'bytes': b'\x00\xff'}
    assert transport == _expected_transport(transports)


@TRANSPORTS
def test_async_client_trusting_the_ca(tls_server, pki, transports):
    async def scenario():
        context = ssl.create_default_context(cafile=str(pki.ca))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
            sio = socketio.AsyncClient(reconnection=False, http_session=session)
            return await _echo_over(sio, tls_server.url, transports)

    ack, pushed, transport = arun(scenario())
    assert ack == pushed == {'over': 'tls', 'bytes': b'\x00\xff'}
    assert transport == _expected_transport(transports)


def _sync_echo(sio: socketio.Client, url: str, transports: list[str] | None) -> tuple:
    pushed = []
    got_push = threading.Event()

    @sio.on('echoed')
    def echoed(data):
        pushed.append(data)
        got_push.set()

    sio.connect(url, transports=transports, wait_timeout=5)
    try:
        ack = sio.call('echo', ['sync', 1], timeout=5)
        assert got_push.wait(WAIT_TIMEOUT), 'no echoed event'
        return ack, pushed[0], sio.transport()
    finally:
        sio.disconnect()


def _requests_session() -> requests.Session:
    """A session whose ``verify`` is what counts: with ``trust_env``, requests lets REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE in the environment override it, even ``verify=False``."""
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.mark.filterwarnings('ignore:Unverified HTTPS request')  # what ssl_verify=False asks for
@pytest.mark.parametrize('transports', [['polling'], None], ids=['polling', 'upgrade'])
def test_sync_client_without_verification(tls_server, transports):
    with _requests_session() as session:
        sio = socketio.Client(reconnection=False, ssl_verify=False, http_session=session)
        ack, pushed, transport = _sync_echo(sio, tls_server.url, transports)
    assert ack == pushed == ['sync', 1]
    assert transport == _expected_transport(transports)


@pytest.mark.parametrize('transports', [['polling'], None], ids=['polling', 'upgrade'])
def test_sync_client_trusting_the_ca(tls_server, pki, transports):
    with _requests_session() as session:
        session.verify = str(pki.ca)
        sio = socketio.Client(reconnection=False, http_session=session)
        ack, pushed, transport = _sync_echo(sio, tls_server.url, transports)
    assert ack == pushed == ['sync', 1]
    assert transport == _expected_transport(transports)


def test_a_client_that_does_not_trust_the_certificate_is_refused_and_others_carry_on(tls_server, pki):
    async def scenario():
        untrusting = socketio.AsyncClient(reconnection=False)  # the system's roots know nothing of the test CA
        with pytest.raises(socketio.exceptions.ConnectionError):
            await untrusting.connect(tls_server.url, transports=['websocket'], wait_timeout=5)
        return await _echo_over(socketio.AsyncClient(reconnection=False, ssl_verify=False), tls_server.url, None)

    assert arun(scenario())[0] == {'over': 'tls', 'bytes': b'\x00\xff'}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f'{tls_server.url}/hello', timeout=5)  # verified against the system's roots
    assert tls_server.is_running()


def test_plain_http_to_the_tls_port_fails_and_the_server_keeps_serving(tls_server, pki):
    plain = tls_server.url.replace('https://', 'http://')
    for path in ('/socket.io/?EIO=4&transport=polling', '/hello'):
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(plain + path, timeout=5)
    assert requests.get(f'{tls_server.url}/hello', verify=str(pki.ca), timeout=5).status_code == 200
    assert tls_server.is_running()


def test_the_hosted_web_app_and_its_websocket_share_the_tls_port(tls_server, pki):
    import websocket  # websocket-client

    hello = requests.get(f'{tls_server.url}/hello', verify=str(pki.ca), timeout=5)
    assert hello.status_code == 200
    assert hello.text == 'hello over https'  # the app's scope['scheme']
    ws = websocket.create_connection(
        tls_server.url.replace('https://', 'wss://') + '/ws', timeout=5, sslopt={'ca_certs': str(pki.ca)}
    )
    try:
        ws.send('hi')
        assert ws.recv() == 'echo:hi over wss'  # a WebSocket scope's scheme
    finally:
        ws.close()


async def _connect_environ(url: str, transports: list[str] | None) -> list:
    """What tls_app.py's connect handler saw: [wsgi.url_scheme, SERVER_PORT, the ASGI scope's scheme]."""
    sio = socketio.AsyncClient(reconnection=False, ssl_verify=False)
    await sio.connect(url, transports=transports, wait_timeout=5)
    try:
        return await sio.call('scheme', timeout=5)
    finally:
        await sio.disconnect()


@TRANSPORTS
def test_the_connect_handlers_environ_says_https(tls_server, transports):
    # SERVER_PORT comes from the Host header, which names the port; natively there is no ASGI scope.
    assert arun(_connect_environ(tls_server.url, transports)) == ['https', str(tls_server.port), None]


@pytest.mark.parametrize('transports', [['polling'], ['websocket']], ids=['polling', 'websocket'])
def test_under_uvicorns_tls_the_connect_handlers_environ_says_https(pki, start_tls_server, transports):
    server = start_tls_server(
        lambda port: [sys.executable, '-m', 'uvicorn', 'tls_app:app', '--port', str(port), '--log-level', 'warning',
                      '--ssl-certfile', str(pki.cert), '--ssl-keyfile', str(pki.key)]
    )

    scope_scheme = 'https' if transports == ['polling'] else 'wss'
    assert arun(_connect_environ(server.url, transports)) == ['https', str(server.port), scope_scheme]


def test_same_origin_means_the_https_origin(tls_server, pki):
    handshake = f'{tls_server.url}/socket.io/?EIO=4&transport=polling'
    own = tls_server.url
    answer = requests.get(handshake, headers={'Origin': own}, verify=str(pki.ca), timeout=5)
    assert answer.status_code == 200
    assert answer.headers['access-control-allow-origin'] == own
    insecure = own.replace('https://', 'http://')
    assert requests.get(handshake, headers={'Origin': insecure}, verify=str(pki.ca), timeout=5).status_code == 400


def _node(*args: str, env: dict[str, str] | None = None) -> dict:
    """Run node with ``args`` (from tests/js, where socket.io-client is installed); its last stdout line as JSON."""
    node = shutil.which('node')
    if node is None or not (JS_DIR / 'node_modules' / 'socket.io-client').is_dir():
        pytest.skip('node or tests/js/node_modules is missing: the socket.io-client (node) test cannot run')
    done = subprocess.run(
        [node, *args], capture_output=True, text=True, timeout=30, cwd=JS_DIR, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, f'node failed:\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}'
    return json.loads(done.stdout.strip().split('\n')[-1])


@pytest.mark.parametrize('transports', [['polling'], None], ids=['polling', 'upgrade'])
def test_node_client_trusting_the_ca(tls_server, pki, transports):
    # NODE_EXTRA_CA_CERTS adds the test CA to the roots node trusts, for https (polling) and wss alike.
    args = {'payload': 'over wss', **({'transports': transports} if transports else {})}
    result = _node(
        str(JS_DIR / 'scenario.js'), tls_server.url, 'echo_transport', json.dumps(args),
        env={'NODE_EXTRA_CA_CERTS': str(pki.ca)},
    )
    assert result == {'ack': ['over wss'], 'again': ['over wss'], 'transport': _expected_transport(transports)}


@pytest.mark.parametrize('transports', [['websocket'], None], ids=['websocket', 'upgrade'])
def test_node_client_without_verification(tls_server, transports):
    options = {'rejectUnauthorized': False, **({'transports': transports} if transports else {})}
    result = _node(str(TLS_DIR / 'node_client.js'), tls_server.url, json.dumps(options))
    assert result == {'ack': 'over wss', 'transport': 'websocket'}
