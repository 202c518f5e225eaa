"""Raw-wire Engine.IO v4 / Socket.IO v5 helpers for the conformance suites.

The suites talk to ``tests/apps/protocol_app.py`` (``support.servers.ProtocolServer``) over raw HTTP
(``requests``) and raw WebSocket (``websocket-client``); no Socket.IO client library is involved.
"""

import base64
import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

ENGINE_PATH = '/socket.io/'
RS = '\x1e'  # Engine.IO v4 payload separator (spec: "Packet encoding / HTTP long-polling")

HTTP_TIMEOUT = 5.0  # upper bound for any request that the server should answer promptly
WS_TIMEOUT = 5.0
# The server must end a session whose client stops answering pings within
# pingInterval + pingTimeout; this is the scheduling slack granted on top.
HEARTBEAT_MARGIN = 0.6

# Heartbeat settings of the two server flavours used by the tests (milliseconds).
SLOW_PING_INTERVAL = 10000
SLOW_PING_TIMEOUT = 5000
FAST_PING_INTERVAL = 300
FAST_PING_TIMEOUT = 200
MAX_HTTP_BUFFER_SIZE = 50000


# --------------------------------------------------------------------------- polling


def eio_params(sid=None, transport='polling', **extra):
    params = {'EIO': '4', 'transport': transport}
    if sid is not None:
        params['sid'] = sid
    params.update(extra)
    return params


def http(server, method, params=None, body=None, timeout=HTTP_TIMEOUT, headers=None):
    return requests.request(method, server.base_url, params=params, data=body, timeout=timeout, headers=headers)


def open_packet(text):
    assert text.startswith('0'), f'expected an Engine.IO open packet, got {text!r}'
    return json.loads(text[1:])


def polling_handshake(server):
    """Open a polling session; returns (sid, handshake dict)."""
    r = http(server, 'GET', eio_params())
    assert r.status_code == 200, (r.status_code, r.text)
    data = open_packet(r.text)
    return data['sid'], data


def decode_payload(text):
    """Split a v4 polling payload into packets; ``b``-prefixed packets become bytes."""
    packets = []
    for raw in text.split(RS):
        packets.append(base64.b64decode(raw[1:]) if raw.startswith('b') else raw)
    return packets


def poll(server, sid, timeout=HTTP_TIMEOUT):
    return http(server, 'GET', eio_params(sid), timeout=timeout)


def post(server, sid, body, timeout=HTTP_TIMEOUT, headers=None):
    return http(server, 'POST', eio_params(sid), body=body, timeout=timeout, headers=headers)


def poll_until(server, sid, count, timeout=HTTP_TIMEOUT, skip=('2', '6')):
    """GET until ``count`` packets (ignoring ``skip``) arrived; returns (packets, payloads)."""
    deadline = time.monotonic() + timeout
    packets, payloads = [], []
    while len(packets) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f'timed out waiting for {count} packets, got {packets!r}'
        r = poll(server, sid, timeout=remaining)
        assert r.status_code == 200, (r.status_code, r.text, packets)
        payloads.append(r.text)
        packets.extend(p for p in decode_payload(r.text) if p not in skip)
    return packets, payloads


def connect_polling_namespace(server, namespace='/'):
    """Polling session connected to a Socket.IO namespace; returns (eio sid, sio sid)."""
    sid, _ = polling_handshake(server)
    prefix = '40' if namespace == '/' else f'40{namespace},'
    r = post(server, sid, prefix)
    assert r.status_code == 200, (r.status_code, r.text)
    packets, _ = poll_until(server, sid, 1)
    assert packets[0].startswith(prefix + '{'), packets
    return sid, json.loads(packets[0][len(prefix) :])['sid']


class Background:
    """Run blocking calls (typically long-polling GETs) in worker threads."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=4)

    def submit(self, fn, *args, **kwargs):
        return self._pool.submit(fn, *args, **kwargs)

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- websocket


class WsClosed(Exception):
    """The server closed the WebSocket connection."""


class WsRefused(Exception):
    """The server refused the WebSocket handshake (no 101)."""


class WsClient:
    """Thin raw WebSocket client: one Engine.IO packet per frame."""

    def __init__(self, url, timeout=WS_TIMEOUT):
        try:
            self.ws = websocket.create_connection(url, timeout=timeout)
        except websocket.WebSocketBadStatusException as exc:
            raise WsRefused(exc.status_code) from exc
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
            raise WsRefused(repr(exc)) from exc

    def send(self, data):
        if isinstance(data, bytes):
            self.ws.send_binary(data)
        else:
            self.ws.send(data)

    def recv(self, timeout=WS_TIMEOUT, skip=()):
        """Next text (str) or binary (bytes) frame, skipping packets listed in ``skip``.

        Raises WsClosed when the server closes the connection and fails the test
        when nothing arrives before ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            data = self._next_frame(deadline, f'no WebSocket frame within {timeout}s')
            if data is not None and data not in skip:
                return data

    def expect_closed(self, timeout=WS_TIMEOUT, allowed=('1', '2', '6')):
        """Wait until the server closes the connection; returns the frames seen before.

        Any frame not in ``allowed`` (Engine.IO close, ping and noop by default)
        fails the test.
        """
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                data = self._next_frame(deadline, f'connection still open after {timeout}s (frames seen: {seen!r})')
            except WsClosed:
                return seen
            if data is not None:
                assert data in allowed, f'unexpected frame {data!r} while waiting for the connection to close'
                seen.append(data)

    def _next_frame(self, deadline, failure):
        """The next data frame's text (str) or bytes, or None for a ping or pong; fails the test with ``failure``
        at ``deadline``, raises WsClosed when the server closes the connection."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(failure)
        self.ws.settimeout(remaining)
        try:
            opcode, frame = self.ws.recv_data_frame(control_frame=True)
        except websocket.WebSocketTimeoutException:
            pytest.fail(failure)
        except (websocket.WebSocketConnectionClosedException, OSError) as exc:  # OSError: e.g. a reset
            raise WsClosed(repr(exc)) from exc
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise WsClosed('close frame')
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return frame.data.decode('utf-8')
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return bytes(frame.data)
        return None

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close(timeout=1)
        self.ws.shutdown()  # close() is a no-op once the server dropped the connection


class WsFactory:
    """Creates WebSocket clients and closes them all at teardown."""

    def __init__(self, server):
        self.server = server
        self.clients = []

    def connect(self, sid=None, **params):
        query = eio_params(sid, transport='websocket')
        query.update(params)
        client = WsClient(self.server.ws_url(**query))
        self.clients.append(client)
        return client

    def connect_raw(self, **query):
        client = WsClient(self.server.ws_url(**query))
        self.clients.append(client)
        return client

    def open(self):
        """WebSocket-only Engine.IO session; returns (client, handshake dict)."""
        client = self.connect()
        return client, open_packet(client.recv())

    def sio(self, namespace='/', auth=None):
        """Engine.IO session over WebSocket connected to a Socket.IO namespace; returns (client, sio sid).

        For ``/custom`` the ``auth`` event emitted by its connect handler is consumed too.
        """
        client, _ = self.open()
        return client, connect_namespace(client, namespace, auth)

    def close(self):
        for client in self.clients:
            client.close()


def sio_prefix(packet_type, namespace):
    """``4`` + Socket.IO packet type + ``<namespace>,`` unless it is the main namespace."""
    return f'4{packet_type}' if namespace == '/' else f'4{packet_type}{namespace},'


def connect_namespace(client, namespace='/', auth=None):
    """Send CONNECT for ``namespace`` on an open session; returns the Socket.IO sid."""
    prefix = sio_prefix(0, namespace)
    client.send(prefix + (json.dumps(auth, separators=(',', ':')) if auth is not None else ''))
    frames = [client.recv(skip=('2',))]
    if namespace == '/custom':
        frames.append(client.recv(skip=('2',)))
        assert any(f.startswith(f'42{namespace},["auth",') for f in frames), frames
    connects = [f for f in frames if f.startswith(prefix + '{')]
    assert len(connects) == 1, frames
    return json.loads(connects[0][len(prefix) :])['sid']


def assert_ws_refused(factory, timeout=WS_TIMEOUT, **query):
    """The handshake is rejected, or the connection is closed without an open packet."""
    try:
        client = factory.connect_raw(**query)
    except WsRefused:
        return
    seen = client.expect_closed(timeout=timeout, allowed=())
    assert seen == []
