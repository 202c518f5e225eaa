"""A server for the reliability tests: a client that stops reading, a client that emits faster than its handlers
return. It reports connects, disconnects (with their reason) and handled events as JSON lines on stdout.

    python tests/apps/reliability_app.py --port N [--mode native|asgi] [--sync] [--max-queue-bytes B]

Events: ``flood(count, size)`` emits ``count`` ``chunk`` events of ``size`` characters back to its sender;
``echo(data)`` acks ``data``; ``held(data)`` is a handler that does not return until the process gets SIGUSR1
(out of band: while the server applies backpressure it reads no client's events); ``tally()`` acks how many
``held`` calls have returned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import threading


def report(**fact):
    print(json.dumps(fact), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument('--async', dest='is_async', action='store_true', default=True)
    flavour.add_argument('--sync', dest='is_async', action='store_false')
    parser.add_argument('--max-queue-bytes', type=int, default=16 * 1024 * 1024)
    args = parser.parse_args()

    import turbosio

    options = {'max_queue_bytes': args.max_queue_bytes}
    sio = async_server(turbosio, options) if args.is_async else sync_server(turbosio, options)

    @sio.event
    def disconnect(sid, reason=None):
        report(ev='disconnect', sid=sid, reason=reason)

    @sio.event
    def echo(sid, data):
        return data

    if args.mode == 'native':
        turbosio.run(sio, host='127.0.0.1', port=args.port)
    else:
        import uvicorn

        uvicorn.run(turbosio.ASGIApp(sio), host='127.0.0.1', port=args.port, log_level='warning')


def async_server(turbosio, options):
    """The AsyncServer: ``held`` waits on an asyncio event that SIGUSR1 sets."""
    returned = 0
    sio = turbosio.AsyncServer(**options)
    released = asyncio.Event()
    all_returned = asyncio.Event()
    loops: list[asyncio.AbstractEventLoop] = []
    entered = 0

    async def wait_for_release():
        nonlocal returned
        await released.wait()
        returned += 1
        if returned == entered:
            all_returned.set()

    @sio.event
    def held(sid, data):
        # A plain function returning the coroutine: the count is taken when the event is handed over, so the
        # tally below can wait for every call that started before it (tasks start later on Python < 3.12).
        nonlocal entered
        entered += 1
        return wait_for_release()

    @sio.event
    async def tally(sid):
        if returned < entered:
            all_returned.clear()
            await all_returned.wait()
        return returned

    @sio.event
    async def flood(sid, count, size):
        chunk = 'x' * size
        for _ in range(count):
            await sio.emit('chunk', chunk, to=sid)
            await asyncio.sleep(0)  # not a wait: lets the loop serve the other clients between emits
        report(ev='flooded', sid=sid)

    def release(*_):
        loops[0].call_soon_threadsafe(released.set)

    @sio.event
    async def connect(sid, environ, auth=None):
        if not loops:
            loops.append(asyncio.get_running_loop())
        report(ev='connect', sid=sid)

    signal.signal(signal.SIGUSR1, release)
    return sio


def sync_server(turbosio, options):
    """The threaded Server: ``held`` waits on a threading event that SIGUSR1 sets."""
    returned = 0
    sio = turbosio.Server(**options)
    gate = threading.Event()
    lock = threading.Lock()

    @sio.event
    def held(sid, data):
        nonlocal returned
        gate.wait()
        with lock:
            returned += 1

    @sio.event
    def flood(sid, count, size):
        chunk = 'x' * size
        for _ in range(count):
            sio.emit('chunk', chunk, to=sid)
        report(ev='flooded', sid=sid)

    def release(*_):
        threading.Thread(target=gate.set).start()  # not in the signal handler: it may interrupt a lock holder

    @sio.event
    def tally(sid):
        return returned  # the same client's earlier events were handled first, in order

    @sio.event
    def connect(sid, environ, auth=None):
        report(ev='connect', sid=sid)

    signal.signal(signal.SIGUSR1, release)
    return sio


if __name__ == '__main__':
    main()
