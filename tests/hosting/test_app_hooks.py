"""The hooks python-socketio users override on ASGIApp and WSGIApp (``not_found``, ``serve_static_file``,
``lifespan``), and ``Middleware``, python-socketio's old name for WSGIApp.

Each app runs in this process on a free port: ASGIApp under uvicorn on a thread's event loop, WSGIApp under
werkzeug's threaded server. ``TURBOSIO_TEST_IMPL=socketio`` runs the same tests against python-socketio.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from support.clients import arun
from support.inprocess import UvicornThread, WerkzeugThread
from support.settings import IMPL

sio_impl: Any = importlib.import_module(IMPL)


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / 'page.txt').write_text('a static page')
    return tmp_path


def _async_echo_server() -> Any:
    sio = sio_impl.AsyncServer(async_mode='asgi')

    @sio.event
    async def echo(sid, data):
        return data

    return sio


# -- ASGIApp --------------------------------------------------------------------------------------------------------


class HookedASGIApp(sio_impl.ASGIApp):
    """Overrides every hook, as an application would."""

    calls: list[str]

    async def not_found(self, receive, send):
        self.calls.append('not_found')
        await send({'type': 'http.response.start', 'status': 404, 'headers': [(b'content-type', b'text/html')]})
        await send({'type': 'http.response.body', 'body': b'<h1>nothing here</h1>'})

    async def serve_static_file(self, static_file, receive, send):
        self.calls.append('serve_static_file')
        body = await asyncio.to_thread(Path(static_file['filename']).read_bytes)
        headers = [(b'content-type', static_file['content_type'].encode()), (b'x-served-by', b'subclass')]
        await send({'type': 'http.response.start', 'status': 200, 'headers': headers})
        await send({'type': 'http.response.body', 'body': body})

    async def lifespan(self, scope, receive, send):
        self.calls.append('lifespan')
        await super().lifespan(scope, receive, send)


@pytest.fixture
def hooked_asgi(static_dir: Path) -> Iterator[tuple[HookedASGIApp, UvicornThread, list[str]]]:
    events: list[str] = []
    app = HookedASGIApp(
        _async_echo_server(),
        static_files={'/page': {'filename': str(static_dir / 'page.txt'), 'content_type': 'text/plain'}},
        on_startup=lambda: events.append('startup'),
        on_shutdown=lambda: events.append('shutdown'),
    )
    app.calls = []
    server = UvicornThread(app)
    yield app, server, events
    server.stop()


def test_asgi_not_found_override_answers_unknown_paths(hooked_asgi):
    app, server, _ = hooked_asgi
    answer = requests.get(f'{server.url}/missing', timeout=5)
    assert (answer.status_code, answer.text) == (404, '<h1>nothing here</h1>')
    assert answer.headers['content-type'] == 'text/html'
    assert app.calls.count('not_found') == 1


def test_asgi_serve_static_file_override_serves_the_static_map(hooked_asgi):
    app, server, _ = hooked_asgi
    answer = requests.get(f'{server.url}/page', timeout=5)
    assert (answer.status_code, answer.text, answer.headers['x-served-by']) == (200, 'a static page', 'subclass')
    assert 'serve_static_file' in app.calls


def test_asgi_lifespan_override_wraps_the_hooks(hooked_asgi):
    app, server, events = hooked_asgi
    assert app.calls[0] == 'lifespan'
    assert events == ['startup']
    server.stop()
    assert events == ['startup', 'shutdown']


def test_asgi_socketio_still_served_by_a_subclass(hooked_asgi):
    _, server, _ = hooked_asgi

    async def scenario():
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(server.url)
        try:
            return await client.call('echo', 'through a subclass', timeout=5)
        finally:
            await client.disconnect()

    assert arun(scenario()) == 'through a subclass'


def test_asgi_default_not_found_is_a_plain_404():
    server = UvicornThread(sio_impl.ASGIApp(_async_echo_server()))
    try:
        answer = requests.get(f'{server.url}/missing', timeout=5)
        assert (answer.status_code, answer.text) == (404, 'Not Found')
    finally:
        server.stop()


# -- WSGIApp and Middleware -----------------------------------------------------------------------------------------


def _sync_echo_server() -> Any:
    sio = sio_impl.Server(async_mode='threading')

    @sio.event
    def echo(sid, data):
        return data

    return sio


class HookedWSGIApp(sio_impl.WSGIApp):
    def not_found(self, start_response):
        start_response('404 Not Found', [('Content-Type', 'text/html'), ('X-Served-By', 'subclass')])
        return [b'<h1>nothing here</h1>']


def _polling_echo(url: str, payload: Any) -> Any:
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=['polling'], wait_timeout=5)
    try:
        return client.call('echo', payload, timeout=5)
    finally:
        client.disconnect()


def test_wsgi_not_found_override_answers_unknown_paths():
    server = WerkzeugThread(HookedWSGIApp(_sync_echo_server()))
    try:
        answer = requests.get(f'{server.url}/missing', timeout=5)
        assert (answer.status_code, answer.text, answer.headers['x-served-by']) == (
            404,
            '<h1>nothing here</h1>',
            'subclass',
        )
        assert _polling_echo(server.url, 'beside a custom 404') == 'beside a custom 404'
    finally:
        server.stop()


def test_middleware_is_a_wsgiapp_without_static_files():
    def wsgi_app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'from the wrapped app']

    middleware = sio_impl.Middleware(_sync_echo_server(), wsgi_app, socketio_path='/sio/')
    assert isinstance(middleware, sio_impl.WSGIApp)
    assert middleware.static_files == {}
    server = WerkzeugThread(middleware)
    try:
        assert requests.get(f'{server.url}/elsewhere', timeout=5).text == 'from the wrapped app'
        client = socketio.Client(reconnection=False)
        client.connect(server.url, transports=['polling'], socketio_path='sio', wait_timeout=5)
        try:
            assert client.call('echo', {'via': 'Middleware'}, timeout=5) == {'via': 'Middleware'}
        finally:
            client.disconnect()
    finally:
        server.stop()


def test_middleware_signature_matches_python_socketio():
    import inspect

    reference = inspect.signature(socketio.Middleware.__init__).parameters
    ours = inspect.signature(sio_impl.Middleware.__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in reference.values()]
