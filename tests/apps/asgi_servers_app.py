"""The Socket.IO app beside FastAPI through ASGIApp, under another ASGI server (hypercorn or granian).

    python tests/apps/asgi_servers_app.py --impl turbosio|socketio --mode asgi --port N --server hypercorn|granian

granian is started as users start it, from its command line: its worker process imports this module, so the
implementation travels in an environment variable rather than on the command line.
"""

import argparse
import os
import sys

from fastapi import FastAPI

if os.environ.get('ASGI_SERVERS_APP_IMPL', 'turbosio') == 'turbosio':
    import turbosio as socketio
else:
    import socketio

web = FastAPI()


@web.get('/hello')
def hello():
    return {'hello': 'world'}


sio = socketio.AsyncServer(async_mode='asgi')


@sio.event
async def echo(sid, data):
    return data


@sio.event
async def shout(sid, data):
    await sio.emit('shouted', str(data).upper(), to=sid)


@sio.event
async def peer(sid):
    """The peer as the environ gives it, and as the ASGI server gave it in scope['client']."""
    environ = sio.get_environ(sid)
    client = environ['asgi.scope']['client']
    return {'environ': [environ['REMOTE_ADDR'], environ['REMOTE_PORT']], 'scope': [str(client[0]), str(client[1])]}


app = socketio.ASGIApp(sio, other_asgi_app=web)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', default='asgi')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--async', dest='is_async', action='store_true')
    parser.add_argument('--server', choices=['hypercorn', 'granian'], required=True)
    args = parser.parse_args()
    if args.impl != os.environ.get('ASGI_SERVERS_APP_IMPL', 'turbosio'):
        os.environ['ASGI_SERVERS_APP_IMPL'] = args.impl
        os.execv(sys.executable, [sys.executable, *sys.argv])  # import the chosen implementation from the start
    if args.server == 'hypercorn':
        import asyncio

        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f'127.0.0.1:{args.port}']
        config.loglevel = 'WARNING'
        asyncio.run(serve(app, config))
    else:
        # Not Granian(...).serve() from here: this process has built a server already, and granian forks its
        # worker from it (turbosio refuses to serve across fork(), see turbosio/_forking.py).
        here = os.path.dirname(os.path.abspath(__file__))
        command = ['granian', '--interface', 'asgi', '--host', '127.0.0.1', '--port', str(args.port)]
        command += ['--working-dir', here, '--log-level', 'warning', 'asgi_servers_app:app']
        os.execv(sys.executable, [sys.executable, '-m', *command])


if __name__ == '__main__':
    main()
