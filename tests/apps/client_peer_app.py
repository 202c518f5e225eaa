"""The Socket.IO server that the client tests (``tests/client/``) talk to, in three implementations.

Usage::

    python tests/apps/client_peer_app.py --impl node|socketio|turbosio --port N [--mode native|asgi]
        [--ping-interval S]

- ``node``: runs ``tests/js/client_peer_server.js`` (Node's socket.io 4.8) in this process's place.
- ``socketio``: python-socketio's ``AsyncServer`` in an ``ASGIApp`` under uvicorn.
- ``turbosio``: turbosio's ``AsyncServer`` served natively by ``turbosio.run``.

All three have the same handlers on namespaces ``/`` and ``/chat`` and print the same JSON facts, one per line
(``{"ev": "connect", "ns": ..., "sid": ..., "auth": ..., "transport": ..., "x_test": <X-Test header>}``,
``record``, ``answer``, ``disconnect``):

- connect: refused with ``'not welcome'`` and data ``{'code': 4001}`` when the auth has ``refuse``.
- ``echo``: emits ``echo_reply`` back with the same arguments and acks them too.
- ``record``: prints its arguments (bytes as ``{"$hex": ...}``) and acks ``'recorded'``.
- ``ask``: emits ``spec['event']`` with ``spec['data']`` to the client, waits for its ack and acks that back.
- ``burst``: emits ``seq`` with 0, 1, ... ``n - 1`` to the client, in that order.
- ``disconnect_me``: the server disconnects the client from that namespace.
- Nothing listens to any other event, so a ``call`` of it gets no ack.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

NAMESPACES = ('/', '/chat')
JS_SERVER = Path(__file__).resolve().parent.parent / 'js' / 'client_peer_server.js'
ASK_TIMEOUT = 5


def printable(value):
    if isinstance(value, bytes):
        return {'$hex': value.hex()}
    if isinstance(value, (list, tuple)):
        return [printable(item) for item in value]
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    return value


def report(**fact):
    sys.stdout.write(json.dumps(printable(fact), default=repr) + '\n')
    sys.stdout.flush()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['node', 'socketio', 'turbosio'], required=True)
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    # Short, so that a polling client's disconnect, which waits for its pending long-poll, ends soon.
    parser.add_argument('--ping-interval', type=float, default=2.0)
    return parser.parse_args(argv)


def register(sio, socketio, ns: str) -> None:
    async def connect(sid, environ, auth=None):
        if isinstance(auth, dict) and auth.get('refuse'):
            raise socketio.exceptions.ConnectionRefusedError('not welcome', {'code': 4001})
        transport = sio.transport(sid, namespace=ns)
        report(ev='connect', ns=ns, sid=sid, auth=auth, transport=transport, x_test=environ.get('HTTP_X_TEST'))

    async def echo(sid, *args):
        await sio.emit('echo_reply', args, to=sid, namespace=ns)
        return args

    async def record(sid, *args):
        report(ev='record', ns=ns, sid=sid, args=list(args))
        return 'recorded'

    async def ask(sid, spec):
        answer = await sio.call(spec['event'], spec.get('data'), to=sid, namespace=ns, timeout=ASK_TIMEOUT)
        report(ev='answer', ns=ns, sid=sid, answer=answer)
        return answer

    async def burst(sid, n):
        for i in range(n):
            await sio.emit('seq', i, to=sid, namespace=ns)

    async def disconnect_me(sid):
        await sio.disconnect(sid, namespace=ns)

    async def disconnect(sid, reason=None):
        report(ev='disconnect', ns=ns, sid=sid, reason=reason)

    for handler in (connect, echo, record, ask, burst, disconnect_me, disconnect):
        sio.on(handler.__name__, handler, namespace=ns)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.impl == 'node':
        node = shutil.which('node')
        if node is None:
            sys.exit('node is not installed')
        os.execv(node, [node, str(JS_SERVER), str(args.port), str(int(args.ping_interval * 1000))])
    if args.impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    sio = socketio.AsyncServer(
        async_mode='asgi', cors_allowed_origins='*', ping_interval=args.ping_interval, ping_timeout=5
    )
    for ns in NAMESPACES:
        register(sio, socketio, ns)
    if args.impl == 'turbosio':
        report(ev='serving', how='turbosio.run')
        socketio.run(sio, host='127.0.0.1', port=args.port, log_level='warning')
    else:
        import uvicorn

        report(ev='serving', how='uvicorn')
        uvicorn.run(socketio.ASGIApp(sio), host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
