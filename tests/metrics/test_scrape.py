"""``/metrics`` scraped over real sockets, natively and from ASGIApp under uvicorn, while real clients
(python-socketio, node's socket.io-client, raw WebSocket and HTTP peers) connect, emit, ack, join rooms, let an
ack time out, upgrade, send bad input and stop reading."""

from __future__ import annotations

import socket

import pytest
import requests
import socketio
import turbosio
import websocket
from support.settings import IMPL, MODES, WAIT_TIMEOUT

from .helpers import CONTENT_TYPE, NativeThread, make_server, scrape, serve, value, wait_for, wait_until

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='metrics are turbosio-only')

ENGINE = '/socket.io/'


@pytest.fixture(params=MODES)
def served(request):
    """A fresh server with metrics at /metrics, in each serving mode."""
    server = serve(request.param, make_server(max_http_buffer_size=10_000, max_queue_bytes=200_000))
    yield server
    server.stop()


def connected_client(url: str, transports=None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=transports, wait_timeout=WAIT_TIMEOUT)
    return client


def raw_websocket(url: str, **options) -> websocket.WebSocket:
    """A Socket.IO client over a raw WebSocket, connected to '/'."""
    ws = websocket.create_connection(
        url.replace('http', 'ws') + ENGINE + '?EIO=4&transport=websocket', timeout=WAIT_TIMEOUT, **options
    )
    assert ws.recv().startswith('0{')
    ws.send('40')
    assert ws.recv().startswith('40{"sid":')
    return ws


def test_connections_events_acks_and_rooms_are_counted(served):
    before = scrape(served.url)
    assert value(before, 'turbosio_sessions', transport='websocket') == 0
    assert value(before, 'turbosio_events_received_total') == 0
    client = connected_client(served.url, transports=['websocket'])
    try:
        assert client.call('echo', {'n': 1}, timeout=WAIT_TIMEOUT) == {'n': 1}
        assert client.call('join', 'lobby', timeout=WAIT_TIMEOUT) == 'joined'
        samples = scrape(served.url)
        assert value(samples, 'turbosio_sessions', transport='websocket') == 1
        assert value(samples, 'turbosio_sessions_opened_total', transport='websocket') == 1
        assert value(samples, 'turbosio_sockets', namespace='/') == 1
        assert value(samples, 'turbosio_rooms', namespace='/') == 1
        assert value(samples, 'turbosio_events_received_total') == 2
        # open, connect, two events in; open, connect answer, two acks out (plus any ping)
        assert value(samples, 'turbosio_packets_received_total') >= 3
        assert value(samples, 'turbosio_packets_sent_total') >= 4
        assert value(samples, 'turbosio_bytes_received_total') >= len('40') + len('420["echo",{"n":1}]')
        assert value(samples, 'turbosio_bytes_sent_total') > value(samples, 'turbosio_packets_sent_total')
        # Both handlers were timed (a coroutine handler's time reaches Rust the loop iteration after it ends).
        samples = wait_for(served.url, 'turbosio_handler_duration_seconds_count', 2)
        assert value(samples, 'turbosio_handler_duration_seconds_bucket', le='+Inf') == value(
            samples, 'turbosio_handler_duration_seconds_count'
        )
        assert value(samples, 'turbosio_handler_duration_seconds_sum') > 0
    finally:
        client.disconnect()
    samples = wait_until(
        served.url, lambda s: value(s, 'turbosio_sessions', transport='websocket') == 0, 'the session closed'
    )
    # A namespace without sockets (or rooms) has no sample, or a zero.
    assert samples.get(('turbosio_sockets', (('namespace', '/'),)), 0) == 0
    assert samples.get(('turbosio_rooms', (('namespace', '/'),)), 0) == 0


def test_an_ack_that_never_comes_is_counted(served):
    ws = raw_websocket(served.url)
    try:
        ws.send('421["ask"]')
        question = ws.recv()
        assert question.startswith('42') and '"question"' in question  # never answered
        assert ws.recv() == '431["timed out"]'
    finally:
        ws.close()
    samples = scrape(served.url)
    assert value(samples, 'turbosio_ack_timeouts_total') == 1
    assert value(samples, 'turbosio_acks_received_total') == 0


def test_upgrades_and_abandoned_upgrades_are_counted(served, node_scenario):
    result = node_scenario(served.url, 'echo_transport', {'payload': 'hi'})
    assert result['transport'] == 'websocket' and result['again'] == ['hi']
    wait_for(served.url, 'turbosio_upgrades_total', 1)
    # A polling session whose probing WebSocket goes away before `5`.
    text = requests.get(served.url + ENGINE, params={'EIO': '4', 'transport': 'polling'}, timeout=WAIT_TIMEOUT).text
    sid = text.split('"sid":"', 1)[1].split('"', 1)[0]
    probe = websocket.create_connection(
        served.url.replace('http', 'ws') + ENGINE + f'?EIO=4&transport=websocket&sid={sid}', timeout=WAIT_TIMEOUT
    )
    probe.send('2probe')
    assert probe.recv() == '3probe'
    probe.close()
    samples = wait_for(served.url, 'turbosio_upgrade_failures_total', 1)
    assert value(samples, 'turbosio_upgrades_total') == 1
    assert value(samples, 'turbosio_sessions_opened_total', transport='polling') == 2


def test_refused_input_is_counted_by_reason(served):
    url = served.url + ENGINE
    get = lambda **params: requests.get(url, params=params, timeout=WAIT_TIMEOUT)  # noqa: E731
    assert get(EIO='4', transport='carrier-pigeon').status_code == 400
    assert get(EIO='3', transport='polling').status_code == 400
    assert get(EIO='4', transport='polling', sid='nobody').status_code == 400
    assert requests.post(url, params={'EIO': '4', 'transport': 'polling'}, timeout=WAIT_TIMEOUT).status_code == 400
    # An oversize POST on a real session (max_http_buffer_size=10000).
    sid = get(EIO='4', transport='polling').text.split('"sid":"', 1)[1].split('"', 1)[0]
    params = {'EIO': '4', 'transport': 'polling', 'sid': sid}
    big = requests.post(url, params=params, data=b'4' + b'x' * 20_000, timeout=WAIT_TIMEOUT)
    assert big.status_code == 413
    # A frame that is no Engine.IO packet.
    ws = raw_websocket(served.url)
    try:
        ws.send('z')
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
            while True:  # the server closes the session; whatever it sent first is read on the way
                ws.recv()
    finally:
        ws.close()
    samples = wait_for(served.url, 'turbosio_rejected_total', 1, reason='malformed_packet')
    for reason, count in [
        ('transport_unknown', 1),
        ('unsupported_protocol_version', 1),
        ('session_id_unknown', 1),
        ('bad_handshake_method', 1),
        ('oversize_payload', 1),
        ('malformed_packet', 1),
        ('forbidden', 0),
    ]:
        assert value(samples, 'turbosio_rejected_total', reason=reason) == count, reason


def test_a_client_that_stops_reading_is_counted_as_a_slow_client(served):
    # A raw client with a tiny receive buffer asks for far more than max_queue_bytes (200 kB) and reads none.
    ws = raw_websocket(served.url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    try:
        ws.send('42["flood",400,100000]')
        samples = wait_for(served.url, 'turbosio_slow_client_disconnects_total', 1, cause='outbox_full')
    finally:
        ws.shutdown()
    assert value(samples, 'turbosio_slow_client_disconnects_total', cause='write_timeout') == 0


def test_only_the_exact_path_answers_and_head_has_no_body(served):
    for path in ('/metrics/', '/metricsx', '/Metrics'):
        assert requests.get(served.url + path, timeout=WAIT_TIMEOUT).status_code == 404, path
    head = requests.head(served.url + '/metrics', timeout=WAIT_TIMEOUT)
    assert head.status_code == 200 and head.content == b''
    assert head.headers['content-type'] == CONTENT_TYPE
    assert requests.post(served.url + '/metrics', timeout=WAIT_TIMEOUT).status_code == 405


@pytest.mark.parametrize('mode', MODES)
def test_no_metrics_path_by_default(mode):
    server = serve(mode, make_server(), metrics_path=None)
    try:
        assert requests.get(server.url + '/metrics', timeout=WAIT_TIMEOUT).status_code == 404
    finally:
        server.stop()


@pytest.mark.parametrize('mode', MODES)
def test_without_a_metrics_path_the_path_reaches_the_other_app(mode):
    async def other(scope, receive, send):
        if scope['type'] == 'lifespan':
            while (await receive())['type'] != 'lifespan.shutdown':
                await send({'type': 'lifespan.startup.complete'})
            await send({'type': 'lifespan.shutdown.complete'})
            return
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'the app answered ' + scope['path'].encode()})

    if mode == 'native':  # turbosio.serve hosting the ASGIApp: other paths go to the hosted app
        server = NativeThread(turbosio.ASGIApp(make_server(), other_asgi_app=other))
    else:
        server = serve(mode, make_server(), metrics_path=None, other_asgi_app=other)
    try:
        assert requests.get(server.url + '/metrics', timeout=WAIT_TIMEOUT).text == 'the app answered /metrics'
    finally:
        server.stop()
