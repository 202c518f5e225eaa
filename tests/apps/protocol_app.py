"""Socket.IO server used by the raw-wire protocol conformance tests.

Usage::

    python tests/apps/protocol_app.py --impl turbosio|socketio --port N \
        [--ping-interval MS] [--ping-timeout MS] [--max-http-buffer-size N]

``--impl turbosio`` serves the app with ``turbosio.run`` and ``--impl socketio``
serves the very same handlers with python-socketio behind uvicorn, which is the
reference the tests are validated against.

The handlers mirror the server described by the official Socket.IO v5 test
suite (socketio/socket.io-protocol, "Test suite" section of the README):

* namespaces ``/`` and ``/custom`` accept connections; every other namespace is
  unknown;
* a CONNECT whose auth payload is ``{"fail": true}`` is refused with
  ``ConnectionRefusedError('auth failed', {'x': 1})``;
* ``/custom`` emits ``auth`` (echoing the CONNECT payload) from its connect
  handler, so the tests can check that CONNECT is answered before that event;
* ``message`` echoes its arguments back as ``message-back`` (binary included);
* ``message-with-ack`` acknowledges with its own arguments;
* ``call-me-back`` makes the server emit ``hello`` with an ack callback; the
  callback reports the client's ack arguments as a ``hello-ack`` event;
* ``burst-to`` emits ``count`` ``burst`` events to another sid, then acks
  ``"done"``: once the caller holds the ack, all the events are queued.
"""

import argparse
import os


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=('turbosio', 'socketio'), default='turbosio')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--ping-interval', type=int, default=25000, help='milliseconds')
    parser.add_argument('--ping-timeout', type=int, default=20000, help='milliseconds')
    parser.add_argument('--max-http-buffer-size', type=int, default=1_000_000, help='bytes')
    return parser.parse_args(argv)


def build_server(socketio, args):
    # python-socketio takes the heartbeat settings in seconds
    sio = socketio.AsyncServer(
        async_mode='asgi',
        ping_interval=args.ping_interval / 1000.0,
        ping_timeout=args.ping_timeout / 1000.0,
        max_http_buffer_size=args.max_http_buffer_size,
        cors_allowed_origins='*',
    )
    register_connect_handlers(sio, socketio)
    for namespace in ('/', '/custom'):
        register_echo_handlers(sio, namespace)
    register_main_handlers(sio)
    return sio


def register_connect_handlers(sio, socketio):
    def check_auth(auth):
        if auth == {'fail': True}:
            raise socketio.exceptions.ConnectionRefusedError('auth failed', {'x': 1})

    @sio.on('connect')
    async def connect(sid, environ, auth=None):
        check_auth(auth)

    @sio.on('connect', namespace='/custom')
    async def connect_custom(sid, environ, auth=None):
        check_auth(auth)
        await sio.emit('auth', auth if auth is not None else {}, to=sid, namespace='/custom')


def as_emit_data(args):
    # a tuple is sent as several arguments, exactly like Node's emit(...args)
    return args[0] if len(args) == 1 else tuple(args)


def register_echo_handlers(sio, namespace):
    @sio.on('message', namespace=namespace)
    async def message(sid, *args):
        await sio.emit('message-back', as_emit_data(args), to=sid, namespace=namespace)

    @sio.on('message-with-ack', namespace=namespace)
    async def message_with_ack(sid, *args):
        return tuple(args)


def register_main_handlers(sio):
    @sio.on('call-me-back')
    async def call_me_back(sid, *args):
        async def on_ack(*ack_args):
            await sio.emit('hello-ack', tuple(ack_args), to=sid)

        await sio.emit('hello', 1, to=sid, callback=on_ack)

    @sio.on('burst-to')
    async def burst_to(sid, target, count):
        for i in range(count):
            await sio.emit('burst', i, to=target)
        return 'done'


def main(argv=None):
    args = parse_args(argv)
    if args.impl == 'turbosio' and os.environ.get('TURBOSIO_PROTOCOL_DRIVER') == 'aiohttp':
        import turbosio as socketio
        from aiohttp import web

        sio = build_server(socketio, args)
        app = web.Application()
        sio.attach(app)
        web.run_app(app, host=args.host, port=args.port, print=None)
    elif args.impl == 'turbosio' and os.environ.get('TURBOSIO_PROTOCOL_DRIVER') != 'asgi':
        import turbosio as socketio

        sio = build_server(socketio, args)
        socketio.run(sio, host=args.host, port=args.port)
    elif args.impl == 'turbosio':
        # The same conformance suite through turbosio's ASGI driver under uvicorn.
        import turbosio as socketio
        import uvicorn

        sio = build_server(socketio, args)
        uvicorn.run(socketio.ASGIApp(sio), host=args.host, port=args.port, log_level='warning')
    else:
        import socketio
        import uvicorn

        sio = build_server(socketio, args)
        uvicorn.run(socketio.ASGIApp(sio), host=args.host, port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
