"""Malformed msgpack from a raw WebSocket: that connection is closed, another client carries on."""

from __future__ import annotations

import msgpack
import pytest
import socketio
import websocket

TIMEOUT = 5

BAD_MESSAGES = {
    'bad-bytes': (websocket.ABNF.OPCODE_BINARY, b'\xc1\xff\x00'),
    'truncated': (websocket.ABNF.OPCODE_BINARY, b'\x84\xa4type\x02\xa4data\xdd\xff\xff\xff\xff'),
    'not-a-map': (websocket.ABNF.OPCODE_BINARY, msgpack.dumps([2, ['chat'], '/'])),
    'type-not-int': (websocket.ABNF.OPCODE_BINARY, msgpack.dumps({'type': '2', 'data': ['chat'], 'nsp': '/'})),
    'nsp-not-str': (websocket.ABNF.OPCODE_BINARY, msgpack.dumps({'type': 2, 'data': ['chat'], 'nsp': 1})),
    'event-not-array': (websocket.ABNF.OPCODE_BINARY, msgpack.dumps({'type': 2, 'data': 'chat', 'nsp': '/'})),
    'text-frame': (websocket.ABNF.OPCODE_TEXT, b'42["chat","hi"]'),
}


def raw_connect(url: str) -> websocket.WebSocket:
    ws = websocket.create_connection(
        url.replace('http://', 'ws://') + '/socket.io/?EIO=4&transport=websocket', timeout=TIMEOUT
    )
    assert ws.recv().startswith('0{')  # the open packet
    ws.send_binary(msgpack.dumps({'type': 0, 'nsp': '/'}))
    answer = msgpack.loads(ws.recv())
    assert answer['type'] == 0 and isinstance(answer['data']['sid'], str)
    return ws


def wait_closed(ws: websocket.WebSocket) -> None:
    """Read until the server closes the connection (the socket's timeout bounds the wait)."""
    while True:
        try:
            opcode, _ = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            return
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return


@pytest.mark.parametrize('bad', list(BAD_MESSAGES), ids=list(BAD_MESSAGES))
def test_malformed_msgpack_closes_only_that_connection(msgpack_server, bad):
    url = msgpack_server('turbosio')
    healthy = socketio.Client(serializer='msgpack')
    healthy.connect(url, transports=['websocket'], wait_timeout=TIMEOUT)
    ws = raw_connect(url)
    try:
        opcode, payload = BAD_MESSAGES[bad]
        ws.send(payload, opcode=opcode)
        wait_closed(ws)  # a server that let the packet through would leave this to time out
        assert healthy.call('echo', {'still': b'here'}, timeout=TIMEOUT) == {'still': b'here'}
    finally:
        ws.shutdown()  # the server already closed it: no closing handshake to wait for
        healthy.disconnect()
