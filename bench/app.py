"""The one Socket.IO app every benchmark server runs, whatever implementation and host serve it.

Usage::

    python bench/app.py --impl turbosio --mode native|asgi|granian --port N [--pid-file PATH] [--workers N]
    python bench/app.py --impl socketio --mode uvicorn|granian --port N [--pid-file PATH]

``--metrics`` (turbosio only) turns its metrics on and serves ``/metrics``: the A/B of what metrics cost.
``--redis URL`` makes the server one node of a fleet (``AsyncRedisManager(URL)``), for ``bench/fleet.py``.

Handlers (python-socketio's documented API only, so both implementations run the same code):

- ``echo(data)`` returns ``data``, which becomes the ack;
- ``join()`` enters room ``bench`` and acks ``True``;
- ``broadcast(data)`` emits ``tick`` with ``data`` to room ``bench``;
- ``stats()`` acks ``{'sockets': n, 'rooms': m}``: connected sockets and named rooms (for the churn scenario).

Hosts: ``native`` is turbosio's own server (``turbosio.run``); ``asgi``/``uvicorn`` is uvicorn with uvloop,
httptools and websockets; ``granian`` is granian's ASGI interface with one worker process and one runtime
thread. ``--pid-file`` receives the pid of the process that serves (granian's worker, not its supervisor), so
the driver reads the right process's CPU time and RSS. ``--workers N`` (native only) serves with turbosio's N
worker processes (``turbosio.run(..., workers=N)``); the pid is then the supervisor's, whose children serve.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOM = 'bench'


def load_impl(name: str) -> Any:
    if name == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    return socketio


def make_server(socketio: Any, redis: str | None = None, serializer: str = 'default') -> Any:
    manager = socketio.AsyncRedisManager(redis) if redis else None
    sio = socketio.AsyncServer(async_mode='asgi', client_manager=manager, serializer=serializer)

    @sio.event
    async def echo(sid: str, data: Any) -> Any:
        return data

    @sio.event
    async def join(sid: str, *args: Any) -> bool:
        await sio.enter_room(sid, ROOM)
        return True

    @sio.event
    async def broadcast(sid: str, data: Any) -> None:
        await sio.emit('tick', data, room=ROOM)

    @sio.event
    async def stats(sid: str) -> dict[str, int]:
        # python-socketio's room table: room None lists every connected socket, each socket has its own room.
        table = sio.manager.rooms.get('/', {})
        connected = table.get(None, {})
        named = [room for room in table if room is not None and room not in connected]
        return {'sockets': len(connected), 'rooms': len(named)}

    return sio


def __getattr__(name: str) -> Any:
    """``app:worker_sio``, the import string each of turbosio's workers serves (see ``--workers``)."""
    if name == 'worker_sio':
        return make_server(load_impl('turbosio'))
    raise AttributeError(name)


def write_pid(path: str | None) -> None:
    if path:
        tmp = f'{path}.tmp'
        Path(tmp).write_text(str(os.getpid()))
        os.replace(tmp, path)


def granian_app() -> Any:
    """Granian's factory target: runs in the worker process, so the pid written here is the serving one."""
    write_pid(os.environ.get('BENCH_PID_FILE'))
    socketio = load_impl(os.environ.get('BENCH_IMPL', 'socketio'))
    return socketio.ASGIApp(make_server(socketio))


def serve_uvicorn(app: Any, port: int) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host='127.0.0.1',
        port=port,
        loop='uvloop',
        http='httptools',
        ws='websockets',
        lifespan='off',
        log_level='warning',
        access_log=False,
        # The driver stops the server after each run; don't wait on clients that are already gone.
        timeout_graceful_shutdown=1,
    )


def serve_granian(impl: str, port: int, pid_file: str | None) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    os.environ['BENCH_IMPL'] = impl
    if pid_file:
        os.environ['BENCH_PID_FILE'] = pid_file
    Granian(
        target='app:granian_app',
        factory=True,
        address='127.0.0.1',
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        runtime_threads=1,
        loop=Loops.uvloop,
        websockets=True,
        log_level=LogLevels.warning,
        working_dir=HERE,
    ).serve()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], required=True)
    parser.add_argument('--mode', choices=['native', 'asgi', 'uvicorn', 'granian'], required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--pid-file')
    parser.add_argument('--redis', help='a Redis URL: the server is one node of a fleet')
    parser.add_argument('--workers', type=int, default=1, help='native only: turbosio worker processes')
    parser.add_argument('--serializer', choices=['default', 'msgpack'], default='default')
    parser.add_argument('--metrics', action='store_true', help='turbosio only: count metrics, serve /metrics')
    args = parser.parse_args(argv)
    if args.mode == 'native' and args.impl != 'turbosio':
        parser.error('python-socketio has no native server: use --mode uvicorn or granian')
    if args.workers != 1 and args.mode != 'native':
        parser.error('--workers is for --mode native')
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.mode == 'granian':
        serve_granian(args.impl, args.port, args.pid_file)
        return
    if args.workers != 1:
        import turbosio

        write_pid(args.pid_file)
        os.environ['PYTHONPATH'] = os.pathsep.join(filter(None, [str(HERE), os.environ.get('PYTHONPATH')]))
        turbosio.run('app:worker_sio', host='127.0.0.1', port=args.port, log_level='warning', workers=args.workers)
        return
    socketio = load_impl(args.impl)
    sio = make_server(socketio, args.redis, args.serializer)
    write_pid(args.pid_file)
    metrics = {'metrics_path': '/metrics'} if args.metrics else {}
    if args.mode == 'native':
        socketio.run(sio, host='127.0.0.1', port=args.port, log_level='warning', **metrics)
    else:
        serve_uvicorn(socketio.ASGIApp(sio, **metrics), args.port)


if __name__ == '__main__':
    sys.exit(main())
