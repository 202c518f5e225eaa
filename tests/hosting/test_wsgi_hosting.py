"""A Flask app beside Socket.IO on one port through ``WSGIApp(sio, wsgi_app=flask_app)``: hosted natively by
``turbosio.run`` (Rust answers Socket.IO, Flask runs on worker threads), and under gunicorn's threaded worker and
eventlet, which hand the WebSocket's socket over to turbosio's runtime."""

from __future__ import annotations

import http.client
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio
from support.clients import AsyncPeers, arun
from support.settings import IMPL

pytestmark = pytest.mark.parametrize('mode', ['native'], indirect=True)

SERVERS = ['turbosio', 'gunicorn', 'eventlet']
on_every_server = pytest.mark.parametrize('wsgi_server', SERVERS)


def _start(server, wsgi_server: str, **options):
    pytest.importorskip('flask')
    if wsgi_server == 'turbosio':
        if IMPL != 'turbosio':
            pytest.skip('python-socketio has no native server')
    else:
        pytest.importorskip(wsgi_server)
    return server(app='flask_app.py', sync=True, server=wsgi_server, **options)


def _key() -> str:
    """A name of this test's own for the per-key events of a server shared with other tests."""
    return uuid.uuid4().hex


def _environ(port: int, path: str, headers: list[tuple[str, str]]) -> tuple[int, dict]:
    """GET ``path`` with exactly these headers (duplicates kept); returns (client port, the app's environ)."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.connect()
        client_port = conn.sock.getsockname()[1]
        conn.putrequest('GET', path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 200
        return client_port, json.loads(response.read())
    finally:
        conn.close()


@on_every_server
def test_flask_routes_static_files_and_socketio_share_the_port(server, wsgi_server):
    srv = _start(server, wsgi_server)
    assert requests.get(f'{srv.url}/hello', timeout=10).json() == {'hello': 'world'}
    assert requests.get(f'{srv.url}/path/caf%C3%A9', timeout=10).json() == {'name': 'café'}
    form = requests.post(
        f'{srv.url}/form', data={'who': 'flask'}, files={'upload': ('blob.bin', b'\x00' * 70_000)}, timeout=10
    )
    assert form.json() == {'form': {'who': 'flask'}, 'files': {'upload': 70_000}}
    posted = requests.post(f'{srv.url}/json', json={'n': [1, 2, 3], 'text': 'é'}, timeout=10)
    assert posted.json() == {'got': {'n': [1, 2, 3], 'text': 'é'}, 'length': len(posted.request.body)}
    assert requests.get(f'{srv.url}/static/hello.txt', timeout=10).text == 'hello from a static file\n'
    missing = requests.get(f'{srv.url}/nowhere', timeout=10)
    assert missing.status_code == 404
    assert 'Not Found' in missing.text  # Flask's own page: the request reached Flask

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['websocket'])
            return await peer.sio.call('echo', {'beside': 'flask'}, timeout=10)

    assert arun(scenario()) == {'beside': 'flask'}


@on_every_server
def test_sync_client_talks_socketio_between_flask_requests(server, wsgi_server):
    srv = _start(server, wsgi_server)
    client = socketio.Client(reconnection=False)
    client.connect(srv.url, wait_timeout=10)
    try:
        assert client.call('echo', 'before', timeout=10) == 'before'
        assert requests.get(f'{srv.url}/hello', timeout=10).json() == {'hello': 'world'}
        assert client.call('echo', 'after', timeout=10) == 'after'
    finally:
        client.disconnect()


@on_every_server
def test_flask_sees_a_pep3333_environ_with_the_real_client_address(server, wsgi_server):
    srv = _start(server, wsgi_server)
    client_port, environ = _environ(
        srv.port, '/environ?a=1&a=2&b=%C3%A9', [('X-Tag', 'one'), ('X-Tag', 'two'), ('X_Tag', 'spoofed')]
    )
    assert environ['REMOTE_ADDR'] == '127.0.0.1'
    assert environ['remote_addr'] == '127.0.0.1'
    assert environ['REMOTE_PORT'] == str(client_port)
    assert environ['REQUEST_METHOD'] == 'GET'
    assert environ['SCRIPT_NAME'] == ''
    assert environ['PATH_INFO'] == '/environ'
    assert environ['QUERY_STRING'] == 'a=1&a=2&b=%C3%A9'
    assert environ['args'] == {'a': ['1', '2'], 'b': ['é']}
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('127.0.0.1', str(srv.port))
    assert environ['HTTP_HOST'] == f'127.0.0.1:{srv.port}'
    # Repeated headers are joined; a name with '_' must not pass for the same header.
    assert environ['HTTP_X_TAG'] == 'one,two'
    assert environ['wsgi.url_scheme'] == 'http'
    assert environ['wsgi.version'] == [1, 0]
    assert environ['wsgi.multithread'] is True
    assert (environ['wsgi.multiprocess'], environ['wsgi.run_once']) == (False, False)
    assert environ['errors_writable'] is True
    if wsgi_server == 'turbosio':
        assert environ['SERVER_PROTOCOL'] == 'HTTP/1.1'
        assert 'CONTENT_LENGTH' not in environ  # a GET without a body


@on_every_server
def test_a_streamed_response_reaches_the_client_as_it_is_produced(server, wsgi_server):
    srv = _start(server, wsgi_server)
    key = _key()
    with requests.get(f'{srv.url}/stream/{key}', stream=True, timeout=15) as response:
        assert 'content-length' not in response.headers
        lines = response.iter_lines()
        # The view holds its second chunk until /open: had the first one been buffered, it would only arrive
        # after the view gave up, and the second line would say so.
        assert next(lines) == b'first'
        assert requests.get(f'{srv.url}/open/{key}', timeout=10).json() == {'opened': key}
        assert list(lines) == [b'second']


@on_every_server
def test_the_response_iterable_is_closed(server, wsgi_server):
    srv = _start(server, wsgi_server)
    key = _key()
    assert requests.get(f'{srv.url}/closing/{key}', timeout=10).text == 'closing body'
    srv.wait_for({'ev': 'closed', 'key': key})


@on_every_server
def test_start_response_write_and_exc_info(server, wsgi_server):
    srv = _start(server, wsgi_server)
    assert requests.get(f'{srv.url}/wsgi/write', timeout=10).text == 'written,returned'
    recovered = requests.get(f'{srv.url}/wsgi/recover', timeout=10)
    assert (recovered.status_code, recovered.text) == (503, 'recovered')
    if wsgi_server != 'gunicorn':  # gunicorn keeps the first call's headers beside the second's
        assert 'x-stale' not in recovered.headers


@on_every_server
def test_failing_views_get_500_and_the_server_keeps_serving(server, wsgi_server):
    srv = _start(server, wsgi_server)
    flask_error = requests.get(f'{srv.url}/boom', timeout=10)
    assert flask_error.status_code == 500
    srv.wait_for_stderr('flask kaboom')
    # The WSGI callable itself raising (no Flask error handler in between) is the server's to answer.
    assert requests.get(f'{srv.url}/wsgi/boom', timeout=10).status_code == 500
    if wsgi_server != 'eventlet':  # eventlet puts the traceback in the response instead (log_output=False)
        srv.wait_for_stderr('wsgi kaboom')
    assert requests.get(f'{srv.url}/hello', timeout=10).json() == {'hello': 'world'}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(transports=['websocket'])
            return await peer.sio.call('echo', 'still here', timeout=10)

    assert arun(scenario()) == 'still here'


def test_a_stream_that_fails_midway_is_logged_and_the_server_keeps_serving(server):
    srv = _start(server, 'turbosio')
    with requests.get(f'{srv.url}/wsgi/broken-stream', stream=True, timeout=10) as response:
        assert response.status_code == 200
        chunks = []
        # The body is cut, not ended: the client can tell the response is incomplete.
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for chunk in response.iter_content(None):
                chunks.append(chunk)
    assert b''.join(chunks) == b'partial\n'
    logged = srv.wait_for_stderr('stream kaboom')
    assert 'exception in WSGI application' in logged
    assert requests.get(f'{srv.url}/hello', timeout=10).json() == {'hello': 'world'}


def test_a_request_body_is_read_as_it_arrives(server):
    srv = _start(server, 'turbosio')

    def chunks():
        for _ in range(64):
            yield b'w' * 65536

    # A large chunked upload streams (no length: wsgi.input_terminated says reading to the end is safe); a small
    # chunked one arrives whole and gets its exact CONTENT_LENGTH (Django reads no further than that); a sized one
    # keeps its own.
    assert requests.post(f'{srv.url}/wsgi/count', data=chunks(), timeout=10).text == f'{64 * 65536} None'
    small = requests.post(f'{srv.url}/wsgi/count', data=iter([b'a' * 1000, b'b' * 24]), timeout=10)
    assert small.text == '1024 1024'
    sized = requests.post(f'{srv.url}/wsgi/count', data=b'v' * 1_000_000, timeout=10)
    assert sized.text == '1000000 1000000'


def test_a_streamed_response_waits_for_a_client_that_does_not_read(server):
    srv = _start(server, 'turbosio')
    start = srv.process.line_count()
    with requests.get(f'{srv.url}/wsgi/bigstream', stream=True, timeout=10) as response:
        assert response.status_code == 200
        # Nothing read yet: the worker blocks on the client instead of buffering 128 MiB in the server.
        with pytest.raises(AssertionError, match='no server line'):
            srv.process.wait_for({'ev': 'bigstream_sent'}, timeout=2, start=start)
        assert sum(len(chunk) for chunk in response.iter_content(1 << 20)) == 2048 * 65536
    srv.process.wait_for({'ev': 'bigstream_sent'}, start=start)


def test_a_slow_view_does_not_hold_up_socketio(server):
    srv = _start(server, 'turbosio')
    key = _key()
    client = socketio.Client(reconnection=False)
    client.connect(srv.url, wait_timeout=10)
    try:
        with requests.Session() as session:
            # The view waits for a Socket.IO event that only a free pump thread can deliver.
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(session.get, f'{srv.url}/wait/{key}', timeout=15)
                srv.wait_for({'ev': 'waiting', 'key': key})
                assert client.call('release', key, timeout=10) == 'released'
                assert waiting.result().json() == {'released': True}
    finally:
        client.disconnect()


@pytest.mark.parametrize('wsgi_server', ['turbosio', 'gunicorn'])
def test_views_run_in_parallel(server, wsgi_server):
    srv = _start(server, wsgi_server)
    key = _key()
    # Each view waits at a barrier for the other: served one at a time, both would give up.
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: requests.get(f'{srv.url}/meet/{key}', timeout=15).json(), range(2)))
    assert answers == [{'met': True}, {'met': True}]


def test_static_files_without_a_wsgi_app(server):
    srv = _start(server, 'turbosio', bare='yes')
    assert requests.get(f'{srv.url}/static/hello.txt', timeout=10).text == 'hello from a static file\n'
    assert requests.get(f'{srv.url}/static/%2e%2e/flask_app.py', timeout=10).status_code == 404
    assert requests.get(f'{srv.url}/hello', timeout=10).status_code == 404

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            return await peer.sio.call('echo', 'no flask', timeout=10)

    assert arun(scenario()) == 'no flask'


@on_every_server
def test_official_js_client_beside_flask(server, node_scenario, wsgi_server):
    srv = _start(server, wsgi_server)
    result = node_scenario(srv.url, 'transport', {})
    del result['initial']  # the upgrade may be over before the scenario looks
    assert result == {'client': 'websocket', 'server': 'websocket', 'echo': ['over the wire']}
    assert requests.get(f'{srv.url}/hello', timeout=10).json() == {'hello': 'world'}


def test_sigterm_stops_the_server_with_a_stream_open_and_a_view_stuck(server):
    srv = _start(server, 'turbosio', fresh=True)
    key = _key()
    stuck = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=15)
    try:
        with requests.get(f'{srv.url}/forever', stream=True, timeout=15) as endless:
            assert next(endless.iter_lines()) == b'tick'
            stuck.request('GET', f'/stuck/{key}')  # its view waits far longer than this test does
            srv.wait_for({'ev': 'stuck', 'key': key})
            srv.process.proc.terminate()
            assert srv.process.proc.wait(timeout=15) == 0
        # Stopping ended the endless response properly rather than leaving it to die with the process.
        srv.wait_for({'ev': 'forever closed'})
    finally:
        stuck.close()
