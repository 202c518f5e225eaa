"""What the external ASGI driver's pieces share: ASGIApp served by someone else's ASGI server (uvicorn,
hypercorn, granian), its requests handed to ``ExternalDriverCore``. The ASGI types, a whole response, a WebSocket
close, and the peer of a scope."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def client_of(scope: Scope) -> tuple[str, int] | None:
    """The peer as (host, port); ASGI servers differ in how they give it (granian: the port as a string)."""
    client = scope.get('client')
    if not client:
        return None
    try:
        return str(client[0]), int(client[1])
    except (TypeError, ValueError, IndexError):
        return None


async def respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})


async def close_websocket(send: Send, code: int = 1000, reason: str = '') -> None:
    try:
        await send({'type': 'websocket.close', 'code': code, 'reason': reason})
    except Exception:
        pass  # the client already went away


def drain_on_shutdown(server: Any, receive: Receive) -> Receive:
    """The lifespan's ``receive``, closing every session before it hands on ``lifespan.shutdown`` (to ASGIApp's
    hooks or the other app): as on the native server's shutdown, ``disconnect`` handlers run with 'server
    disconnect' and each client gets what was queued for it, then a close it reconnects after."""

    async def receive_draining() -> dict[str, Any]:
        message = await receive()
        if message.get('type') == 'lifespan.startup':
            _drain_on_uvicorn_exit(server)
        elif message.get('type') == 'lifespan.shutdown':
            await server.shutdown()
            await asyncio.sleep(0)  # one turn for the disconnect handlers and writers just woken
        return message

    return receive_draining


def _drain_on_uvicorn_exit(server: Any) -> None:
    """compat (uvicorn): uvicorn sends ``lifespan.shutdown`` only once every open request has finished, and a
    waiting long-polling GET finishes only when there is something to send (the next ping, up to
    ``ping_interval`` later), so uvicorn would wait that long (or its ``timeout_graceful_shutdown``). uvicorn tells
    an app nothing sooner; so while uvicorn's own SIGINT/SIGTERM handlers are in place, ours runs after them and
    starts the same drain at once: waiting GETs are answered and uvicorn exits without delay. uvicorn puts the
    handlers it found back when it exits, which removes these too."""
    if threading.current_thread() is not threading.main_thread():
        return  # uvicorn installs its handlers only in the main thread
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        owner = getattr(previous, '__self__', None)
        if not callable(previous) or not type(owner).__module__.startswith('uvicorn.'):
            continue

        def chained(sig: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
            previous(sig, frame)
            loop.call_soon_threadsafe(_start_shutdown, server)

        signal.signal(signum, chained)


def _start_shutdown(server: Any) -> None:
    task = asyncio.ensure_future(server.shutdown())
    server._tasks.add(task)  # a strong reference while it runs, as for background tasks
    task.add_done_callback(server._tasks.discard)
