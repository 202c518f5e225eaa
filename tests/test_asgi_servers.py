"""ASGIApp beside FastAPI under an ASGI server other than uvicorn (hypercorn).

granian is not covered yet: turbosio's handshake answers there, but the connection then stalls (the engine's
wake-up descriptor does not seem to reach granian's event loop); tests/apps/asgi_servers_app.py can serve it
for whoever picks this up.
"""

from __future__ import annotations

import pytest
import requests
from support import AsyncPeers, arun

pytestmark = pytest.mark.parametrize('mode', ['asgi'], indirect=True)


@pytest.mark.parametrize('asgi_server', ['hypercorn'])
@pytest.mark.parametrize('transports', [['websocket'], ['polling'], None], ids=['websocket', 'polling', 'upgrade'])
def test_socketio_and_fastapi_on_one_port(server, asgi_server, transports):
    pytest.importorskip(asgi_server)
    srv = server(app='asgi_servers_app.py', server=asgi_server)
    assert requests.get(f'{srv.url}/hello', timeout=5).json() == {'hello': 'world'}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=transports)
            echoed = await peer.sio.call('echo', {'via': asgi_server}, timeout=5)
            await peer.sio.emit('shout', 'hey')
            return echoed, await peer.wait_event('shouted')

    assert arun(scenario()) == ({'via': asgi_server}, ('HEY',))
