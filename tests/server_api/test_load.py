"""Load: many concurrent clients, every acked echo comes back to its own caller, nothing lost."""

import asyncio

from support.clients import AsyncPeers, arun

CLIENTS = 200
ECHOES = 20


def test_many_clients_many_acks(server):
    srv = server(fresh=True)

    async def one_client(peers: AsyncPeers, index: int, gate: asyncio.Semaphore) -> list:
        async with gate:  # bounded connection burst
            peer = await peers.connect(wait_timeout=10)
        answers = []
        for n in range(ECHOES):
            answers.append(await peer.sio.call('echo', {'client': index, 'n': n}, timeout=20))
        return answers

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            gate = asyncio.Semaphore(50)
            results = await asyncio.gather(*(one_client(peers, i, gate) for i in range(CLIENTS)))
            for index, answers in enumerate(results):
                assert answers == [{'client': index, 'n': n} for n in range(ECHOES)]
            assert all(peer.disconnects == [] for peer in peers.peers)

    arun(scenario(), timeout=50)
    connects = [line for line in srv.lines if line['ev'] == 'connect']
    assert len(connects) == CLIENTS
