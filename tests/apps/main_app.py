"""The one Socket.IO server app that the end-to-end suite drives.

Usage::

    python tests/apps/main_app.py --impl turbosio|socketio --mode native|asgi --port N
        [--async|--sync] [--max-http-buffer-size N] [--ping-interval S --ping-timeout S]

It imports ``turbosio as socketio`` or plain ``socketio`` (python-socketio, the reference) and uses only
python-socketio's documented server API, so the same handlers run on either implementation.

Serving:

- async + native + turbosio: ``turbosio.run(sio, ...)``.
- async otherwise: ``socketio.ASGIApp(sio, other_asgi_app=<FastAPI app>)`` under uvicorn
  (python-socketio has no native server, so impl=socketio serves ``native`` exactly like ``asgi``).
- sync + native + turbosio: ``turbosio.run(sio, ...)``.
- sync otherwise: ``socketio.WSGIApp(sio, wsgi_app=<plain WSGI app>)`` under werkzeug's threaded server,
  which lets python-engineio's threading mode take over the socket for websocket.

The app tells the tests what happened on the server side by printing one JSON object per line on stdout,
always with an ``ev`` key (``connect``, ``connect_refused``, ``disconnect``, ``boom``, ``call_timeout``...).
Handler exceptions are left to the implementation, which logs them (with traceback) on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading

NAMESPACES = ('/', '/chat', '/private')
PRIVATE_TOKEN = 'letmein'
# Nested bytes the server sends, so the tests can check binary attachments going server -> client.
SERVER_BLOB = {'blob': b'\x00\x01\xfe\xff', 'list': [b'abc', {'deep': b'\x10\x00'}], 'text': 'not bytes'}

_print_lock = threading.Lock()


def report(**fact):
    """Print one server-side fact as a JSON line (the sync server calls this from many threads)."""
    line = json.dumps(fact, default=repr, ensure_ascii=True)
    with _print_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument('--async', dest='is_async', action='store_true', default=True)
    flavour.add_argument('--sync', dest='is_async', action='store_false')
    parser.add_argument('--max-http-buffer-size', type=int)
    parser.add_argument('--ping-interval', type=float)
    parser.add_argument('--ping-timeout', type=float)
    return parser.parse_args(argv)


def load_impl(name):
    if name == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    return socketio


def make_server(socketio, args):
    options = {'cors_allowed_origins': '*'}
    if args.max_http_buffer_size is not None:
        options['max_http_buffer_size'] = args.max_http_buffer_size
    if args.ping_interval is not None:
        options['ping_interval'] = args.ping_interval
    if args.ping_timeout is not None:
        options['ping_timeout'] = args.ping_timeout
    if args.is_async:
        return socketio.AsyncServer(async_mode='asgi', **options)
    return socketio.Server(async_mode='threading', **options)


# The handlers are written once, as coroutines, for both server flavours. Every server call goes through
# ``do(...)``: with AsyncServer the call returns an awaitable and ``do`` awaits it; with the sync Server the
# call has already run and ``do`` just hands back its result. So for the sync Server a handler coroutine never
# suspends, and ``as_sync`` runs it to completion with one ``send``, without any event loop.


async def _await_it(awaitable):
    return await awaitable


async def _pass_through(value):
    return value


def as_sync(handler):
    def run_to_completion(*args):
        coro = handler(*args)
        try:
            coro.send(None)
        except StopIteration as done:
            return done.value
        coro.close()
        raise RuntimeError(f'{handler.__name__} suspended, but it runs in a sync server')

    run_to_completion.__name__ = handler.__name__
    return run_to_completion


def make_handlers(sio, socketio, ns, do):  # noqa: C901 - one small closure per event, on purpose
    """Return {event: coroutine function} for namespace ``ns``."""
    refused = socketio.exceptions.ConnectionRefusedError

    async def connect(sid, environ, auth):
        fact = {
            'sid': sid,
            'ns': ns,
            'auth': auth,
            'remote_addr': environ.get('REMOTE_ADDR'),
            'query': environ.get('QUERY_STRING', ''),
        }
        if auth == {'token': 'bad'}:
            report(ev='connect_refused', how='exception', **fact)
            raise refused('bad token', {'code': 401})
        if auth == {'refuse': True}:
            report(ev='connect_refused', how='return_false', **fact)
            return False
        if ns == '/private' and (not isinstance(auth, dict) or auth.get('token') != PRIVATE_TOKEN):
            report(ev='connect_refused', how='private', **fact)
            raise refused('private namespace needs a token')
        await do(sio.save_session(sid, {'auth': auth, 'ns': ns}, namespace=ns))
        report(ev='connect', **fact)
        return None

    async def disconnect(sid, reason):
        # The client's transport and session are still there while its disconnect handler runs.
        try:
            transport = sio.transport(sid, namespace=ns)
        except KeyError:
            transport = 'KeyError'
        try:
            session = await do(sio.get_session(sid, namespace=ns))
        except KeyError:
            session = 'KeyError'
        report(ev='disconnect', sid=sid, ns=ns, reason=reason, transport=transport, session=session)

    async def echo(sid, *args):
        return args

    async def echo_multi(sid, data):
        return 'first', data, {'n': 3}

    async def whoami(sid):
        return {'sid': sid, 'ns': ns}

    async def join(sid, room):
        await do(sio.enter_room(sid, room, namespace=ns))
        return sorted(sio.rooms(sid, namespace=ns))

    async def leave(sid, room):
        await do(sio.leave_room(sid, room, namespace=ns))
        return sorted(sio.rooms(sid, namespace=ns))

    async def rooms(sid):
        return sorted(sio.rooms(sid, namespace=ns))

    async def to_room(sid, data):
        """Emit 'room_msg' to data['room'], then 'marker' to data['marker_room'] (proves who did not get it)."""
        skip_sid = sid if data.get('skip_self') else None
        payload = {'room': data['room'], 'msg': data.get('msg'), 'from': sid}
        await do(sio.emit('room_msg', payload, room=data['room'], skip_sid=skip_sid, namespace=ns))
        if data.get('marker_room'):
            await do(sio.emit('marker', {'room': data['room']}, to=data['marker_room'], namespace=ns))
        return True

    async def close_room(sid, room):
        await do(sio.close_room(room, namespace=ns))
        return True

    async def emit_to_all(sid, data):
        await do(sio.emit('broadcast', data, namespace=ns))
        return True

    async def message(sid, data):
        await do(sio.send(data, to=sid, namespace=ns))

    async def get_session(sid):
        return await do(sio.get_session(sid, namespace=ns))

    async def set_session(sid, data):
        session = await do(sio.get_session(sid, namespace=ns))
        session.update(data)
        await do(sio.save_session(sid, session, namespace=ns))
        return True

    async def call_client(sid, data):
        answer = await do(sio.call('ask', data, to=sid, namespace=ns, timeout=5))
        await do(sio.emit('call_result', {'answer': answer}, to=sid, namespace=ns))

    async def call_timeout(sid, data):
        try:
            answer = await do(sio.call('never_answered', data, to=sid, namespace=ns, timeout=1))
        except Exception as exc:
            result = {'error': type(exc).__name__, 'is_impl_timeout': isinstance(exc, socketio.exceptions.TimeoutError)}
        else:
            result = {'answer': answer}
        report(ev='call_timeout', sid=sid, ns=ns, **result)
        await do(sio.emit('call_timeout_result', result, to=sid, namespace=ns))

    async def boom(sid, data):
        report(ev='boom', sid=sid, ns=ns, data=data)
        raise RuntimeError(f'boom {data}')

    async def server_disconnect(sid):
        await do(sio.disconnect(sid, namespace=ns))

    async def transport(sid):
        return sio.transport(sid, namespace=ns)

    async def binary_echo(sid, data):
        return {'echo': data, 'server': SERVER_BLOB}

    async def binary_emit(sid):
        await do(sio.emit('binary_from_server', SERVER_BLOB, to=sid, namespace=ns))

    async def catch_all(event, sid, *args):
        await do(sio.emit('catch_all', {'event': event, 'args': list(args)}, to=sid, namespace=ns))
        return f'caught {event}'

    handlers = {
        'connect': connect,
        'disconnect': disconnect,
        'echo': echo,
        'echo_multi': echo_multi,
        'whoami': whoami,
        'join': join,
        'leave': leave,
        'rooms': rooms,
        'to_room': to_room,
        'close_room': close_room,
        'emit_to_all': emit_to_all,
        'message': message,
        'get_session': get_session,
        'set_session': set_session,
        'call_client': call_client,
        'call_timeout': call_timeout,
        'boom': boom,
        'server_disconnect': server_disconnect,
        'transport': transport,
        'binary_echo': binary_echo,
        'binary_emit': binary_emit,
        '*': catch_all,
    }
    return handlers


def register_handlers(sio, socketio, is_async):
    do = _await_it if is_async else _pass_through
    for ns in NAMESPACES:
        for event, handler in make_handlers(sio, socketio, ns, do).items():
            sio.on(event, handler if is_async else as_sync(handler), namespace=ns)


def make_fastapi_app():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get('/hello')
    def hello():
        return {'hello': 'world'}

    return app


def hello_wsgi_app(environ, start_response):
    """The sync counterpart of the FastAPI app: GET /hello -> {"hello": "world"}."""
    if environ.get('PATH_INFO') == '/hello' and environ.get('REQUEST_METHOD') == 'GET':
        body = json.dumps({'hello': 'world'}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'not found']


def serve(sio, socketio, args):
    if args.impl == 'turbosio' and args.mode == 'native':
        report(ev='serving', how='turbosio.run')
        print('READY', flush=True)
        socketio.run(sio, host='127.0.0.1', port=args.port)
    elif args.is_async:
        import uvicorn

        app = socketio.ASGIApp(sio, other_asgi_app=make_fastapi_app())
        report(ev='serving', how='uvicorn')
        print('READY', flush=True)
        uvicorn.run(app, host='127.0.0.1', port=args.port, log_level='warning')
    else:
        from werkzeug.serving import make_server as make_wsgi_server

        app = socketio.WSGIApp(sio, wsgi_app=hello_wsgi_app)
        httpd = make_wsgi_server('127.0.0.1', args.port, app, threaded=True)
        report(ev='serving', how='werkzeug')
        print('READY', flush=True)
        httpd.serve_forever()


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    socketio = load_impl(args.impl)
    sio = make_server(socketio, args)
    register_handlers(sio, socketio, args.is_async)
    serve(sio, socketio, args)


if __name__ == '__main__':
    main()
