"""Raw-wire Engine.IO v4 conformance tests.

Every assertion cites the Engine.IO v4 protocol (socketio/engine.io-protocol,
README of the v4 revision) -- "spec:" comments -- or, where the spec is silent,
the behaviour of the reference Node.js server as exercised by the official test
suite (engine.io-protocol test-suite/test-suite.js) -- "node:" comments.

Run against python-socketio with ``TURBOSIO_TEST_IMPL=socketio``; the tests
where python-socketio breaks the spec are marked with ``reference_deviates`` and only run
against turbosio.
"""

import socket
import time
from http.client import HTTPResponse
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
import requests
import websocket
from support.marks import reference_deviates
from support.protocol import (
    ENGINE_PATH,
    FAST_PING_INTERVAL,
    FAST_PING_TIMEOUT,
    HEARTBEAT_MARGIN,
    HTTP_TIMEOUT,
    MAX_HTTP_BUFFER_SIZE,
    RS,
    SLOW_PING_INTERVAL,
    SLOW_PING_TIMEOUT,
    Background,
    WsFactory,
    assert_ws_refused,
    connect_polling_namespace,
    decode_payload,
    eio_params,
    http,
    open_packet,
    poll,
    poll_until,
    polling_handshake,
    post,
)
from support.servers import running_server
from support.tcp import wait_until_read

HANDSHAKE_KEYS = {'sid', 'upgrades', 'pingInterval', 'pingTimeout', 'maxPayload'}
FAST_INTERVAL_S = FAST_PING_INTERVAL / 1000
FAST_TIMEOUT_S = FAST_PING_TIMEOUT / 1000


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope='module')
def server():
    """Heartbeat far longer than any test, so the tests never have to answer pings."""
    with running_server(ping_interval=SLOW_PING_INTERVAL, ping_timeout=SLOW_PING_TIMEOUT) as s:
        yield s


@pytest.fixture(scope='module')
def fast_server():
    """300 ms / 200 ms heartbeat, like the official test suites."""
    with running_server(ping_interval=FAST_PING_INTERVAL, ping_timeout=FAST_PING_TIMEOUT) as s:
        yield s


@pytest.fixture
def wsf(server):
    factory = WsFactory(server)
    yield factory
    factory.close()


@pytest.fixture
def fast_wsf(fast_server):
    factory = WsFactory(fast_server)
    yield factory
    factory.close()


@pytest.fixture
def bg():
    background = Background()
    yield background
    background.close()


class Answer(NamedTuple):
    status_code: int
    text: str


def _read_answer(sock):
    with sock:
        response = HTTPResponse(sock)
        response.begin()
        return Answer(response.status, response.read().decode())


def start_pending_get(bg, server, sid):
    """Send a long-polling GET and return a future of its answer, once the server has read the request."""
    sock = socket.create_connection((server.host, server.port), timeout=HTTP_TIMEOUT)
    query = urlencode(eio_params(sid))
    sock.sendall(f'GET {ENGINE_PATH}?{query} HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n'.encode())
    wait_until_read(server.port, sock.getsockname()[1])
    future = bg.submit(_read_answer, sock)
    assert not future.done(), 'the GET was expected to stay pending (nothing is buffered for the client)'
    return future


def upgrade(wsf, sid):
    """Complete the polling -> WebSocket upgrade of ``sid``; returns the WebSocket client."""
    client = wsf.connect(sid)
    client.send('2probe')
    # spec (Upgrade): the server MUST respond with a pong packet with the string "probe"
    assert client.recv(skip=('6',)) == '3probe'
    client.send('5')
    # '5' is processed before the next frame: a CONNECT answered over WebSocket proves it
    client.send('40')
    reply = client.recv(skip=('6',))
    assert reply.startswith('40{"sid":'), reply
    return client


# --------------------------------------------------------------------------- handshake


def test_polling_handshake_open_packet(server):
    r = http(server, 'GET', eio_params())
    # spec (Handshake): the server MUST respond with an open packet (HTTP 200 over polling)
    assert r.status_code == 200
    # spec (Packet encoding): the handshake response is a single packet, the open packet "0"
    assert RS not in r.text
    data = open_packet(r.text)
    # spec (Handshake): JSON payload with exactly sid, upgrades, pingInterval, pingTimeout, maxPayload
    assert set(data) == HANDSHAKE_KEYS
    assert isinstance(data['sid'], str) and data['sid']
    # spec (Upgrade): "websocket" is the available upgrade from polling
    assert data['upgrades'] == ['websocket']
    # spec (Handshake): pingInterval / pingTimeout are in milliseconds, maxPayload in bytes
    assert data['pingInterval'] == SLOW_PING_INTERVAL
    assert data['pingTimeout'] == SLOW_PING_TIMEOUT
    assert data['maxPayload'] == MAX_HTTP_BUFFER_SIZE


def test_polling_handshake_sids_are_unique(server):
    sids = {polling_handshake(server)[0] for _ in range(5)}
    # spec (Handshake): "sid: The session ID" -- one per session
    assert len(sids) == 5


@reference_deviates('pingInterval is int(seconds) * 1000, so ping_interval=0.3 is announced as 0')
def test_handshake_reports_sub_second_heartbeat_in_milliseconds(fast_server):
    _, data = polling_handshake(fast_server)
    # spec (Handshake): "pingInterval (in milliseconds)", "pingTimeout (in milliseconds)"
    assert data['pingInterval'] == FAST_PING_INTERVAL
    assert data['pingTimeout'] == FAST_PING_TIMEOUT


def test_websocket_handshake_open_packet(wsf):
    client = wsf.connect()
    first = client.recv()
    # spec (Handshake, WebSocket-only session): the first frame is the open packet
    data = open_packet(first)
    assert set(data) == HANDSHAKE_KEYS
    assert isinstance(data['sid'], str) and data['sid']
    # node: a WebSocket-only session has no further upgrade
    assert data['upgrades'] == []
    assert data['pingInterval'] == SLOW_PING_INTERVAL
    assert data['pingTimeout'] == SLOW_PING_TIMEOUT
    assert data['maxPayload'] == MAX_HTTP_BUFFER_SIZE


@pytest.mark.parametrize(
    'params',
    [
        pytest.param({'transport': 'polling'}, id='missing-EIO'),
        pytest.param({'EIO': '3', 'transport': 'polling'}, id='EIO=3'),
        pytest.param({'EIO': 'abc', 'transport': 'polling'}, id='EIO=abc'),
        pytest.param({'EIO': '4', 'transport': 'abc'}, id='unknown-transport'),
    ],
)
def test_polling_handshake_rejects_bad_query(server, params):
    r = http(server, 'GET', params)
    # spec (Query parameters): missing mandatory parameter -> HTTP 400; node: invalid EIO/transport -> 400
    assert r.status_code == 400


@reference_deviates('a missing transport query parameter defaults to polling instead of HTTP 400')
def test_polling_handshake_rejects_missing_transport(server):
    r = http(server, 'GET', {'EIO': '4'})
    # spec (Query parameters): "transport: Mandatory" -> missing -> HTTP 400
    assert r.status_code == 400


def test_post_without_sid_is_rejected(server):
    r = http(server, 'POST', eio_params(), body='40')
    # spec (Handshake): a session is opened with a GET; node: POST without sid -> 400
    assert r.status_code == 400


@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
@reference_deviates('unsupported HTTP methods get 405 Method Not Found instead of 400')
def test_unsupported_method_is_rejected(server, method):
    r = http(server, method, eio_params())
    # node test-suite ("fails with an invalid request method"): HTTP 400
    assert r.status_code == 400
    sid, _ = polling_handshake(server)
    r = http(server, method, eio_params(sid))
    # decided: any method other than GET/POST (and OPTIONS for CORS) on a session -> 400
    assert r.status_code == 400


def test_unknown_sid_is_rejected(server):
    # spec (Receiving data): "MUST return an HTTP 400 response if the session ID ... is not known"
    assert poll(server, 'unknown-sid').status_code == 400
    # spec (Sending data): same rule for POST
    assert post(server, 'unknown-sid', '40').status_code == 400


@pytest.mark.parametrize(
    'query',
    [
        pytest.param({'transport': 'websocket'}, id='missing-EIO'),
        pytest.param({'EIO': '3', 'transport': 'websocket'}, id='EIO=3'),
        pytest.param({'EIO': 'abc', 'transport': 'websocket'}, id='EIO=abc'),
        pytest.param({'EIO': '4', 'transport': 'abc'}, id='unknown-transport'),
        pytest.param({'EIO': '4'}, id='missing-transport'),
        pytest.param({'EIO': '4', 'transport': 'websocket', 'sid': 'unknown-sid'}, id='unknown-sid'),
    ],
)
def test_websocket_handshake_rejects_bad_query(wsf, query):
    # spec (WebSocket): "If a mandatory query parameter is missing, then the server MUST close the
    # WebSocket connection"; node: bad EIO / transport / sid -> the upgrade is refused (HTTP 400)
    assert_ws_refused(wsf, **query)


# --------------------------------------------------------------------------- polling data


@reference_deviates('POST responses carry "OK" instead of "ok"')
def test_polling_post_answers_ok(server):
    sid, _ = polling_handshake(server)
    r = post(server, sid, '40')
    # spec (Sending data): "the server MUST return an HTTP 200 response, with the string ok in the response body"
    assert r.status_code == 200
    assert r.text == 'ok'


def test_polling_post_with_several_packets(server):
    sid, _ = polling_handshake(server)
    body = RS.join(['40', '42["message","a"]', '42["message","b"]'])
    r = post(server, sid, body)
    # spec (Packet encoding, HTTP long-polling): packets separated by \x1e in one payload
    assert r.status_code == 200
    packets, _ = poll_until(server, sid, 3)
    # spec: every packet of the payload is delivered, in order
    assert packets[0].startswith('40{"sid":')
    assert packets[1:] == ['42["message-back","a"]', '42["message-back","b"]']


def test_polling_get_batches_buffered_packets(server, wsf):
    sid, sio_sid = connect_polling_namespace(server)
    other, _ = wsf.sio()
    other.send(f'421["burst-to","{sio_sid}",3]')
    # the ack comes after the three events were queued for the polling client
    assert other.recv() == '431["done"]'
    r = poll(server, sid)
    assert r.status_code == 200
    # spec (Receiving data): buffered packets are encoded together; (Packet encoding) joined by \x1e
    assert r.text == RS.join(['42["burst",0]', '42["burst",1]', '42["burst",2]'])


def test_polling_binary_packets_are_base64(server):
    sid, _ = connect_polling_namespace(server)
    header = '451-["message",{"_placeholder":true,"num":0}]'
    # spec (Packet encoding): binary payloads are base64-encoded and prefixed with "b"
    r = post(server, sid, header + RS + 'bAQIDBA==')
    assert r.status_code == 200
    packets, payloads = poll_until(server, sid, 2)
    assert packets == ['451-["message-back",{"_placeholder":true,"num":0}]', b'\x01\x02\x03\x04']
    # spec (Packet encoding): the server sends the buffer <01 02 03 04> as "bAQIDBA=="
    assert 'bAQIDBA==' in RS.join(payloads).split(RS)


def test_polling_large_responses_are_compressed_when_accepted(server):
    sid, _ = connect_polling_namespace(server)
    text = 'x' * 4000
    assert post(server, sid, f'42["message","{text}"]').status_code == 200
    # compat (python-engineio http_compression): bodies over compression_threshold are gzip-encoded when the
    # client accepts gzip; requests decodes them transparently.
    r = http(server, 'GET', eio_params(sid), headers={'Accept-Encoding': 'gzip'})
    assert r.status_code == 200
    assert r.headers.get('Content-Encoding') == 'gzip'
    assert f'42["message-back","{text}"]' in r.text.split(RS)


def test_polling_small_responses_are_not_compressed(server):
    sid, _ = connect_polling_namespace(server)
    assert post(server, sid, '42["message","hi"]').status_code == 200
    r = http(server, 'GET', eio_params(sid), headers={'Accept-Encoding': 'gzip'})
    assert 'Content-Encoding' not in r.headers
    assert '42["message-back","hi"]' in r.text.split(RS)


@reference_deviates('a GET whose client left still counts, so the next GET waits behind it')
def test_a_poll_whose_client_went_away_does_not_block_the_next_one(server):
    sid, _ = connect_polling_namespace(server)
    # A GET that waits, then its client drops the connection (a browser tab reloading, a proxy timing out).
    raw = socket.create_connection((server.host, server.port), timeout=5)
    raw.sendall(f'GET {ENGINE_PATH}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
    wait_until_read(server.port, raw.getsockname()[1])  # the server is waiting on it
    raw.close()
    # The next GET is the client's only one: it must be served, not refused as overlapping.
    deadline = time.monotonic() + 5
    while True:
        assert post(server, sid, '42["message","after"]').status_code == 200
        r = poll(server, sid)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
    assert r.status_code == 200, r.text
    assert '42["message-back","after"]' in r.text.split(RS)


@reference_deviates('a second concurrent GET is accepted and both GETs hang until the poll timeout')
def test_polling_concurrent_get_closes_session(server, bg):
    sid, _ = polling_handshake(server)
    first = start_pending_get(bg, server, sid)
    second = poll(server, sid)
    # spec (Receiving data): "a client MUST NOT have more than one active GET request. Should it happen,
    # the server MUST return an HTTP 400 error status and close the session"
    assert second.status_code == 400
    r = first.result(timeout=HTTP_TIMEOUT + 1)
    # node test-suite ("closes the session upon duplicate poll requests"): the pending GET gets a close packet
    assert r.status_code == 200
    assert r.text == '1'
    # spec: the session is closed, so its sid is unknown -> 400
    assert poll(server, sid).status_code == 400


@reference_deviates('an oversized POST hangs: disconnect() waits for the packet queue to be drained')
def test_polling_post_over_max_http_buffer_size_is_refused(server):
    sid, _ = polling_handshake(server)
    body = '4' + 'a' * (MAX_HTTP_BUFFER_SIZE + 100)
    r = post(server, sid, body)
    # node (Polling.onDataRequest): a body larger than maxHttpBufferSize is answered with HTTP 413
    assert r.status_code == 413
    # decided: the session is closed as well (python-engineio closes it too), so its sid is unknown
    assert poll(server, sid).status_code == 400


@reference_deviates('a POST without Content-Length (chunked) is read as an empty body and dropped')
def test_polling_chunked_post_is_delivered(server):
    sid, _ = polling_handshake(server)
    r = post(server, sid, iter([b'4', b'0']))  # chunked transfer encoding
    assert r.status_code == 200
    packets, _ = poll_until(server, sid, 1)
    # spec (Sending data): the packets encoded in the POST body are received
    assert packets[0].startswith('40{"sid":')


@reference_deviates('a POST without Content-Length (chunked) is never checked against max_http_buffer_size')
def test_polling_chunked_post_over_max_http_buffer_size_is_refused(server):
    sid, _ = polling_handshake(server)
    chunk = b'a' * 10000
    body = iter([b'4'] + [chunk] * (MAX_HTTP_BUFFER_SIZE // len(chunk) + 1))
    r = post(server, sid, body)
    # node (Polling.onDataRequest counts the bytes received): over maxHttpBufferSize -> HTTP 413
    assert r.status_code == 413
    assert poll(server, sid).status_code == 400


@reference_deviates('the GET after a close packet gets 400 instead of a noop')
def test_polling_close_packet_ends_session(server):
    sid, _ = polling_handshake(server)
    r = post(server, sid, '1')
    # spec (Protocol): close packet "Used to indicate that a transport can be closed"
    assert r.status_code == 200
    # node test-suite ("forcefully closes the session"): the GET that follows the close is answered with a noop,
    # even when it reaches the server after the POST
    r = poll(server, sid)
    assert (r.status_code, r.text) == (200, '6')
    # spec (Receiving data): then the session is gone -> unknown sid -> 400
    assert poll(server, sid).status_code == 400
    assert post(server, sid, '40').status_code == 400


@reference_deviates('the GET after a close packet gets 400 instead of a noop')
def test_polling_close_packet_racing_a_get_answers_it_with_noop(server, bg):
    # node test-suite ("forcefully closes the session"): GET and POST sent together, whichever the server sees
    # first; the GET is answered 200 with a noop either way.
    for _ in range(10):
        sid, _ = polling_handshake(server)
        pending = bg.submit(poll, server, sid, HTTP_TIMEOUT)
        assert post(server, sid, '1').status_code == 200
        r = pending.result(timeout=HTTP_TIMEOUT + 1)
        assert (r.status_code, r.text) == (200, '6')
        assert poll(server, sid).status_code == 400


@reference_deviates('a pending GET is not released when the client sends a close packet')
def test_polling_close_packet_answers_pending_get_with_noop(server, bg):
    sid, _ = polling_handshake(server)
    pending = start_pending_get(bg, server, sid)
    post(server, sid, '1')
    r = pending.result(timeout=HTTP_TIMEOUT + 1)
    # node test-suite ("forcefully closes the session"): the pending GET is answered with a noop packet
    assert r.status_code == 200
    assert r.text == '6'
    assert poll(server, sid).status_code == 400


@pytest.mark.parametrize('body', ['abc', '9', '4hello\x1ex'])
@reference_deviates('an undecodable POST body is logged and answered 200, the session stays open')
def test_polling_malformed_packet_closes_session(server, body):
    sid, _ = polling_handshake(server)
    try:
        r = post(server, sid, body)
    except requests.ConnectionError:
        pass  # node test-suite accepts an aborted request here
    else:
        # node test-suite ("closes the session upon invalid packet format"): HTTP 400
        assert r.status_code == 400
    # node test-suite: the session is closed
    assert poll(server, sid).status_code == 400


# --------------------------------------------------------------------------- websocket data


def test_websocket_message_packets(wsf):
    client, _ = wsf.open()
    # spec (WebSocket): "Each packet (read or write) is sent its own WebSocket frame"
    client.send('40')
    reply = client.recv()
    assert reply.startswith('40{"sid":')
    client.send('42["message","hello"]')
    assert client.recv() == '42["message-back","hello"]'


@pytest.mark.parametrize(
    'frame',
    ['x', pytest.param('9', marks=reference_deviates('an unknown packet type over WebSocket is silently ignored')), ''],
)
def test_websocket_malformed_packet_closes_connection(wsf, server, frame):
    client, data = wsf.open()
    client.send(frame)
    # node test-suite ("closes the session upon invalid packet format"): the connection is closed
    client.expect_closed()
    # spec: the session is gone, its sid is no longer usable
    assert poll(server, data['sid']).status_code == 400


@reference_deviates('a close packet over WebSocket does not close the connection before the ping timeout')
def test_websocket_close_packet_closes_connection(wsf):
    client, _ = wsf.open()
    client.send('1')
    # node test-suite ("forcefully closes the session", WebSocket): the server closes the connection
    client.expect_closed(allowed=())


def test_websocket_frame_over_max_payload_closes_connection(wsf):
    client, _ = wsf.open()
    client.send('4' + 'a' * (MAX_HTTP_BUFFER_SIZE + 100))
    # node (ws maxPayload = maxHttpBufferSize): an oversized frame closes the connection
    client.expect_closed()


def _message_of_size(size):
    """A Socket.IO `message` event whose whole Engine.IO packet is exactly ``size`` bytes."""
    frame = '42["message",""]'
    return frame[:-2] + 'a' * (size - len(frame)) + '"]'


def _close_frame(client):
    """Code and reason of the close frame the server sends next (frames before it must be allowed ones)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        client.ws.settimeout(deadline - time.monotonic())
        opcode, frame = client.ws.recv_data_frame(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            data = bytes(frame.data)
            return int.from_bytes(data[:2], 'big') if len(data) >= 2 else None, data[2:].decode()
        assert opcode != websocket.ABNF.OPCODE_TEXT or frame.data in (b'2', b'6'), frame.data
    pytest.fail('no close frame')


@reference_deviates('an oversized WebSocket message is not closed with 1009 and a reason')
def test_websocket_message_bound_is_max_http_buffer_size_exactly(wsf):
    client, _ = wsf.sio()
    # node (ws maxPayload = maxHttpBufferSize, the whole message counted): a message of exactly the limit passes
    client.send(_message_of_size(MAX_HTTP_BUFFER_SIZE))
    reply = client.recv(skip=('2',))
    assert reply.startswith('42["message-back","aaa') and len(reply) == MAX_HTTP_BUFFER_SIZE + 5
    # ... and one byte more closes the connection with 1009 (message too big) and a reason
    client.send(_message_of_size(MAX_HTTP_BUFFER_SIZE + 1))
    code, reason = _close_frame(client)
    assert code == 1009
    assert reason


# --------------------------------------------------------------------------- heartbeat


def test_polling_heartbeat(fast_server):
    sid, _ = polling_handshake(fast_server)
    for _ in range(4):
        start = time.monotonic()
        r = poll(fast_server, sid, timeout=FAST_INTERVAL_S + FAST_TIMEOUT_S + HEARTBEAT_MARGIN)
        elapsed = time.monotonic() - start
        # spec (Heartbeat): at pingInterval the server sends a ping packet
        assert r.status_code == 200
        assert r.text == '2'
        assert elapsed >= FAST_INTERVAL_S / 2, f'ping after {elapsed:.3f}s, pingInterval is {FAST_INTERVAL_S}s'
        # spec (Heartbeat): the client sends a pong packet back
        assert post(fast_server, sid, '3').status_code == 200


def test_websocket_heartbeat(fast_wsf):
    client, _ = fast_wsf.open()
    for _ in range(4):
        start = time.monotonic()
        # spec (Heartbeat): at pingInterval the server sends a ping packet ...
        assert client.recv(timeout=FAST_INTERVAL_S + FAST_TIMEOUT_S + HEARTBEAT_MARGIN) == '2'
        elapsed = time.monotonic() - start
        assert elapsed >= FAST_INTERVAL_S / 2, f'ping after {elapsed:.3f}s, pingInterval is {FAST_INTERVAL_S}s'
        # ... and the client answers with a pong packet, which keeps the session alive
        client.send('3')


def test_polling_ping_timeout_closes_session(fast_server):
    start = time.monotonic()
    sid, _ = polling_handshake(fast_server)
    deadline = start + FAST_INTERVAL_S + FAST_TIMEOUT_S + HEARTBEAT_MARGIN
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f'session still alive {time.monotonic() - start:.2f}s after the handshake ({seen})'
        try:
            r = poll(fast_server, sid, timeout=remaining)
        except requests.Timeout:
            pytest.fail(f'session still alive {time.monotonic() - start:.2f}s after the handshake ({seen})')
        if r.status_code == 400:
            break
        assert r.status_code == 200
        packets = decode_payload(r.text)
        # only the ping, then possibly the close packet (node) or a noop, may be delivered
        assert set(packets) <= {'1', '2', '6'}, packets
        seen.extend(packets)
    # spec (Heartbeat): without pong the server SHOULD consider the connection closed (within
    # pingInterval + pingTimeout); spec (Receiving data): afterwards the sid is unknown -> 400
    assert '2' in seen, 'the server must send a ping before giving up'


def test_websocket_ping_timeout_closes_connection(fast_server, fast_wsf):
    start = time.monotonic()
    client, data = fast_wsf.open()
    deadline = start + FAST_INTERVAL_S + FAST_TIMEOUT_S + HEARTBEAT_MARGIN
    # spec (Heartbeat): no pong within pingTimeout -> the connection is considered closed
    seen = client.expect_closed(timeout=deadline - time.monotonic(), allowed=('1', '2'))
    assert '2' in seen, 'the server must send a ping before giving up'
    # spec (Receiving data): the session is gone -> 400 for its sid
    assert poll(fast_server, data['sid']).status_code == 400


# --------------------------------------------------------------------------- upgrade


def test_upgrade_from_polling_to_websocket(server, wsf, bg):
    sid, _ = polling_handshake(server)
    pending = start_pending_get(bg, server, sid)
    # spec (Upgrade): open a WebSocket connection with the same session ID and send "2probe"
    client = wsf.connect(sid)
    client.send('2probe')
    # spec (Upgrade): the server responds with a pong packet with the string "probe"
    assert client.recv() == '3probe'
    r = pending.result(timeout=HTTP_TIMEOUT + 1)
    # spec (Upgrade): the server MUST send a noop packet to any pending GET request
    assert r.status_code == 200
    assert r.text == '6'
    # spec (Upgrade): the client completes the upgrade with an upgrade packet
    client.send('5')
    # spec (Message): data now flows over the WebSocket
    client.send('40')
    reply = client.recv(skip=('6',))
    assert reply.startswith('40{"sid":')
    client.send('42["message","over websocket"]')
    assert client.recv(skip=('6',)) == '42["message-back","over websocket"]'


@reference_deviates('a probing WebSocket outlives its timed-out polling session')
def test_a_stalled_upgrade_ends_when_its_polling_session_does(fast_server, fast_wsf):
    sid, _ = polling_handshake(fast_server)
    client = fast_wsf.connect(sid)
    client.send('2probe')
    assert client.recv() == '3probe'
    # No "5" and no polling: the session times out on heartbeats (pingInterval + pingTimeout); the probing
    # WebSocket must not stay open for a session that is gone (node closes a stalled upgrade too).
    client.expect_closed(timeout=(FAST_PING_INTERVAL + FAST_PING_TIMEOUT) / 1000 + 3)
    assert poll(fast_server, sid).status_code == 400


def test_get_during_upgrade_is_answered_with_noop(server, wsf):
    sid, _ = polling_handshake(server)
    client = wsf.connect(sid)
    client.send('2probe')
    assert client.recv() == '3probe'
    r = poll(server, sid)
    # spec (Upgrade): noop to cleanly close HTTP long-polling; node test-suite ("closes any number of
    # polling requests with Noop while upgrading")
    assert r.status_code == 200
    assert r.text == '6'
    client.send('5')
    client.send('40')
    assert client.recv(skip=('6',)).startswith('40{"sid":')


def test_buffered_packets_are_flushed_to_websocket(server, wsf):
    sid, _ = polling_handshake(server)
    # the CONNECT reply is buffered: nobody polls for it
    assert post(server, sid, '40').status_code == 200
    client = wsf.connect(sid)
    client.send('2probe')
    assert client.recv(skip=('6',)) == '3probe'
    client.send('5')
    # spec (Upgrade): no packet gets lost -- the buffered packet arrives over the WebSocket
    assert client.recv(skip=('6',)).startswith('40{"sid":')


def test_polling_rejected_after_upgrade(server, wsf):
    sid, _ = polling_handshake(server)
    client = upgrade(wsf, sid)
    # node test-suite ("ignores HTTP requests with same sid after upgrade"): HTTP 400
    assert poll(server, sid).status_code == 400
    assert post(server, sid, '42["message","x"]').status_code == 400
    # the WebSocket transport is unaffected
    client.send('42["message","still here"]')
    assert client.recv(skip=('6',)) == '42["message-back","still here"]'


def test_polling_rejected_right_after_the_upgrade_packet(server, wsf):
    # node test-suite ("ignores HTTP requests with same sid after upgrade"): the GET is sent as soon as `5` is
    # written, with nothing to prove the server read it first; it must still get 400.
    for _ in range(10):
        sid, _ = polling_handshake(server)
        client = wsf.connect(sid)
        client.send('2probe')
        assert client.recv(skip=('6',)) == '3probe'
        client.send('5')
        assert poll(server, sid).status_code == 400
        client.send('40')
        assert client.recv(skip=('6',)).startswith('40{"sid":')
        client.close()


def _accepted_then_closed(wsf, sid):
    """The WebSocket handshake succeeds (101) and the server closes the connection without sending a frame."""
    second = wsf.connect(sid)  # raises WsRefused on a refused handshake
    assert second.expect_closed(allowed=()) == []


@reference_deviates('a second WebSocket for a session is refused at the handshake')
def test_second_websocket_while_upgrading_is_accepted_then_closed(server, wsf):
    sid, _ = polling_handshake(server)
    client = wsf.connect(sid)
    client.send('2probe')
    assert client.recv(skip=('6',)) == '3probe'
    # node (Server.onWebSocket: "transport has already been trying to upgrade"): accepted, then closed
    _accepted_then_closed(wsf, sid)
    # the first probe is unaffected and completes the upgrade
    client.send('5')
    client.send('40')
    assert client.recv(skip=('6',)).startswith('40{"sid":')


@reference_deviates('a second WebSocket for a session is refused at the handshake')
def test_second_websocket_rejected_after_upgrade(server, wsf):
    sid, _ = polling_handshake(server)
    client = upgrade(wsf, sid)
    # spec (WebSocket): "A client MUST NOT open more than one WebSocket connection per session. Should it
    # happen, the server MUST close the WebSocket connection." node (Server.onWebSocket: "transport had already
    # been upgraded"): the handshake succeeds and the connection is closed at once
    _accepted_then_closed(wsf, sid)
    # node test-suite ("ignores WebSocket connection with same sid after upgrade"): the first one still works
    client.send('42["message","still here"]')
    assert client.recv(skip=('6',)) == '42["message-back","still here"]'
