"""Binary data: bytes nested in dicts and lists travel as attachments, both ways, with either client."""

from support.clients import AsyncPeers, arun

SERVER_BLOB = {'blob': b'\x00\x01\xfe\xff', 'list': [b'abc', {'deep': b'\x10\x00'}], 'text': 'not bytes'}


def hexed(value):
    """The node scenario's encoding of bytes: {'$hex': ...}."""
    if isinstance(value, bytes):
        return {'$hex': value.hex()}
    if isinstance(value, list):
        return [hexed(item) for item in value]
    if isinstance(value, dict):
        return {key: hexed(item) for key, item in value.items()}
    return value


def test_nested_bytes_round_trip_python(server):
    srv = server()
    payload = {
        'blob': bytes(range(256)),
        'nested': {'list': [b'abc', {'deep': b''}, 7], 'none': None},
        'text': 'plain',
    }

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert await peer.sio.call('binary_echo', payload, timeout=5) == {'echo': payload, 'server': SERVER_BLOB}
            several = (b'\x00top level', [b'\xff'])
            assert await peer.sio.call('echo', several, timeout=5) == several
            await peer.sio.emit('binary_emit')
            assert await peer.wait_event('binary_from_server') == (SERVER_BLOB,)

    arun(scenario())


def test_bytes_over_polling(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['polling'])
            payload = {'blob': b'\x00\x01' * 1000, 'more': [b'x', b'y']}
            assert await peer.sio.call('binary_echo', payload, timeout=5) == {'echo': payload, 'server': SERVER_BLOB}

    arun(scenario())


def test_nested_bytes_round_trip_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'binary')
    sent = {'blob': b'\x00\x01\x02\xff', 'nested': {'list': [b'abc', {'deep': b''}, 7]}, 'text': 'plain'}
    assert result['ack'] == [hexed({'echo': sent, 'server': SERVER_BLOB})]
    assert result['pushed'] == [hexed(SERVER_BLOB)]
