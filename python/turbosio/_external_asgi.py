"""What the external ASGI driver's pieces share: ASGIApp served by someone else's ASGI server (uvicorn,
hypercorn, granian), its requests handed to ``ExternalDriverCore``. The ASGI types, a whole response, a WebSocket
close, and the peer of a scope."""

from __future__ import annotations

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
