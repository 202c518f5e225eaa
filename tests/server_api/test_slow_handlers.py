"""A handler that never returns is reported in the log; its own client and everyone else keep being served."""

from __future__ import annotations

import pytest
from support.clients import AsyncPeers, arun
from support.settings import IMPL

pytestmark = [
    pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio does not report such handlers'),
    pytest.mark.parametrize('mode', ['native'], indirect=True),
]


@pytest.mark.parametrize('sync', [False, True], ids=['async', 'sync'])
def test_a_handler_that_never_returns_is_logged_and_others_are_served(server, monkeypatch, sync):
    monkeypatch.setenv('TURBOSIO_SLOW_HANDLER_SECONDS', '0.3')
    srv = server(app='slow_app.py', sync=sync, fresh=True)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            stuck = await peers.connect()
            other = await peers.connect()
            await stuck.sio.emit('hang')
            assert await other.sio.call('echo', 'served', timeout=5) == 'served'
            await srv.await_stderr("handler for 'hang' has not returned")
            assert await other.sio.call('echo', 'still served', timeout=5) == 'still served'

    arun(scenario())
    assert srv.stderr.count("handler for 'hang'") == 1  # said once, not at every check
