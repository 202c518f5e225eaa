"""A server with a handler that never returns, to see it reported while everyone else is served.

    TURBOSIO_SLOW_HANDLER_SECONDS=0.3 python tests/apps/slow_app.py --port N [--sync]
"""

import argparse
import asyncio
import threading

import turbosio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio'], default='turbosio')
    parser.add_argument('--mode', choices=['native'], default='native')
    parser.add_argument('--port', type=int, required=True)
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument('--async', dest='is_async', action='store_true', default=True)
    flavour.add_argument('--sync', dest='is_async', action='store_false')
    args = parser.parse_args()
    if args.is_async:
        sio = turbosio.AsyncServer()

        @sio.event
        async def hang(sid):
            await asyncio.Event().wait()

        @sio.event
        async def echo(sid, data):
            return data
    else:
        sio = turbosio.Server()

        @sio.event
        def hang(sid):
            threading.Event().wait()

        @sio.event
        def echo(sid, data):
            return data

    turbosio.run(sio, host='127.0.0.1', port=args.port)


if __name__ == '__main__':
    main()
