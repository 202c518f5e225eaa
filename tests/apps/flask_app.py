"""A Flask app and the threaded Socket.IO server on one port: ``WSGIApp(sio, wsgi_app=flask_app)``, served by
turbosio itself (``turbosio.run``), by gunicorn's threaded worker or by eventlet's WSGI server.

    python tests/apps/flask_app.py --impl turbosio|socketio --port N --server turbosio|gunicorn|eventlet [--bare yes]

gunicorn is started from its command line as users start it (its worker imports ``flask_app:app``), so the
choices travel in environment variables. ``--bare yes`` leaves Flask out: ``WSGIApp(sio, static_files=...)``.
Facts the tests wait for are printed as JSON lines on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

HERE = Path(__file__).resolve().parent
WAIT = 10.0  # seconds a view waits for the test's next step before giving up (the test then fails)
STUCK = 120.0  # seconds /stuck holds its thread: longer than any test waits for the server to stop

_print_lock = threading.Lock()


def report(**fact: Any) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps(fact) + '\n')
        sys.stdout.flush()


class Rendezvous:
    """Per-key events and barriers that views and Socket.IO handlers share (keys keep shared servers' tests apart)."""

    def __init__(self, green: bool) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}
        self._barriers: dict[str, threading.Barrier] = {}
        self._green = green

    def event(self, key: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(key, threading.Event())

    def barrier(self, key: str) -> threading.Barrier:
        with self._lock:
            return self._barriers.setdefault(key, threading.Barrier(2, timeout=WAIT))

    def wait(self, key: str) -> bool:
        """Wait for ``key`` to be set; under eventlet (one OS thread) by yielding, so other requests still run."""
        event = self.event(key)
        if not self._green:
            return event.wait(WAIT)
        import eventlet

        deadline = time.monotonic() + WAIT
        while not event.is_set() and time.monotonic() < deadline:
            eventlet.sleep(0.01)
        return event.is_set()


def make_flask(spots: Rendezvous) -> Flask:
    web = Flask(__name__)
    _plain_routes(web)
    _waiting_routes(web, spots)
    return web


def _plain_routes(web: Flask) -> None:
    @web.get('/hello')
    def hello() -> Any:
        return {'hello': 'world'}

    @web.get('/environ')
    def environ() -> Any:
        keys = [
            'REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_NAME', 'SERVER_PORT',
            'SERVER_PROTOCOL', 'REMOTE_ADDR', 'REMOTE_PORT', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'HTTP_X_TAG',
            'HTTP_HOST', 'wsgi.url_scheme', 'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once', 'wsgi.version',
        ]
        env = request.environ
        found = {key: env[key] for key in keys if key in env}
        found['wsgi.version'] = list(found.get('wsgi.version', ()))
        found['args'] = request.args.to_dict(flat=False)
        found['remote_addr'] = request.remote_addr
        found['errors_writable'] = callable(getattr(env.get('wsgi.errors'), 'write', None))
        return found

    @web.get('/path/<name>')
    def path(name: str) -> Any:
        return {'name': name}

    @web.post('/form')
    def form() -> Any:
        files = {name: len(upload.read()) for name, upload in request.files.items()}
        return {'form': request.form.to_dict(), 'files': files}

    @web.post('/json')
    def json_body() -> Any:
        return {'got': request.get_json(), 'length': request.content_length}

    @web.get('/closing/<key>')
    def closing(key: str) -> Response:
        response = Response('closing body', mimetype='text/plain')
        response.call_on_close(lambda: report(ev='closed', key=key))
        return response

    @web.get('/boom')
    def boom() -> Any:
        raise ValueError('flask kaboom')


def _waiting_routes(web: Flask, spots: Rendezvous) -> None:
    """Views that wait for the test's next step, or for each other."""

    @web.get('/stream/<key>')
    def stream(key: str) -> Response:
        # The second chunk waits for the test, which first reads the first one: a buffered response never
        # shows it, and this view gives up and says so.
        def chunks() -> Iterator[str]:
            yield 'first\n'
            yield 'second\n' if spots.wait(key) else 'gave up waiting\n'

        # eventlet holds back chunks under 4 KiB unless told otherwise, per request.
        request.environ['eventlet.minimum_write_chunk_size'] = 0

        return Response(chunks(), mimetype='text/plain')

    @web.get('/open/<key>')
    def open_gate(key: str) -> Any:
        spots.event(key).set()
        return {'opened': key}

    @web.get('/wait/<key>')
    def wait(key: str) -> Any:
        report(ev='waiting', key=key)
        return {'released': spots.wait(key)}

    @web.get('/stuck/<key>')
    def stuck(key: str) -> Any:
        report(ev='stuck', key=key)
        return {'released': spots.event(key).wait(STUCK)}

    @web.get('/meet/<key>')
    def meet(key: str) -> Any:
        try:
            spots.barrier(key).wait()
        except threading.BrokenBarrierError:
            return {'met': False}
        return {'met': True}

    @web.get('/forever')
    def forever() -> Response:
        def ticks() -> Iterator[str]:
            try:
                while True:
                    yield 'tick\n'
                    time.sleep(0.05)  # the behaviour served: an endless, slow stream
            finally:
                report(ev='forever closed')  # the server closed the response (PEP 3333 close())

        return Response(ticks(), mimetype='text/plain')


def bare_wsgi(flask_app: Flask) -> Callable[..., Any]:
    """Paths that exercise WSGI itself (no Flask in the way), then Flask."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ['PATH_INFO']
        if path == '/wsgi/boom':
            raise RuntimeError('wsgi kaboom')
        if path == '/wsgi/write':
            write = start_response('200 OK', [('Content-Type', 'text/plain')])
            write(b'written,')
            return [b'returned']
        if path == '/wsgi/recover':
            start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Stale', 'yes')])
            try:
                raise KeyError('late failure')
            except KeyError:
                start_response('503 Service Unavailable', [('Content-Type', 'text/plain')], sys.exc_info())
            return [b'recovered']
        if path == '/wsgi/count':
            # Reads the body to its end in small reads, as input_terminated allows even without a length.
            stream, total = environ['wsgi.input'], 0
            while chunk := stream.read(65536):
                total += len(chunk)
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [f'{total} {environ.get("CONTENT_LENGTH")}'.encode()]
        if path == '/wsgi/bigstream':
            # 128 MiB for a client that reads slowly: the worker must wait for it rather than queue it all.
            start_response('200 OK', [('Content-Type', 'application/octet-stream')])
            return _big_stream()
        if path == '/wsgi/broken-stream':
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return _broken_stream()
        return flask_app(environ, start_response)

    return app


def _big_stream() -> Iterator[bytes]:
    block = b'x' * 65536
    for _ in range(2048):
        yield block
    report(ev='bigstream_sent')


def _broken_stream() -> Iterator[bytes]:
    yield b'partial\n'
    raise RuntimeError('stream kaboom')


def build(impl: str, server: str, bare: bool) -> tuple[Any, Any]:
    if impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    # python-socketio would pick eventlet whenever it is installed; under gunicorn's threads it must not.
    async_mode = 'eventlet' if server == 'eventlet' else 'threading'
    sio = socketio.Server(async_mode=async_mode, cors_allowed_origins='*')
    spots = Rendezvous(green=server == 'eventlet')

    @sio.event
    def echo(sid: str, data: Any) -> Any:
        return data

    @sio.event
    def transport(sid: str) -> Any:
        return sio.transport(sid)

    @sio.event
    def release(sid: str, key: str) -> str:
        spots.event(key).set()
        return 'released'

    static = {'/static': str(HERE / 'static')}
    if bare:
        return sio, socketio.WSGIApp(sio, static_files=static)
    return sio, socketio.WSGIApp(sio, wsgi_app=bare_wsgi(make_flask(spots)), static_files=static)


if __name__ != '__main__' and os.environ.get('FLASK_APP_SERVER') == 'gunicorn':
    # Imported by gunicorn's worker.
    sio, app = build(os.environ['FLASK_APP_IMPL'], 'gunicorn', os.environ['FLASK_APP_BARE'] == 'yes')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', default='native')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--sync', action='store_true')
    parser.add_argument('--server', choices=['turbosio', 'gunicorn', 'eventlet'], required=True)
    parser.add_argument('--bare', choices=['yes', 'no'], default='no')
    args = parser.parse_args()
    if args.server == 'gunicorn':
        os.environ.update({'FLASK_APP_IMPL': args.impl, 'FLASK_APP_SERVER': args.server, 'FLASK_APP_BARE': args.bare})
        command = ['gunicorn', '-k', 'gthread', '--threads', '8', '-w', '1', '-b', f'127.0.0.1:{args.port}']
        command += ['--chdir', str(HERE), '--graceful-timeout', '2', '--log-level', 'warning', 'flask_app:app']
        os.execv(sys.executable, [sys.executable, '-m', *command])
    _, app = build(args.impl, args.server, args.bare == 'yes')
    if args.server == 'eventlet':
        import eventlet
        import eventlet.wsgi

        eventlet.wsgi.server(eventlet.listen(('127.0.0.1', args.port)), app, log_output=False)
    else:
        import turbosio

        turbosio.run(app, host='127.0.0.1', port=args.port)


if __name__ == '__main__':
    main()
