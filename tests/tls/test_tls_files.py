"""The certificate and key files: the key formats a server accepts, the errors a bad file raises when the server
starts (naming the file, before the port is bound), and the same through the ``turbosio`` command."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests
import socketio
import turbosio
from support.clients import arun
from support.servers import free_port
from support.settings import IMPL

from .conftest import TLS_DIR, TlsServer, app_command

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='serving natively over TLS is turbosio-only')


def _handshake_over_tls(url: str, ca) -> str:
    answer = requests.get(f'{url}/socket.io/?EIO=4&transport=polling', verify=str(ca), timeout=5)
    assert answer.status_code == 200
    return answer.text


@pytest.mark.parametrize('files', ['pkcs1-rsa', 'sec1-ec', 'key-in-certfile'])
def test_key_formats(pki, start_tls_server, tmp_path, files):
    if files == 'pkcs1-rsa':
        cert, key = pki.cert, pki.rsa_key
    elif files == 'sec1-ec':
        cert, key = pki.ec_cert, pki.ec_key
    else:
        cert, key = tmp_path / 'both.pem', None
        cert.write_text(pki.cert.read_text() + pki.key.read_text())
    server = start_tls_server(lambda port: app_command(port, cert, key))
    assert _handshake_over_tls(server.url, pki.ca).startswith('0{"sid":')


def test_a_threaded_server_and_its_wsgi_app_serve_tls_too(pki, start_tls_server):
    server = start_tls_server(lambda port: app_command(port, pki.cert, pki.key, '--sync'))
    sio = socketio.AsyncClient(reconnection=False, ssl_verify=False)

    async def scenario():
        await sio.connect(server.url, wait_timeout=5)
        try:
            return await sio.call('echo', 'threaded', timeout=5), sio.transport(), await sio.call('scheme', timeout=5)
        finally:
            await sio.disconnect()

    assert arun(scenario()) == ('threaded', 'websocket', ['https', str(server.port), None])
    hello = requests.get(f'{server.url}/hello', verify=str(pki.ca), timeout=5)
    assert hello.text == 'hello over https'  # the WSGI app's wsgi.url_scheme


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(('127.0.0.1', port)) != 0


def _run(port: int, **files) -> None:
    turbosio.run(turbosio.AsyncServer(), port=port, log_level=None, **files)


def test_a_missing_file_raises_file_not_found_naming_it(pki, tmp_path):
    port = free_port()
    missing = tmp_path / 'missing-cert.pem'
    with pytest.raises(FileNotFoundError) as raised:
        _run(port, ssl_certfile=missing, ssl_keyfile=pki.key)
    assert raised.value.filename == str(missing)
    assert 'ssl_certfile' in str(raised.value)
    with pytest.raises(FileNotFoundError, match='ssl_keyfile'):
        _run(port, ssl_certfile=str(pki.cert), ssl_keyfile=str(tmp_path / 'missing-key.pem'))
    assert _is_free(port)


def test_a_file_without_pem_raises_value_error_naming_it(pki, tmp_path):
    text = tmp_path / 'notes.txt'
    text.write_text('not a certificate\n')
    with pytest.raises(ValueError, match=r'notes\.txt holds no PEM certificate'):
        _run(free_port(), ssl_certfile=text, ssl_keyfile=pki.key)
    with pytest.raises(ValueError, match=r'notes\.txt holds no PEM private key'):
        _run(free_port(), ssl_certfile=pki.cert, ssl_keyfile=text)
    with pytest.raises(ValueError, match=r'server\.pem holds no PEM private key'):
        _run(free_port(), ssl_certfile=pki.cert)  # no keyfile: the key must be in the certificate file


def test_a_key_of_another_certificate_raises_value_error_naming_both(pki):
    with pytest.raises(ValueError, match='does not fit the certificate') as raised:
        _run(free_port(), ssl_certfile=pki.cert, ssl_keyfile=pki.ec_key)
    assert str(pki.ec_key) in str(raised.value) and str(pki.cert) in str(raised.value)


def test_the_web_apps_lifespan_shuts_down_when_a_file_is_bad(tmp_path):
    facts = []

    async def web(scope, receive, send):
        assert scope['type'] == 'lifespan'
        while True:
            message = await receive()
            facts.append(message['type'])
            await send({'type': message['type'] + '.complete'})
            if message['type'] == 'lifespan.shutdown':
                return

    app = turbosio.ASGIApp(turbosio.AsyncServer(), other_asgi_app=web)
    with pytest.raises(FileNotFoundError):
        turbosio.run(app, port=free_port(), log_level=None, ssl_certfile=tmp_path / 'missing.pem')
    assert facts == ['lifespan.startup', 'lifespan.shutdown']


def test_a_keyfile_alone_is_refused(pki):
    with pytest.raises(ValueError, match='ssl_keyfile needs ssl_certfile'):
        _run(free_port(), ssl_keyfile=pki.key)


def _command(*args: str) -> list[str]:
    return [sys.executable, '-m', 'turbosio', *args]


def test_the_turbosio_command_serves_tls(pki, start_tls_server):
    def command(port: int) -> list[str]:
        return _command(
            'tls_app:app', '--port', str(port), '--ssl-certfile', str(pki.cert), '--ssl-keyfile', str(pki.key)
        )

    server: TlsServer = start_tls_server(command)

    async def scenario():
        sio = socketio.AsyncClient(reconnection=False, ssl_verify=False)
        await sio.connect(server.url, wait_timeout=5)
        try:
            return await sio.call('echo', 'via the command', timeout=5)
        finally:
            await sio.disconnect()

    assert arun(scenario()) == 'via the command'
    assert server.stop() == 0, server.output()
    assert 'serving on https://' in server.output()


def test_the_turbosio_command_names_a_missing_file(pki, tmp_path):
    missing = tmp_path / 'missing-key.pem'
    done = subprocess.run(
        _command('tls_app:app', '--port', str(free_port()), '--ssl-certfile', str(pki.cert), '--ssl-keyfile',
                 str(missing)),
        cwd=TLS_DIR, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1
    assert str(missing) in done.stderr and 'ssl_keyfile' in done.stderr, done.stderr
