"""Smoke run of an installed turbosio, run by scripts/check_wheel.sh with a fresh virtualenv's Python.

It is not a pytest file: it runs from a temporary directory, so that only the installed package can be imported,
and checks that. One AsyncServer with an acked handler is served natively, another as an ASGIApp under uvicorn;
python-socketio's AsyncClient emits to each over WebSocket and over long-polling, and waits for the ack.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import socketio
import turbosio
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port: int = sock.getsockname()[1]
        return port


def make_server(async_mode: str | None = None) -> turbosio.AsyncServer:
    sio = turbosio.AsyncServer(async_mode=async_mode) if async_mode else turbosio.AsyncServer()

    @sio.event
    async def echo(sid: str, data: object) -> object:
        return {'echo': data, 'sid_is_str': isinstance(sid, str)}

    return sio


async def ask(port: int, transports: list[str]) -> None:
    client = socketio.AsyncClient()
    await client.connect(f'http://127.0.0.1:{port}', transports=transports, wait_timeout=10)
    try:
        answer = await client.call('echo', [1, 'two', None], timeout=10)
    finally:
        await client.disconnect()
    assert answer == {'echo': [1, 'two', None], 'sid_is_str': True}, answer


async def listening(port: int) -> None:
    """Wait until 127.0.0.1:``port`` accepts a connection: serve() gives no other sign it listens."""
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection('127.0.0.1', port)
        except OSError:
            await asyncio.sleep(0.05)  # polling for the port, with a bound
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f'turbosio.serve() did not listen on {port}')


async def native() -> None:
    port, stop = free_port(), asyncio.Event()
    serving = asyncio.create_task(turbosio.serve(make_server(), '127.0.0.1', port, stop=stop))
    await listening(port)
    try:
        for transports in (['websocket'], ['polling']):
            await ask(port, transports)
    finally:
        stop.set()
        await serving


async def under_uvicorn() -> None:
    port = free_port()
    app = turbosio.ASGIApp(make_server('asgi'))
    server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=port, log_level='warning', lifespan='off'))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.05)
    try:
        for transports in (['websocket'], ['polling']):
            await ask(port, transports)
    finally:
        server.should_exit = True
        await serving


def main() -> int:
    where = os.path.realpath(turbosio.__file__)
    prefix = os.path.realpath(sys.prefix)
    assert where.startswith(prefix + os.sep), f'turbosio imported from {where}, not from the venv {prefix}'
    assert 'site-packages' in where, where
    asyncio.run(asyncio.wait_for(native(), 60))
    asyncio.run(asyncio.wait_for(under_uvicorn(), 60))
    print(f'smoke: turbosio {turbosio.__version__} from {where} on Python {sys.version.split()[0]}: '
          'native and ASGIApp under uvicorn answered (websocket, polling)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
