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
from support.clients import AsyncPeers, arun
from support.marks import reference_deviates
from support.settings import IMPL

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
def test_a_forked_child_serves_with_its_own_server_and_refuses_an_inherited_one():
    # What Granian(...).serve() does to an app built in the same script: the worker imports the app again and
    # builds a new server (it gets a runtime of its own), while the parent's server, inherited, would stall.
    script = textwrap.dedent(
        """
        import asyncio, os, socket, socketio, turbosio
        inherited = turbosio.AsyncServer(async_mode='asgi')
        pid = os.fork()
        if pid == 0:
            fresh = turbosio.AsyncServer(async_mode='asgi')

            @fresh.event
            async def echo(sid, data):
                return data

            async def main():
                with socket.socket() as probe:
                    probe.bind(('127.0.0.1', 0))
                    port = probe.getsockname()[1]
                stop = asyncio.Event()
                task = asyncio.ensure_future(turbosio.serve(fresh, '127.0.0.1', port, stop=stop))
                client = socketio.AsyncClient()
                for _ in range(50):
                    try:
                        await client.connect(f'http://127.0.0.1:{port}', transports=['websocket'])
                        break
                    except socketio.exceptions.ConnectionError:
                        await asyncio.sleep(0.1)  # polling for the port: serve() gives no other sign it listens
                if await client.call('echo', 'from the child', timeout=5) != 'from the child':
                    os._exit(6)
                await client.disconnect()
                stop.set()
                await task
                try:
                    await turbosio.serve(inherited, '127.0.0.1', 0)
                except RuntimeError as exc:
                    os._exit(3 if 'forked' in str(exc) else 4)
                os._exit(5)

            asyncio.run(main())
        os._exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """
    )
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 3, done.stderr
