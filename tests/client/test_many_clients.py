"""Many turbosio AsyncClients in one process share the runtime and one event queue: each costs its connection's
socket, not a wake-up pipe or a thread of its own (issue 9: a load-test script with 1,000 clients must be cheap)."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from support.clients import arun

CLIENTS = 200


def _open_descriptors() -> int:
    return len(os.listdir('/proc/self/fd'))


@pytest.mark.parametrize('server_kind', ['turbosio'], ids=['turbosio-server'], indirect=True)
def test_many_async_clients_share_one_queue_and_the_runtime(target_server):
    import turbosio

    async def body():
        first = turbosio.AsyncClient(reconnection=False)
        await first.connect(target_server.url, transports=['websocket'], wait_timeout=10)
        # The runtime and this loop's event queue exist now; what follows is the cost of each further client.
        fds, threads = _open_descriptors(), threading.active_count()
        clients = [turbosio.AsyncClient(reconnection=False) for _ in range(CLIENTS)]
        try:
            await asyncio.gather(
                *(c.connect(target_server.url, transports=['websocket'], wait_timeout=10) for c in clients)
            )
            answers = await asyncio.gather(*(c.call('echo', i, timeout=10) for i, c in enumerate(clients)))
            assert answers == list(range(CLIENTS))
            grown = _open_descriptors() - fds
            # One socket per connection; a pipe per client would add two more each.
            assert grown <= CLIENTS + 10, f'{grown} descriptors for {CLIENTS} clients'
            assert threading.active_count() <= threads + 2, 'clients must not bring threads of their own'
        finally:
            await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
            await first.disconnect()

    arun(body(), timeout=60)
