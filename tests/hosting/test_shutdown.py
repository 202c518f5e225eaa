"""Stopping a server gracefully: the native one on Ctrl-C (SIGINT) or SIGTERM, and ASGIApp on the ASGI lifespan
shutdown under uvicorn and hypercorn; python-socketio clients come back after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import time

import pytest
import socketio
from support.clients import AsyncPeers, arun
from support.settings import APPS_DIR, IMPL, STARTUP_TIMEOUT


@pytest.mark.parametrize('mode', ['native'], indirect=True)
@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
@pytest.mark.parametrize('sync', [False, True], ids=['async', 'sync'])
def test_signal_disconnects_clients_runs_handlers_and_exits_cleanly(server, sig, sync):
    if IMPL != 'turbosio':
        pytest.skip('turbosio.run() is turbosio-only')
    srv = server(fresh=True, sync=sync)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            disconnected = asyncio.get_running_loop().create_future()
            peer.sio.on('disconnect', lambda *reason: disconnected.done() or disconnected.set_result(reason))
            sid = peer.sid()
            srv.process.proc.send_signal(sig)
            await asyncio.wait_for(disconnected, 10)
            return sid

    sid = arun(scenario())
    fact = srv.wait_for({'ev': 'disconnect', 'sid': sid})
    assert fact['reason'] == 'server disconnect'
    assert srv.process.proc.wait(timeout=10) == 0


# --------------------------------------------------------------------------- a graceful stop, as clients see it


class ShutdownApp:
    """tests/apps/shutdown_app.py on one port: its JSON lines, a graceful stop, and a start again."""

    def __init__(self, server: str, *extra: str) -> None:
        self.server = server
        self.extra = extra
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        self.url = f'http://127.0.0.1:{self.port}'
        self.proc: subprocess.Popen[str] | None = None
        self.facts: list[dict] = []

    def start(self) -> None:
        command = [sys.executable, str(APPS_DIR / 'shutdown_app.py'), '--port', str(self.port)]
        self.proc = subprocess.Popen(
            [*command, '--server', self.server, *self.extra], stdout=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return
            time.sleep(0.05)  # polling for the port: the server gives no other sign it listens
        pytest.fail(f'{self.server} did not listen on {self.port}')

    def stop(self, sig: int = signal.SIGINT) -> None:
        """A graceful stop; its output's facts are kept."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, out
        self.facts += [json.loads(line) for line in out.splitlines() if line.startswith('{')]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def shutdown_app(request):
    server, *extra = request.param.split()
    app = ShutdownApp(server, *extra)
    yield app
    app.kill()


def _require_turbosio():
    if IMPL != 'turbosio':
        pytest.skip('turbosio servers only')


@pytest.mark.parametrize(
    ('shutdown_app', 'transport'),
    [
        ('uvicorn', 'websocket'),
        # A long ping interval: a waiting GET answered only at the next ping would hold uvicorn's exit past stop()'s
        # timeout (uvicorn waits for open requests before lifespan.shutdown).
        ('uvicorn --ping-interval 60', 'polling'),
        # hypercorn waits its graceful_timeout (5 s here) for connections, then cancels their apps, and only then
        # sends lifespan.shutdown: the WebSocket's session ends at that cancellation, with 'server disconnect'.
        pytest.param(
            'hypercorn',
            'websocket',
            marks=pytest.mark.skipif(
                sys.version_info >= (3, 12),
                # hypercorn 0.18 awaits asyncio's Server.wait_closed() before its graceful_timeout, and from 3.12
                # that waits for every open connection to close: hypercorn then waits for the WebSocket client to
                # leave and tells the app nothing until it does (no cancellation, no lifespan.shutdown).
                reason='hypercorn on Python 3.12+ waits for WebSocket clients to leave before it tells the app',
            ),
        ),
        ('hypercorn', 'polling'),
    ],
    indirect=['shutdown_app'],
)
def test_asgi_lifespan_shutdown_drains_like_the_native_server(shutdown_app, transport):
    _require_turbosio()
    shutdown_app.start()

    async def scenario():
        client = socketio.AsyncClient(reconnection=False)
        items: list[int] = []
        got_all = asyncio.get_running_loop().create_future()

        def item(i: int) -> None:
            items.append(i)
            if i == 49 and not got_all.done():
                got_all.set_result(None)

        client.on('item', item)
        closed = asyncio.get_running_loop().create_future()
        client.on('disconnect', lambda reason=None: closed.done() or closed.set_result(reason))
        await client.connect(shutdown_app.url, transports=[transport], wait_timeout=5)
        if transport == 'websocket':
            # (python-socketio's polling client takes its events one a poll, too slowly for a burst here)
            await client.emit('burst', 50)
            await asyncio.wait_for(got_all, 5)
        sid = client.get_sid()
        await asyncio.to_thread(shutdown_app.stop)
        # The client sees its transport end (no goodbye, so it would reconnect): the server did close it.
        reason = await asyncio.wait_for(closed, 5)
        await client.disconnect()
        return sid, items, reason

    sid, items, reason = asyncio.run(scenario())
    assert reason != 'server disconnect', reason  # python-socketio's client says 'transport error'
    assert items == (list(range(50)) if transport == 'websocket' else [])
    disconnects = [f for f in shutdown_app.facts if f['ev'] == 'disconnect' and f['sid'] == sid]
    assert [f['reason'] for f in disconnects] == ['server disconnect']
    order = [f['ev'] for f in shutdown_app.facts if f['ev'] in ('disconnect', 'lifespan-shutdown')]
    assert order.index('disconnect') < order.index('lifespan-shutdown')


@pytest.mark.parametrize('shutdown_app', ['native', 'uvicorn'], indirect=True)
@pytest.mark.parametrize('transport', ['websocket', 'polling'])
def test_python_socketio_clients_come_back_after_a_graceful_restart(shutdown_app, transport):
    # node (io.close()): clients see their transport close, not a goodbye, and reconnect; so after a deploy's
    # restart on the same port, every client is back.
    _require_turbosio()
    shutdown_app.start()

    async def scenario():
        client = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=0.5, randomization_factor=0)
        connects: asyncio.Queue[None] = asyncio.Queue()
        reasons: list[str] = []
        client.on('connect', lambda: connects.put_nowait(None))
        client.on('disconnect', lambda reason=None: reasons.append(reason))
        await client.connect(shutdown_app.url, transports=[transport], wait_timeout=5)
        await asyncio.wait_for(connects.get(), 5)
        first = client.get_sid()
        await asyncio.to_thread(shutdown_app.stop)
        await asyncio.to_thread(shutdown_app.start)
        await asyncio.wait_for(connects.get(), 15)
        second = client.get_sid()
        await client.disconnect()
        return first, second, reasons

    first, second, reasons = asyncio.run(scenario())
    assert second != first
    assert reasons and reasons[0] != 'server disconnect', reasons
    assert [f['reason'] for f in shutdown_app.facts if f['ev'] == 'disconnect'] == ['server disconnect']
