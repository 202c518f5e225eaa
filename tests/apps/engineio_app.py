"""A bare Engine.IO server app: ``turbosio.engineio`` or python-engineio, echoing messages.

Usage: ``python tests/apps/engineio_app.py --impl turbosio|socketio --mode native|asgi --port N [--async|--sync]``.
Prints one JSON fact per line (connect, message, disconnect), like main_app.py.
"""

from __future__ import annotations

import argparse
import json
import sys


def report(**fact):
    sys.stdout.write(json.dumps(fact, default=repr) + '\n')
    sys.stdout.flush()


def build(engineio, is_async: bool, cors):
    server = engineio.AsyncServer(async_mode='asgi', cors_allowed_origins=cors) if is_async else engineio.Server(
        async_mode='threading', cors_allowed_origins=cors
    )

    @server.on('connect')
    def connect(sid, environ):
        report(ev='connect', sid=sid, remote_addr=environ.get('REMOTE_ADDR'))
        if 'refuse=1' in environ.get('QUERY_STRING', ''):
            return False
        return None

    def echo(sid, data):
        binary = not isinstance(data, str)
        report(ev='message', sid=sid, data=data.hex() if binary else data, binary=binary)
        return server.send(sid, data)

    if is_async:

        @server.on('message')
        async def message(sid, data):
            await echo(sid, data)

    else:
        server.on('message', echo)

    @server.on('disconnect')
    def disconnect(sid, reason=None):
        report(ev='disconnect', sid=sid, reason=reason)

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--sync', action='store_true')
    parser.add_argument('--async', dest='is_async', action='store_true')
    parser.add_argument('--cors-only', default=None, help='allow only this origin, through a callable')
    args = parser.parse_args()
    if args.impl == 'turbosio':
        import turbosio
        import turbosio.engineio as engineio
    else:
        import engineio
    cors = '*'
    if args.cors_only:
        allowed = args.cors_only
        cors = lambda origin: origin == allowed  # noqa: E731 - a callable is what is being tested
    server = build(engineio, not args.sync, cors)
    if args.impl == 'turbosio' and args.mode == 'native':
        turbosio.run(server, host='127.0.0.1', port=args.port, log_level=None)
        return
    if args.sync:
        from werkzeug.serving import run_simple

        run_simple('127.0.0.1', args.port, engineio.WSGIApp(server), threaded=True)
        return
    import uvicorn

    uvicorn.run(engineio.ASGIApp(server), host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
