"""Stopping the native server: Ctrl-C (SIGINT) or SIGTERM shut it down gracefully."""

from __future__ import annotations

import asyncio
import signal

import pytest
from support.clients import AsyncPeers, arun
from support.settings import IMPL


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
