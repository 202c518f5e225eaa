"""ASGIApp beside FastAPI under ASGI servers other than uvicorn: hypercorn, and granian started from its command
line as users start it (the worker process builds the app; see turbosio/_forking.py for why a server built
before granian forks its worker is refused).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import requests
from support import IMPL, AsyncPeers, arun, reference_deviates

SERVERS = ['hypercorn', 'granian']
asgi_mode = pytest.mark.parametrize('mode', ['asgi'], indirect=True)


@asgi_mode
@pytest.mark.parametrize('asgi_server', SERVERS)
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


@reference_deviates("python-engineio's ASGI driver reports REMOTE_ADDR 127.0.0.1 and REMOTE_PORT 0 for every peer")
@asgi_mode
@pytest.mark.parametrize('asgi_server', SERVERS)
@pytest.mark.parametrize('transports', [['websocket'], ['polling']], ids=['websocket', 'polling'])
def test_environ_has_the_peer_address(server, asgi_server, transports):
    # granian gives scope['client'] with the port as a string; the environ must still carry the real peer.
    pytest.importorskip(asgi_server)
    srv = server(app='asgi_servers_app.py', server=asgi_server)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=transports)
            return await peer.sio.call('peer', timeout=5)

    seen = arun(scenario())
    assert seen['environ'] == seen['scope']
    assert seen['environ'][0] == '127.0.0.1'
    assert seen['environ'][1] != '0'


@pytest.mark.skipif(IMPL != 'turbosio', reason='about turbosio engine threads')
def test_server_refused_in_a_child_forked_after_the_parent_built_one():
    # What Granian(...).serve() does to an app built in the same script: the child would answer the handshake,
    # then stall, since the engine threads stay behind in the parent.
    script = textwrap.dedent(
        """
        import os, turbosio
        turbosio.AsyncServer(async_mode='asgi')
        pid = os.fork()
        if pid == 0:
            try:
                turbosio.AsyncServer(async_mode='asgi')
            except RuntimeError as exc:
                os._exit(3 if 'fork' in str(exc) else 4)
            os._exit(0)
        os._exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """
    )
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 3, done.stderr
