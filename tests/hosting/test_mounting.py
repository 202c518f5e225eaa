"""ASGIApp mounted under a prefix of a FastAPI app (Starlette >= 0.33 full-path scopes), under uvicorn."""

from __future__ import annotations

import pytest
import requests
import socketio
from support.clients import arun
from support.marks import reference_deviates

pytestmark = pytest.mark.parametrize('mode', ['asgi'], indirect=True)


async def _echo(url: str, socketio_path: str) -> dict:
    client = socketio.AsyncClient()
    await client.connect(url, socketio_path=socketio_path, transports=['polling', 'websocket'], wait_timeout=10)
    try:
        return await client.call('echo', 'hi', timeout=5)
    finally:
        await client.disconnect()


def test_mounted_with_the_full_socketio_path(server, node_scenario):
    srv = server(app='mounted_app.py')
    assert requests.get(f'{srv.url}/hello', timeout=5).json() == {'hello': 'world'}
    assert arun(_echo(srv.url, '/full/socket.io')) == {'mount': 'full', 'data': 'hi'}
    # The official client, upgrading to WebSocket under the prefix.
    result = node_scenario(srv.url, 'echo_transport', {'payload': 'js', 'path': '/full/socket.io'})
    assert result == {'ack': [{'mount': 'full', 'data': 'js'}], 'again': [{'mount': 'full', 'data': 'js'}],
                      'transport': 'websocket'}


@reference_deviates('python-engineio ignores root_path: a mounted ASGIApp(sio) never sees its default path')
def test_mounted_with_the_default_path_relative_to_the_mount(server):
    srv = server(app='mounted_app.py')
    assert arun(_echo(srv.url, '/plain/socket.io')) == {'mount': 'plain', 'data': 'hi'}
