"""A FastAPI app hosted natively beside Socket.IO on one port: ``turbosio.run(ASGIApp(sio, other_asgi_app=app))``."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from support import APPS_DIR, IMPL, AsyncPeers, arun, free_port

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='native hosting is turbosio-only')
native_only = pytest.mark.parametrize('mode', ['native'], indirect=True)


@native_only
def test_routes_dependencies_middleware_uploads_streams_and_socketio_share_the_port(server):
    srv = server(app='hosted_app.py')
    hello = requests.get(f'{srv.url}/hello', timeout=5)
    assert hello.json() == {'word': 'hello'}
    assert hello.headers['x-served-by'] == 'turbosio'
    upload = requests.post(f'{srv.url}/upload', files={'file': ('data.bin', b'\x00' * 70_000)}, timeout=5)
    assert upload.json() == {'name': 'data.bin', 'size': 70_000}
    stream = requests.get(f'{srv.url}/stream', timeout=5)
    assert stream.text == 'chunk0\nchunk1\nchunk2\n'
    assert requests.get(f'{srv.url}/nowhere', timeout=5).status_code == 404

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            return await peer.sio.call('echo', 'beside FastAPI', timeout=5)

    assert arun(scenario()) == 'beside FastAPI'


@native_only
def test_a_route_that_raises_gets_500_and_the_server_keeps_serving(server):
    srv = server(app='hosted_app.py')
    assert requests.get(f'{srv.url}/boom', timeout=5).status_code == 500
    srv.wait_for_stderr('kaboom')
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200


@native_only
def test_lifespan_runs_around_the_server(server):
    srv = server(app='hosted_app.py', fresh=True)
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200
    srv.process.proc.terminate()
    assert srv.process.proc.wait(timeout=10) == 0
    facts = [line['ev'] for line in srv.process._lines if line.get('ev') in ('startup', 'shutdown')]
    assert facts == ['startup', 'shutdown']


def test_failed_startup_exits_non_zero_with_the_apps_error():
    proc = subprocess.run(
        [sys.executable, str(APPS_DIR / 'hosted_app.py'), '--port', str(free_port()), '--fail-startup', 'yes'],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0
    assert 'the database is down' in proc.stderr


def test_serve_is_for_an_async_server_and_run_takes_a_wsgiapp():
    import turbosio

    sio = turbosio.Server()
    with pytest.raises(TypeError, match='serve\\(\\) needs an AsyncServer'):
        arun(turbosio.serve(turbosio.WSGIApp(sio), port=free_port()))
    with pytest.raises(TypeError, match='WSGIApp'):
        turbosio.run(object())
