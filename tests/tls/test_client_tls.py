"""turbosio's clients over TLS: ``Client`` and ``AsyncClient`` against turbosio's native TLS server and against
python-socketio under uvicorn with ``--ssl-certfile``, over polling (``https://``), WebSocket (``wss://``) and the
upgrade, with ``ssl_verify=False``, a CA bundle path and ``SSL_CERT_FILE``; and the certificates they refuse.

Both servers speak only TLS on their port (``test_plain_http_to_the_tls_port_is_refused``), so every exchange that
succeeds here went over TLS.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import turbosio
from support.clients import arun
from support.servers import free_port
from support.settings import APPS_DIR, IMPL, WAIT_TIMEOUT

from .conftest import Pki, TlsServer, _openssl, app_command

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason="turbosio's own clients")

PAYLOAD = {'over': 'tls', 'bytes': b'\x00\xff'}
# A refusal is the handshake's answer, not a timeout: well within the client's request_timeout (5 s).
REFUSED_WITHIN = 4.0

TRANSPORTS = pytest.mark.parametrize(
    ('scheme', 'transports'),
    [('https', ['polling']), ('wss', ['websocket']), ('https', None)],
    ids=['polling', 'websocket', 'upgrade'],
)


@pytest.fixture(scope='module')
def uvicorn_server(pki: Pki) -> Iterator[TlsServer]:
    """python-socketio's AsyncServer (``tests/apps/tls_peer_app.py``) under uvicorn, TLS only."""
    port = free_port()
    command = [
        sys.executable, '-m', 'uvicorn', 'tls_peer_app:app', '--app-dir', str(APPS_DIR), '--host', '127.0.0.1',
        '--port', str(port), '--ssl-certfile', str(pki.cert), '--ssl-keyfile', str(pki.key), '--log-level', 'warning',
    ]
    server = TlsServer(command, port)
    yield server
    server.stop()


@pytest.fixture(params=['turbosio', 'uvicorn'], ids=['turbosio-server', 'socketio-uvicorn-server'])
def server(request) -> TlsServer:
    return request.getfixturevalue('tls_server' if request.param == 'turbosio' else 'uvicorn_server')


@pytest.fixture(scope='module')
def other_ca(tmp_path_factory) -> Path:
    """An authority that issued nothing the servers present."""
    directory = tmp_path_factory.mktemp('other-ca')
    _openssl(directory, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=another test CA',
             '-addext', 'basicConstraints=critical,CA:TRUE')
    return directory / 'ca.pem'


@pytest.fixture(scope='module')
def elsewhere(pki: Pki) -> tuple[Path, Path]:
    """A certificate the test CA issued for ``elsewhere.test`` only, and its key."""
    d = pki.dir
    (d / 'elsewhere.ext').write_text('subjectAltName=DNS:elsewhere.test\nextendedKeyUsage=serverAuth\n')
    _openssl(d, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'elsewhere.key', '-out', 'elsewhere.csr',
             '-subj', '/CN=elsewhere.test')
    _openssl(d, 'x509', '-req', '-in', 'elsewhere.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
             '-days', '2', '-extfile', 'elsewhere.ext', '-out', 'elsewhere.pem')
    return d / 'elsewhere.pem', d / 'elsewhere.key'


def _verify(kind: str, pki: Pki) -> bool | str:
    return False if kind == 'no-verify' else str(pki.ca)


def _url(server: TlsServer, scheme: str) -> str:
    return server.url.replace('https://', f'{scheme}://')


def _sync_echo(sio: turbosio.Client, url: str, transports: list[str] | None) -> tuple:
    """Connect, emit ``echo`` with a callback, wait for the ack and the ``echoed`` push; (ack, pushed, transport)."""
    pushed: list = []
    acked: list = []
    got_push, got_ack = threading.Event(), threading.Event()

    @sio.on('echoed')
    def echoed(data):
        pushed.append(data)
        got_push.set()

    sio.connect(url, transports=transports, wait_timeout=5)
    try:
        sio.emit('echo', PAYLOAD, callback=lambda *args: (acked.extend(args), got_ack.set()))
        assert got_ack.wait(WAIT_TIMEOUT), 'no ack'
        assert got_push.wait(WAIT_TIMEOUT), 'no echoed event'
        return acked, pushed, sio.transport()
    finally:
        sio.disconnect()


async def _async_echo(sio: turbosio.AsyncClient, url: str, transports: list[str] | None) -> tuple:
    loop = asyncio.get_running_loop()
    pushed: asyncio.Future = loop.create_future()
    acked: asyncio.Future = loop.create_future()
    sio.on('echoed', lambda data: pushed.done() or pushed.set_result(data))
    await sio.connect(url, transports=transports, wait_timeout=5)
    try:
        await sio.emit('echo', PAYLOAD, callback=lambda *args: acked.done() or acked.set_result(list(args)))
        return await asyncio.wait_for(acked, WAIT_TIMEOUT), [await asyncio.wait_for(pushed, WAIT_TIMEOUT)], \
            sio.transport()
    finally:
        await sio.disconnect()


def _expected_transport(transports: list[str] | None) -> str:
    return transports[0] if transports else 'websocket'


@TRANSPORTS
@pytest.mark.parametrize('verify', ['no-verify', 'ca-path'])
def test_client_over_tls(server, pki, scheme, transports, verify):
    sio = turbosio.Client(reconnection=False, ssl_verify=_verify(verify, pki))
    assert _sync_echo(sio, _url(server, scheme), transports) == (
        [PAYLOAD], [PAYLOAD], _expected_transport(transports)
    )


@TRANSPORTS
@pytest.mark.parametrize('verify', ['no-verify', 'ca-path'])
def test_async_client_over_tls(server, pki, scheme, transports, verify):
    async def scenario():
        sio = turbosio.AsyncClient(reconnection=False, ssl_verify=_verify(verify, pki))
        return await _async_echo(sio, _url(server, scheme), transports)

    assert arun(scenario()) == ([PAYLOAD], [PAYLOAD], _expected_transport(transports))


def test_a_ca_bundle_may_be_a_path_object(tls_server, pki):
    sio = turbosio.Client(reconnection=False, ssl_verify=Path(pki.ca))
    assert _sync_echo(sio, tls_server.url, None)[0] == [PAYLOAD]


def _refusal(sio, url: str, transports: list[str]) -> str:
    """The ConnectionError text of a sync client's connect to ``url``, checked to come quickly."""
    started = time.monotonic()
    with pytest.raises(turbosio.exceptions.ConnectionError) as refused:
        sio.connect(url, transports=transports, wait_timeout=5)
    assert time.monotonic() - started < REFUSED_WITHIN
    assert not sio.connected
    return str(refused.value)


@pytest.mark.parametrize('transports', [['polling'], ['websocket']], ids=['polling', 'websocket'])
@pytest.mark.parametrize('trusting', ['system-roots', 'another-ca'])
def test_an_untrusted_certificate_is_refused(server, other_ca, transports, trusting):
    # The system's roots know nothing of the test CA; nor does another authority's bundle.
    verify = True if trusting == 'system-roots' else str(other_ca)
    errors: list = []
    sio = turbosio.Client(reconnection=False, ssl_verify=verify)
    sio.on('connect_error', errors.append)
    message = _refusal(sio, server.url, transports)
    assert 'TLS handshake' in message
    assert 'certificate' in message
    assert errors == [message]


def test_an_async_client_refuses_an_untrusted_certificate(server, other_ca):
    async def scenario():
        sio = turbosio.AsyncClient(reconnection=False, ssl_verify=str(other_ca))
        started = time.monotonic()
        with pytest.raises(turbosio.exceptions.ConnectionError) as refused:
            await sio.connect(_url(server, 'wss'), transports=['websocket'], wait_timeout=5)
        return str(refused.value), time.monotonic() - started

    message, took = arun(scenario())
    assert 'certificate' in message
    assert took < REFUSED_WITHIN


@pytest.mark.parametrize('transports', [['polling'], ['websocket']], ids=['polling', 'websocket'])
def test_a_certificate_for_another_name_is_refused(start_tls_server, pki, elsewhere, transports):
    cert, key = elsewhere
    server = start_tls_server(lambda port: app_command(port, cert, key))
    message = _refusal(turbosio.Client(reconnection=False, ssl_verify=str(pki.ca)), server.url, transports)
    assert 'certificate' in message
    # The same server passes without verification: it was the name that failed.
    sio = turbosio.Client(reconnection=False, ssl_verify=False)
    assert _sync_echo(sio, server.url, transports)[0] == [PAYLOAD]


def test_plain_http_to_the_tls_port_is_refused(server):
    for scheme, transports in (('http', ['polling']), ('ws', ['websocket'])):
        _refusal(turbosio.Client(reconnection=False, ssl_verify=False), _url(server, scheme), transports)


def test_an_unreadable_ca_bundle_fails_the_connect(tls_server, tmp_path):
    missing = tmp_path / 'missing.pem'
    message = _refusal(turbosio.Client(reconnection=False, ssl_verify=str(missing)), tls_server.url, ['polling'])
    assert 'CA bundle' in message and str(missing) in message
    not_pem = tmp_path / 'not.pem'
    not_pem.write_text('no certificate here\n')
    message = _refusal(turbosio.Client(reconnection=False, ssl_verify=str(not_pem)), tls_server.url, ['polling'])
    assert 'CA bundle' in message


SCRIPT = """
import json, sys, turbosio
sio = turbosio.Client(reconnection=False)
sio.connect(sys.argv[1], transports=None, wait_timeout=5)
print(json.dumps([sio.call('echo', 'env', timeout=5), sio.transport()]))
sio.disconnect()
"""


def test_ssl_verify_true_trusts_ssl_cert_file(tls_server, pki):
    # In a process of its own: the system's roots are read once per process.
    env = {**os.environ, 'SSL_CERT_FILE': str(pki.ca)}
    done = subprocess.run([sys.executable, '-c', SCRIPT, tls_server.url], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ['env', 'websocket']
