"""Transports: polling only, websocket only, and polling upgraded to websocket, with both clients."""

import pytest
from support.clients import AsyncPeers, arun

CASES = {
    # name: (client transports, transport after connect, transport the server first saw)
    'polling': (['polling'], 'polling', 'polling'),
    'websocket': (['websocket'], 'websocket', 'websocket'),
    'upgrade': (None, 'websocket', 'polling'),
}


def first_transport(connect_fact: dict) -> str:
    query = dict(part.split('=', 1) for part in connect_fact['query'].split('&') if '=' in part)
    return query['transport']


@pytest.mark.parametrize('case', list(CASES))
def test_transport_python(server, case):
    srv = server()
    transports, final, first = CASES[case]

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=transports)
            assert peer.sio.transport() == final
            assert await peer.sio.call('echo', {'over': case}, timeout=5) == {'over': case}
            assert await peer.sio.call('transport', timeout=5) == final
            await peer.sio.emit('binary_emit')
            assert (await peer.wait_event('binary_from_server'))[0]['blob'] == b'\x00\x01\xfe\xff'
            assert first_transport(await srv.await_for({'ev': 'connect', 'sid': peer.sid()})) == first

    arun(scenario())


@pytest.mark.parametrize('case', list(CASES))
def test_transport_node(server, node_scenario, case):
    srv = server()
    transports, final, _ = CASES[case]
    result = node_scenario(srv.url, 'transport', {'transports': transports})
    assert result['client'] == final
    assert result['server'] == final
    assert result['echo'] == ['over the wire']
    if transports is not None:
        assert result['initial'] == final


def test_large_message_over_polling(server):
    srv = server()
    big = 'x' * 200_000  # well under the default max_http_buffer_size of 1 MB

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['polling'])
            assert await peer.sio.call('echo', big, timeout=10) == big

    arun(scenario())
