"""Raw-wire Socket.IO v5 conformance tests (Engine.IO v4 frames over a raw WebSocket).

Every assertion cites the Socket.IO v5 protocol (socketio/socket.io-protocol,
README) -- "spec:" comments -- or, where the spec is silent, the reference
Node.js server (socket.io Client.ondecoded / socket.io-parser, as exercised by
the official test-suite/test-suite.js) -- "node:" comments.

Each Socket.IO packet travels as an Engine.IO message packet, so every frame
below starts with ``4`` (spec: "Packet encoding": ``42["foo"]``).

Run against python-socketio with ``TURBOSIO_TEST_IMPL=socketio``; the tests
where python-socketio breaks the spec are marked with ``reference_deviates`` and only run
against turbosio.
"""

import json
import re

import pytest
from support.marks import reference_deviates
from support.protocol import (
    SLOW_PING_INTERVAL,
    SLOW_PING_TIMEOUT,
    WsClosed,
    WsFactory,
    connect_namespace,
    connect_polling_namespace,
    poll_until,
    post,
)
from support.servers import running_server

PLACEHOLDER_0 = '{"_placeholder":true,"num":0}'
PLACEHOLDER_1 = '{"_placeholder":true,"num":1}'


@pytest.fixture(scope='module')
def server():
    """Heartbeat far longer than any test, so the tests never have to answer pings."""
    with running_server(ping_interval=SLOW_PING_INTERVAL, ping_timeout=SLOW_PING_TIMEOUT) as s:
        yield s


@pytest.fixture
def wsf(server):
    factory = WsFactory(server)
    yield factory
    factory.close()


def connect_payload(frame, prefix):
    assert frame.startswith(prefix + '{'), frame
    return json.loads(frame[len(prefix) :])


# --------------------------------------------------------------------------- connect


def test_connect_main_namespace(wsf):
    client, handshake = wsf.open()
    client.send('40')
    reply = client.recv()
    # spec (Connection to a namespace): CONNECT answered by CONNECT with the session ID in the payload,
    # encoded `0{"sid":"..."}` (namespace "/" is omitted)
    data = connect_payload(reply, '40')
    assert set(data) == {'sid'}
    assert isinstance(data['sid'], str) and data['sid']
    # spec (Difference between v5 and v4): the Socket.IO id differs from the Engine.IO session id
    assert data['sid'] != handshake['sid']


def test_connect_main_namespace_with_auth_payload(wsf):
    client, _ = wsf.open()
    # spec (Connection to a namespace, "with an additional payload")
    client.send('40{"token":"123"}')
    data = connect_payload(client.recv(), '40')
    assert set(data) == {'sid'}


def test_connect_custom_namespace(wsf):
    client, _ = wsf.open()
    client.send('40/custom,')
    frames = [client.recv(), client.recv()]
    connects = [f for f in frames if f.startswith('40/custom,')]
    # spec (Packet encoding): CONNECT to "/admin" is answered `0/admin,{"sid":"..."}`
    assert len(connects) == 1
    assert set(connect_payload(connects[0], '40/custom,')) == {'sid'}
    # spec (Sending and receiving data, "with a custom namespace"): `2/admin,["bar"]`
    assert '42/custom,["auth",{}]' in frames


def test_connect_custom_namespace_with_auth_payload(wsf):
    client, _ = wsf.open()
    client.send('40/custom,{"token":"abc"}')
    frames = [client.recv(), client.recv()]
    assert any(f.startswith('40/custom,{"sid":') for f in frames), frames
    # spec (Difference between v5 and v4): the CONNECT payload reaches the server (echoed by the app)
    assert '42/custom,["auth",{"token":"abc"}]' in frames


@reference_deviates('events emitted by the connect handler are sent before the CONNECT packet')
def test_connect_reply_precedes_events_from_connect_handler(wsf):
    client, _ = wsf.open()
    client.send('40/custom,')
    # spec (Connection to a namespace): the server MUST respond with a CONNECT packet; node test-suite
    # ("should allow connection to a custom namespace"): CONNECT first, then the handler's event
    assert client.recv().startswith('40/custom,{"sid":')
    assert client.recv() == '42/custom,["auth",{}]'


def test_connect_unknown_namespace_is_refused(wsf):
    client, _ = wsf.open()
    client.send('40/unknown,')
    # spec (Connection to a namespace): a CONNECT_ERROR packet if the connection is not allowed
    assert client.recv().startswith('44/unknown,')
    # node: the Engine.IO connection stays usable after a CONNECT_ERROR
    client.send('40')
    assert client.recv().startswith('40{"sid":')


@reference_deviates('CONNECT_ERROR for an unknown namespace carries the string "Unable to connect"')
def test_connect_unknown_namespace_error_payload(wsf):
    client, _ = wsf.open()
    client.send('40/unknown,')
    # spec (Difference between v5 and v4): the CONNECT_ERROR payload is an object;
    # node test-suite ("should disallow connection to an unknown namespace"): exact frame below
    assert client.recv() == '44/unknown,{"message":"Invalid namespace"}'


@pytest.mark.parametrize('namespace', ['/', '/custom'])
def test_connect_refused_by_handler(wsf, namespace):
    client, _ = wsf.open()
    ns = '' if namespace == '/' else f'{namespace},'
    client.send(f'40{ns}{{"fail":true}}')
    # spec (Packet encoding): `4{"message":"Not authorized"}` -- CONNECT_ERROR with an object payload;
    # the handler refused with ConnectionRefusedError('auth failed', {'x': 1})
    assert client.recv() == f'44{ns}{{"message":"auth failed","data":{{"x":1}}}}'
    # node: a refused namespace may be retried on the same connection
    assert connect_namespace(client, namespace)


def test_socketio_over_polling(server):
    # spec (Sample session): CONNECT over HTTP long-polling
    sid, _ = connect_polling_namespace(server)
    assert post(server, sid, '42["message","via polling"]').status_code == 200
    packets, _ = poll_until(server, sid, 1)
    # spec (Sample session, request n°4): the event arrives as `42[...]` in a GET response
    assert packets == ['42["message-back","via polling"]']


# --------------------------------------------------------------------------- events and acks


@pytest.mark.parametrize(
    ('sent', 'expected'),
    [
        ('42["message","hi"]', '42["message-back","hi"]'),
        ('42["message",1,"2",{"3":[true]}]', '42["message-back",1,"2",{"3":[true]}]'),
        ('42["message"]', '42["message-back"]'),
    ],
)
def test_event(wsf, sent, expected):
    client, _ = wsf.sio()
    # spec (Sending and receiving data / Packet encoding): EVENT `2["foo"]`, sent as `42["foo"]`
    client.send(sent)
    assert client.recv() == expected


def test_event_on_custom_namespace(wsf):
    client, _ = wsf.sio('/custom')
    # spec (Packet encoding): `2/admin,["bar"]`
    client.send('42/custom,["message","x"]')
    assert client.recv() == '42/custom,["message-back","x"]'


@pytest.mark.parametrize(
    ('sent', 'expected'),
    [
        ('421["message-with-ack",1,"2"]', '431[1,"2"]'),
        ('42456["message-with-ack",1,"2",{"3":[false]}]', '43456[1,"2",{"3":[false]}]'),
        ('4212["message-with-ack"]', '4312[]'),
    ],
)
def test_event_with_ack(wsf, sent, expected):
    client, _ = wsf.sio()
    # spec (Acknowledgement): "The receiver MUST respond with an ACK packet with the same event ID";
    # (Packet encoding) `212["foo"]` -> `312[]`
    client.send(sent)
    assert client.recv() == expected


def test_event_with_ack_on_custom_namespace(wsf):
    client, _ = wsf.sio('/custom')
    client.send('42/custom,13["message-with-ack","bar"]')
    # spec (Packet encoding): `2/admin,13["foo"]` acknowledged as `3/admin,13["bar"]`
    assert client.recv() == '43/custom,13["bar"]'


def test_binary_event(wsf):
    client, _ = wsf.sio()
    # spec (Packet encoding): `51-["baz",{"_placeholder":true,"num":0}]` + <Buffer>
    client.send(f'451-["message",{PLACEHOLDER_0}]')
    client.send(b'\x01\x02\x03\x04')
    assert client.recv() == f'451-["message-back",{PLACEHOLDER_0}]'
    # spec (Engine.IO WebSocket encoding): binary payloads are sent as is, one frame per attachment
    assert client.recv() == b'\x01\x02\x03\x04'


def test_binary_event_with_two_attachments(wsf):
    client, _ = wsf.sio()
    # spec (Packet encoding): `52-/admin,["baz",{...num 0},{...num 1}]` + <Buffer> + <Buffer>
    client.send(f'452-["message",{PLACEHOLDER_0},{PLACEHOLDER_1}]')
    client.send(b'\x01\x02\x03')
    client.send(b'\x04\x05\x06')
    assert client.recv() == f'452-["message-back",{PLACEHOLDER_0},{PLACEHOLDER_1}]'
    assert client.recv() == b'\x01\x02\x03'
    assert client.recv() == b'\x04\x05\x06'


def test_binary_event_with_ack(wsf):
    client, _ = wsf.sio()
    client.send(f'452-789["message-with-ack",{PLACEHOLDER_0},{PLACEHOLDER_1}]')
    client.send(b'\x01\x02\x03')
    client.send(b'\x04\x05\x06')
    # spec (Packet encoding): an ACK with binary data is a BINARY_ACK `61-15["bar",{...}]` + <Buffer>
    assert client.recv() == f'462-789[{PLACEHOLDER_0},{PLACEHOLDER_1}]'
    assert client.recv() == b'\x01\x02\x03'
    assert client.recv() == b'\x04\x05\x06'


def test_binary_event_on_custom_namespace(wsf):
    client, _ = wsf.sio('/custom')
    # spec (Packet encoding): `51-/admin,[...]`: attachments count, then namespace
    client.send(f'451-/custom,["message",{PLACEHOLDER_0}]')
    client.send(b'\xff\x00')
    assert client.recv() == f'451-/custom,["message-back",{PLACEHOLDER_0}]'
    assert client.recv() == b'\xff\x00'


def test_server_to_client_ack(wsf):
    client, _ = wsf.sio()
    client.send('42["call-me-back"]')
    event = client.recv()
    # spec (Acknowledgement): the sender MAY include an event ID: `2<id>["hello",1]`
    match = re.fullmatch(r'42(\d+)\["hello",1\]', event)
    assert match, event
    ack_id = match.group(1)
    # spec (Acknowledgement): the receiver responds with an ACK packet with the same event ID
    client.send(f'43{ack_id}["ok",2]')
    # the server-side callback got the ACK arguments
    assert client.recv() == '42["hello-ack","ok",2]'


def test_server_to_client_binary_ack(wsf):
    client, _ = wsf.sio()
    client.send('42["call-me-back"]')
    match = re.fullmatch(r'42(\d+)\["hello",1\]', client.recv())
    assert match
    # spec (Acknowledgement, "with binary data"): `61-15["bar",{"_placeholder":true,"num":0}]` + <Buffer>
    client.send(f'461-{match.group(1)}[{PLACEHOLDER_0}]')
    client.send(b'\x09\x08')
    assert client.recv() == f'451-["hello-ack",{PLACEHOLDER_0}]'
    assert client.recv() == b'\x09\x08'


# --------------------------------------------------------------------------- disconnect


def test_disconnect_from_custom_namespace_keeps_main(wsf):
    client, _ = wsf.sio()
    connect_namespace(client, '/custom')
    # spec (Disconnection from a namespace): `1/admin,`; "The low-level connection MAY be kept alive if
    # the client is connected to another namespace"
    client.send('41/custom,')
    client.send('42["message","to main"]')
    # node test-suite ("should connect then disconnect from a custom namespace")
    assert client.recv() == '42["message-back","to main"]'


def test_event_after_namespace_disconnect_is_not_delivered(wsf):
    client, _ = wsf.sio()
    connect_namespace(client, '/custom')
    client.send('41/custom,')
    client.send('42/custom,["message","after disconnect"]')
    client.send('42["message","sync"]')
    # spec (Disconnection from a namespace): the namespace is left, its events are not handled;
    # node closes the whole connection here (Client.ondecoded: "invalid state"), which is also fine
    try:
        reply = client.recv()
    except WsClosed:
        return
    assert reply == '42["message-back","sync"]'


def test_reconnect_to_main_namespace_after_disconnect(wsf):
    client, first_sid = wsf.sio()
    client.send('41')
    # spec (Disconnection from a namespace): "No response is expected from the other side"; node: the
    # Engine.IO connection is kept and a new CONNECT is accepted
    client.send('40')
    data = connect_payload(client.recv(), '40')
    assert isinstance(data['sid'], str) and data['sid']


# --------------------------------------------------------------------------- protocol violations


@reference_deviates('an EVENT before any CONNECT is ignored instead of closing the connection')
def test_event_before_connect_closes_connection(wsf):
    client, _ = wsf.open()
    client.send('42["message","too early"]')
    # spec (Connection to a namespace): "If the server does not receive a CONNECT packet first, then it
    # MUST close the connection immediately."
    client.expect_closed(allowed=('1',))


@reference_deviates('an EVENT for a namespace the client is not connected to is ignored')
def test_event_for_unconnected_namespace_closes_connection(wsf):
    client, _ = wsf.sio()
    client.send('42/custom,["message","not connected"]')
    # node (Client.ondecoded): a non-CONNECT packet for a namespace without socket -> "invalid state" -> close
    client.expect_closed(allowed=('1',))


MALFORMED = [
    # (frames sent after connecting to "/", why the connection must be closed)
    pytest.param(
        ['49'], 'spec (Exchange protocol): packet types are 0-6; node: "unknown packet type"', id='unknown-type'
    ),
    pytest.param(
        ['4abc'],
        'node test-suite: "should close the connection upon invalid format (unknown packet type)"',
        id='non-numeric-type',
    ),
    pytest.param(
        ['42["a"'], 'spec (Packet encoding): JSON-stringified payload; node: "invalid payload"', id='invalid-json'
    ),
    pytest.param(
        ['42{}'],
        'spec (Sending and receiving data): EVENT payload MUST be a non-empty array',
        id='event-payload-object',
    ),
    pytest.param(
        ['42[]'],
        'spec (Sending and receiving data): EVENT payload MUST be a non-empty array',
        id='event-payload-empty-array',
    ),
    pytest.param(
        ['42"message"'],
        'spec (Sending and receiving data): EVENT payload MUST be a non-empty array',
        id='event-payload-string',
    ),
    pytest.param(
        ['42abc["message-with-ack"]'], 'node test-suite: "upon invalid format (invalid ack id)"', id='invalid-ack-id'
    ),
    pytest.param(
        ['4299999999999999999999["message-with-ack"]'],
        'decided: an acknowledgement id that does not fit an unsigned 64-bit integer is invalid',
        id='ack-id-out-of-range',
    ),
    pytest.param(
        ['43{}'], 'spec (Acknowledgement): the ACK payload is mandatory and MUST be an array', id='ack-payload-object'
    ),
    pytest.param(
        ['44{"message":"x"}'],
        'node (Client.ondecoded): CONNECT_ERROR from a client is an invalid state',
        id='connect-error-from-client',
    ),
    pytest.param(
        [f'4599999999999-["message",{PLACEHOLDER_0}]', b'\x01'],
        'decided: an attachment count that no real packet has (python-socketio caps it at 10 digits)',
        id='attachment-count-too-large',
    ),
    pytest.param(
        ['45x-["message"]'], 'node (socket.io-parser): "Illegal attachments"', id='attachment-count-not-a-number'
    ),
    pytest.param(
        ['451-["message",{"_placeholder":true,"num":5}]', b'\x01'],
        'node (socket.io-parser reconstructPacket): placeholder num out of range -> "illegal attachments"',
        id='placeholder-out-of-range',
    ),
    pytest.param(
        [b'\x01\x02\x03'],
        'node (socket.io-parser): "got binary data when not reconstructing a packet"',
        id='unexpected-binary-frame',
    ),
]


@pytest.mark.parametrize(('frames', 'why'), MALFORMED)
@reference_deviates('an undecodable Socket.IO packet is logged and ignored, the connection stays open')
def test_malformed_packet_closes_connection(wsf, frames, why):
    client, _ = wsf.sio()
    for frame in frames:
        client.send(frame)
    # spec (Sending and receiving data): "If that's not the case, then the receiver MUST close the
    # connection"; node (Client.ondata): any decoding error closes the connection. Reason: see `why`.
    try:
        client.expect_closed(allowed=('1',))
    except BaseException as exc:
        raise AssertionError(f'connection not closed ({why})') from exc
