"""ASGI mode: socket.io and a FastAPI app share one port through ASGIApp(other_asgi_app=...)."""

import httpx
import pytest
from support.clients import AsyncPeers, arun


@pytest.mark.parametrize('mode', ['asgi'])
def test_fastapi_route_and_socketio_on_the_same_port(server, mode, node_scenario):
    srv = server()
    response = httpx.get(f'{srv.url}/hello', timeout=5)
    assert response.status_code == 200
    assert response.json() == {'hello': 'world'}
    assert httpx.get(f'{srv.url}/no-such-route', timeout=5).status_code == 404

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=None)
            assert await peer.sio.call('echo', 'same port', timeout=5) == 'same port'

    arun(scenario())
    result = node_scenario(srv.url, 'echo_transport', {'payload': 'from node'})
    assert result == {'ack': ['from node'], 'again': ['from node'], 'transport': 'websocket'}
