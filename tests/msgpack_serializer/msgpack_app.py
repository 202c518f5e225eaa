"""A msgpack Socket.IO server for tests/msgpack_serializer/, in three implementations, all with
``serializer='msgpack'``.

Usage::

    python tests/msgpack_serializer/msgpack_app.py --impl turbosio|turbosio-asgi|socketio|node --port N [--sync]

- ``turbosio``: ``turbosio.AsyncServer`` (``Server`` with ``--sync``) served by ``turbosio.run``.
- ``turbosio-asgi``: turbosio's ``AsyncServer`` in a ``turbosio.ASGIApp`` under uvicorn (the external driver).
- ``socketio``: python-socketio's ``AsyncServer`` in an ``ASGIApp`` under uvicorn.
- ``node``: ``tests/js/msgpack_server.js`` (Node's socket.io 4.8 with ``socket.io-msgpack-parser``).

Handlers, on ``/`` and ``/chat``:

- connect: refused with ``'not welcome'`` and data ``{'code': 4001}`` when the auth has ``refuse``; else the
  client gets ``welcome`` with its auth.
- ``echo``: emits ``echo_reply`` with the same arguments to the caller and acks them.
- ``join``: enters the room named by its argument and acks ``True``.
- ``shout``: ``[room, payload]``: emits ``shouted`` with the payload to the room, skipping nobody; acks ``True``.
- ``types``: acks one value of every type python-socketio hands out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

NAMESPACES = ('/', '/chat')
JS_SERVER = Path(__file__).resolve().parent.parent / 'js' / 'msgpack_server.js'
TYPES = {
    'int': -5,
    'big': 2**53,
    'float': 1.5,
    'str': 'é',
    'bytes': b'\x00\xff',
    'none': None,
    'list': [True, False],
}


def register_async(sio, socketio, ns: str) -> None:
    async def connect(sid, environ, auth=None):
        if isinstance(auth, dict) and auth.get('refuse'):
            raise socketio.exceptions.ConnectionRefusedError('not welcome', {'code': 4001})
        await sio.emit('welcome', auth, to=sid, namespace=ns)

    async def echo(sid, *args):
        await sio.emit('echo_reply', args, to=sid, namespace=ns)
        return args

    async def join(sid, room):
        await sio.enter_room(sid, room, namespace=ns)
        return True

    async def shout(sid, room, payload):
        await sio.emit('shouted', payload, room=room, namespace=ns)
        return True

    async def types(sid):
        return TYPES

    for handler in (connect, echo, join, shout, types):
        sio.on(handler.__name__, handler, namespace=ns)


def register_sync(sio, socketio, ns: str) -> None:
    def connect(sid, environ, auth=None):
        if isinstance(auth, dict) and auth.get('refuse'):
            raise socketio.exceptions.ConnectionRefusedError('not welcome', {'code': 4001})
        sio.emit('welcome', auth, to=sid, namespace=ns)

    def echo(sid, *args):
        sio.emit('echo_reply', args, to=sid, namespace=ns)
        return args

    def join(sid, room):
        sio.enter_room(sid, room, namespace=ns)
        return True

    def shout(sid, room, payload):
        sio.emit('shouted', payload, room=room, namespace=ns)
        return True

    def types(sid):
        return TYPES

    for handler in (connect, echo, join, shout, types):
        sio.on(handler.__name__, handler, namespace=ns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'turbosio-asgi', 'socketio', 'node'], required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--sync', action='store_true')
    args = parser.parse_args()
    if args.impl == 'node':
        node = shutil.which('node')
        if node is None:
            sys.exit('node is not installed')
        os.execv(node, [node, str(JS_SERVER), str(args.port)])
    if args.impl.startswith('turbosio'):
        import turbosio as socketio
    else:
        import socketio
    options = {'serializer': 'msgpack', 'cors_allowed_origins': '*', 'ping_interval': 2, 'ping_timeout': 5}
    if args.sync:
        sio = socketio.Server(**options)
        register = register_sync
    else:
        sio = socketio.AsyncServer(async_mode='asgi', **options)
        register = register_async
    for ns in NAMESPACES:
        register(sio, socketio, ns)
    if args.impl == 'turbosio':
        socketio.run(sio, host='127.0.0.1', port=args.port, log_level='warning')
    else:
        import uvicorn

        uvicorn.run(socketio.ASGIApp(sio), host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
