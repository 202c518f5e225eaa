"""A FastAPI app hosted natively beside Socket.IO on one port: ``turbosio.run(ASGIApp(sio, other_asgi_app=app))``."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from support.clients import AsyncPeers, arun
from support.servers import free_port
from support.settings import APPS_DIR, IMPL
from support.tcp import wait_until_unread

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='native hosting is turbosio-only')
native_only = pytest.mark.parametrize('mode', ['native'], indirect=True)


@native_only
def test_routes_dependencies_middleware_uploads_streams_and_socketio_share_the_port(server, node_scenario):
    srv = server(app='hosted_app.py')
    hello = requests.get(f'{srv.url}/hello', timeout=5)
    assert hello.json() == {'word': 'hello'}
    assert hello.headers['x-served-by'] == 'turbosio'
    upload = requests.post(f'{srv.url}/upload', files={'file': ('data.bin', b'\x00' * 70_000)}, timeout=5)
    assert upload.json() == {'name': 'data.bin', 'size': 70_000}
    stream = requests.get(f'{srv.url}/stream', timeout=5)
    assert stream.text == 'chunk0\nchunk1\nchunk2\n'
    assert requests.get(f'{srv.url}/nowhere', timeout=5).status_code == 404

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            return await peer.sio.call('echo', 'beside FastAPI', timeout=5)

    assert arun(scenario()) == 'beside FastAPI'
    result = node_scenario(srv.url, 'echo_transport', {'payload': 'from node'})
    assert result == {'ack': ['from node'], 'again': ['from node'], 'transport': 'websocket'}


@native_only
def test_a_route_that_raises_gets_500_and_the_server_keeps_serving(server):
    srv = server(app='hosted_app.py')
    assert requests.get(f'{srv.url}/boom', timeout=5).status_code == 500
    srv.wait_for_stderr('kaboom')
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200


@native_only
def test_lifespan_runs_around_the_server(server):
    srv = server(app='hosted_app.py', fresh=True)
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200
    ws = _ws(srv.url, '/ws/echo')
    assert ws.recv() == 'hello 127.0.0.1'
    srv.process.proc.terminate()
    assert _close_code(ws) == 1001  # an open WebSocket route is told the server is going away
    assert srv.process.proc.wait(timeout=10) == 0
    facts = [line['ev'] for line in srv.process._lines if line.get('ev') in ('startup', 'shutdown')]
    assert facts == ['startup', 'shutdown']


def test_failed_startup_exits_non_zero_with_the_apps_error():
    proc = subprocess.run(
        [sys.executable, str(APPS_DIR / 'hosted_app.py'), '--port', str(free_port()), '--fail-startup', 'yes'],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0
    assert 'the database is down' in proc.stderr


def _ws(url: str, path: str, **options):
    import websocket  # websocket-client

    return websocket.create_connection(url.replace('http://', 'ws://') + path, timeout=5, **options)


def _close_code(ws) -> int:
    """Read until the server's close frame and return its code (websocket-client answers it; the socket is then
    released here, as the client's close() no longer does it)."""
    import websocket

    try:
        while True:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], 'big')
    finally:
        ws.shutdown()


@native_only
def test_the_web_apps_own_websocket_routes_work_beside_socketio(server):
    srv = server(app='hosted_app.py')
    ws = _ws(srv.url, '/ws/echo', subprotocols=['chat', 'other'])
    assert ws.getsubprotocol() == 'chat'
    assert ws.recv() == 'hello 127.0.0.1'
    ws.send('ping')
    assert ws.recv() == 'echo:ping'
    ws.send_binary(b'\x00\x01\x02')
    assert ws.recv() == b'\x02\x01\x00'
    ws.send('bye')
    assert _close_code(ws) == 4000

    # The client closing: the app sees websocket.disconnect with the client's code, and the server answers the
    # close frame (a clean close for the client).
    ws = _ws(srv.url, '/ws/echo')
    assert ws.recv() == 'hello 127.0.0.1'
    ws.close(status=4321)
    assert ws.close_frame is not None
    assert int.from_bytes(ws.close_frame.data[:2], 'big') == 4321
    srv.wait_for({'ev': 'ws_disconnect', 'code': 4321})

    # Socket.IO keeps working on the same port meanwhile.
    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['websocket'])
            return await peer.sio.call('echo', 'still here', timeout=5)

    assert arun(scenario()) == 'still here'


def _handshake_status(url: str, path: str) -> int:
    """The HTTP status a WebSocket handshake to ``path`` gets."""
    headers = {
        'Upgrade': 'websocket',
        'Connection': 'Upgrade',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
    }
    return requests.get(url + path, headers=headers, timeout=5).status_code


@native_only
def test_websocket_routes_refuse_push_and_fail_cleanly(server):
    srv = server(app='hosted_app.py')
    assert _handshake_status(srv.url, '/ws/deny') == 403
    assert _handshake_status(srv.url, '/ws/nowhere') == 403  # Starlette refuses an unknown WebSocket route

    ws = _ws(srv.url, '/ws/push')
    assert [ws.recv() for _ in range(3)] == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert _close_code(ws) == 1000  # the app returned: a normal close

    ws = _ws(srv.url, '/ws/boom')
    assert _close_code(ws) == 1011  # the app raised after accepting
    srv.wait_for_stderr('websocket kaboom')
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200


@native_only
def test_an_app_sending_to_a_client_that_does_not_read_waits_for_it(server):
    srv = server(app='hosted_app.py', fresh=True)
    ws = _ws(srv.url, '/ws/flood')
    # The client reads nothing yet: the app's sends must block on it, not pile 128 MiB up in the server.
    with pytest.raises(AssertionError, match='no server line'):
        srv.wait_for({'ev': 'flood_sent'}, timeout=2)
    total = sum(len(ws.recv()) for _ in range(2048))
    assert total == 2048 * 65536
    srv.wait_for({'ev': 'flood_sent'})
    ws.close()


def test_serve_is_for_an_async_server_and_run_takes_a_wsgiapp():
    import turbosio

    sio = turbosio.Server()
    with pytest.raises(TypeError, match='serve\\(\\) needs an AsyncServer'):
        arun(turbosio.serve(turbosio.WSGIApp(sio), port=free_port()))
    with pytest.raises(TypeError, match='WSGIApp'):
        turbosio.run(object())


@native_only
def test_a_streamed_response_waits_for_a_client_that_does_not_read(server):
    srv = server(app='hosted_app.py', fresh=True)
    with requests.get(f'{srv.url}/bigstream', stream=True, timeout=10) as response:
        assert response.status_code == 200
        # Nothing read yet: the app's sends wait for the client instead of buffering 128 MiB in the server.
        with pytest.raises(AssertionError, match='no server line'):
            srv.wait_for({'ev': 'bigstream_sent'}, timeout=2)
        assert sum(len(chunk) for chunk in response.iter_content(1 << 20)) == 2048 * 65536
    srv.wait_for({'ev': 'bigstream_sent'})


@native_only
def test_several_tasks_sending_to_a_slow_client_are_all_let_go(server):
    srv = server(app='hosted_app.py', fresh=True)
    ws = _ws(srv.url, '/ws/flood-twice')
    total = sum(len(ws.recv()) for _ in range(1024))
    assert total == 1024 * 65536
    srv.wait_for({'ev': 'flood_twice_sent'})
    ws.close()


def _chunks(count: int, size: int = 65536):
    block = b'z' * size
    for _ in range(count):
        yield block


@native_only
def test_request_bodies_reach_the_app_in_pieces(server):
    srv = server(app='hosted_app.py')
    # A chunked upload (a generator body has no Content-Length) and a sized one.
    chunked = requests.post(f'{srv.url}/count', data=_chunks(64), timeout=10).json()
    assert chunked['total'] == 64 * 65536
    assert chunked['pieces'] > 1
    sized = requests.post(f'{srv.url}/count', data=b'q' * 1_000_000, timeout=10).json()
    assert sized['total'] == 1_000_000


@native_only
def test_an_upload_waits_for_an_app_that_reads_slowly(server):
    import threading

    srv = server(app='hosted_app.py', fresh=True)
    pid = srv.process.proc.pid

    def rss_mib() -> int:
        with open(f'/proc/{pid}/status') as status:
            return int(next(line for line in status if line.startswith('VmRSS')).split()[1]) // 1024

    before = rss_mib()
    answer: dict = {}
    upload = threading.Thread(
        target=lambda: answer.update(requests.post(f'{srv.url}/slow-upload', data=_chunks(3200), timeout=30).json())
    )
    upload.start()
    try:
        srv.wait_for({'ev': 'upload_started'})
        # The server stops reading the upload's connection: its receive queue fills (the kernel's default window
        # is 128 KiB); without the flow control the server would drain it as fast as the client sends.
        wait_until_unread(srv.port, 64 * 1024)
        assert upload.is_alive()
        # The app reads nothing now, so the server reads only a few pieces ahead and the client waits: the 200 MiB
        # upload is not in the server's memory (it grows by about that much without the flow control).
        assert rss_mib() - before < 64
    finally:
        requests.post(f'{srv.url}/release', timeout=5)
        upload.join(timeout=30)
    assert answer == {'total': 3200 * 65536}


@native_only
def test_an_app_that_answers_before_reading_the_body_is_not_left_waiting_for_it(server):
    srv = server(app='hosted_app.py', fresh=True)
    response = requests.post(f'{srv.url}/answer-first/', data=_chunks(128), timeout=10)  # 8 MiB, streamed
    assert (response.status_code, response.text) == (202, 'accepted')
    # Its later reads end: the rest of the body is cut off once the response is complete.
    assert srv.wait_for({'ev': 'answer_first_done'})['last'] == 'http.disconnect'
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200


@native_only
def test_asgi_misuse_by_the_app_is_a_runtime_error_in_the_app_and_logged(server):
    srv = server(app='hosted_app.py')
    response = requests.get(f'{srv.url}/misuse', timeout=5)
    assert (response.status_code, response.text) == (200, 'complete')  # what was sent before the misuse stands
    logged = srv.wait_for_stderr('after the response completed')
    assert 'RuntimeError' in logged
    assert requests.get(f'{srv.url}/hello', timeout=5).status_code == 200
