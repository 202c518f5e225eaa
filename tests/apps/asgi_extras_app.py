"""ASGIApp extras under uvicorn: static files, lifespan hooks, and a FastAPI app beside Socket.IO.

    python tests/apps/asgi_extras_app.py --impl turbosio|socketio --mode asgi --port N

Prints JSON fact lines (``startup``, ``shutdown``) like main_app.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

STATIC = Path(__file__).parent / 'static'


def report(**fact):
    sys.stdout.write(json.dumps(fact) + '\n')
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='asgi')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--async', dest='is_async', action='store_true')
    args = parser.parse_args()
    if args.impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    import uvicorn
    from fastapi import FastAPI

    web = FastAPI()

    @web.get('/hello')
    def hello():
        return {'hello': 'world'}

    sio = socketio.AsyncServer(async_mode='asgi')

    @sio.event
    async def echo(sid, data):
        return data

    async def on_startup():
        report(ev='startup')

    def on_shutdown():
        report(ev='shutdown')

    app = socketio.ASGIApp(
        socketio_server=sio,  # by keyword, as fastapi-socketio passes it
        other_asgi_app=web,
        static_files={'/static': str(STATIC), '/index.html': str(STATIC / 'hello.txt')},
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
    uvicorn.run(app, host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
