"""What the external ASGI driver's pieces share: ASGIApp served by someone else's ASGI server (uvicorn,
hypercorn, granian), its requests handed to ``ExternalDriverCore``. The ASGI types, a whole response, a WebSocket
close, and the peer of a scope."""

from __future__ import annotations

import asyncio
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
        if message.get('type') == 'lifespan.shutdown':
            await server.shutdown()
            await asyncio.sleep(0)  # one turn for the disconnect handlers and writers just woken
        return message

    return receive_draining
