"""An AsyncServer served natively or through ASGIApp by uvicorn or hypercorn, for the shutdown tests: it reports
connects and disconnects (with their reason) as JSON lines on stdout, and stops on SIGINT/SIGTERM as each server
does. The ping interval is short unless given: uvicorn and hypercorn wait for a pending long-poll to be answered
before their lifespan shutdown, and with nothing queued python-socketio answers it at the next ping.

    python tests/apps/shutdown_app.py --port N --server native|uvicorn|hypercorn [--impl turbosio|socketio]
        [--ping-interval SECONDS]
"""

import argparse
import asyncio
import json
import sys


def report(**fact):
    print(json.dumps(fact), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--server', choices=['native', 'uvicorn', 'hypercorn'], required=True)
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--ping-interval', type=float, default=1)
    args = parser.parse_args()
    if args.impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio

    sio = socketio.AsyncServer(async_mode='asgi', ping_interval=args.ping_interval, ping_timeout=5)

    @sio.event
    async def connect(sid, environ, auth=None):
        report(ev='connect', sid=sid)

    @sio.event
    async def disconnect(sid, reason=None):
        report(ev='disconnect', sid=sid, reason=reason)

    @sio.event
    async def burst(sid, n):
        # queued at once; the shutdown that follows must not drop them
        for i in range(n):
            await sio.emit('item', i, to=sid)
        report(ev='burst-queued', sid=sid, n=n)

    report(ev='serving', server=args.server, port=args.port)
    if args.server == 'native':
        socketio.run(sio, host='127.0.0.1', port=args.port)
        report(ev='exited')
        return
    app = socketio.ASGIApp(sio, on_shutdown=lambda: report(ev='lifespan-shutdown'))
    if args.server == 'uvicorn':
        import uvicorn

        uvicorn.run(app, host='127.0.0.1', port=args.port, log_level='warning', lifespan='on')
    else:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f'127.0.0.1:{args.port}']
        config.graceful_timeout = 5
        asyncio.run(serve(app, config))
    report(ev='exited')
    sys.exit(0)


if __name__ == '__main__':
    main()
