"""ASGIApp beside a FastAPI app under uvicorn: static files, path traversal, lifespan hooks."""

from __future__ import annotations

import http.client

import pytest
import requests
from support.clients import AsyncPeers, arun

pytestmark = pytest.mark.parametrize('mode', ['asgi'], indirect=True)


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as given (no client-side '..' normalisation)."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        conn.request('GET', path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_static_files_fastapi_routes_and_socketio_share_the_port(server):
    srv = server(app='asgi_extras_app.py')
    assert requests.get(f'{srv.url}/static/hello.txt', timeout=5).text == 'hello from a static file\n'
    assert requests.get(f'{srv.url}/index.html', timeout=5).text == 'hello from a static file\n'
    assert requests.get(f'{srv.url}/hello', timeout=5).json() == {'hello': 'world'}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            return await peer.sio.call('echo', 'through uvicorn', timeout=5)

    assert arun(scenario()) == 'through uvicorn'


@pytest.mark.parametrize('path', ['/static/../apps/asgi_extras_app.py', '/static/%2e%2e/apps/asgi_extras_app.py'])
def test_static_path_traversal_is_not_found(server, path):
    srv = server(app='asgi_extras_app.py')
    status, body = _raw_get(srv.port, path)
    assert status == 404
    assert b'argparse' not in body


def test_lifespan_hooks_run_once(server):
    srv = server(app='asgi_extras_app.py', fresh=True)
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200  # startup is over once it serves
    srv.process.proc.terminate()
    srv.process.proc.wait(timeout=10)
    facts = [line['ev'] for line in srv.process._lines if line.get('ev') in ('startup', 'shutdown')]
    assert facts == ['startup', 'shutdown']
