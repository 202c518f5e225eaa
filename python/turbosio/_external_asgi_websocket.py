"""WebSocket through the external ASGI driver: frames an ASGI server receives go to ``ExternalDriverCore``, and
a writer task sends the session's outbox back through the server's ``send``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from . import _core
from ._asyncio_pump import AsyncioPump
from ._external_asgi import Receive, Scope, Send, client_of, close_websocket
from ._kinds import ANSWER_ACCEPT_WEBSOCKET, WS_CLOSED, WS_CONTINUE, WS_ENDED_NOTIFY, WS_UPGRADED

_UPGRADE_TIMEOUT = 10  # seconds a probing WebSocket may wait for the upgrade packet
_SERVER_RESTART = 1012  # the close code of a server that shuts down or restarts
_WRITE_TIMEOUT = 30  # seconds one batch of frames may take to send before the client is given up on


async def serve_websocket(
    driver: _core.ExternalDriverCore, server: AsyncioPump, scope: Scope, receive: Receive, send: Send
) -> None:
    """Serve one Engine.IO WebSocket (a fresh session, or a probe to upgrade a polling one) until it closes."""
    message = await receive()
    if message['type'] != 'websocket.connect':
        return
    query = scope.get('query_string', b'').decode('latin-1')
    answer = driver.ws_open(scope['path'], query, scope.get('headers', []), client_of(scope))
    if answer[0] != ANSWER_ACCEPT_WEBSOCKET:
        await send({'type': 'websocket.close', 'code': 1008})
        return
    _, eio_sid, open_frame = answer
    if eio_sid is None:
        # node: a second WebSocket for a session completes its handshake and is closed at once
        await send({'type': 'websocket.accept'})
        await close_websocket(send)
        return
    if open_frame is not None:
        server._keep_asgi_scope(eio_sid, scope)
    await send({'type': 'websocket.accept'})
    relay = WebSocketRelay(driver, server, eio_sid, send)
    try:
        await relay.start(open_frame)
        accepting = server._accepting
        while await relay.feed(await receive()):
            if not accepting.is_set():
                await accepting.wait()  # backpressure: too many handlers still running (see _asyncio_pump)
    except asyncio.CancelledError:
        # compat (hypercorn): at shutdown hypercorn waits its graceful_timeout for connections to end, then cancels
        # their apps, all before lifespan.shutdown; an ASGI server cancels a WebSocket's app only when it stops.
        relay.server_shutdown = True
        raise
    finally:
        await relay.finish()


class WebSocketRelay:
    """One WebSocket under ASGI: frames in go to the engine; a writer task sends the outbox out once the socket
    carries the session (at once for a fresh session, after the upgrade packet for a probe)."""

    def __init__(self, driver: _core.ExternalDriverCore, server: AsyncioPump, eio_sid: str, send: Send) -> None:
        self.driver, self.server, self.eio_sid, self.send = driver, server, eio_sid, send
        self.limit = driver.max_payload
        self.carries_session = False
        self.server_shutdown = False
        self.writer: asyncio.Task[None] | None = None
        self.probe_watch: asyncio.Task[None] | None = None

    async def start(self, open_frame: str | None) -> None:
        if open_frame is None:
            self.probe_watch = asyncio.ensure_future(self._watch_probe())
            return
        await self.send({'type': 'websocket.send', 'text': open_frame})
        self._carry_session()

    def _carry_session(self) -> None:
        self.carries_session = True
        if self.probe_watch is not None:
            self.probe_watch.cancel()
        self.writer = asyncio.ensure_future(self._write())

    async def feed(self, message: dict[str, Any]) -> bool:
        """Hand one received message to the engine; False when the connection is over."""
        if message['type'] != 'websocket.receive':
            # 1012 (service restart) is what uvicorn closes every WebSocket with when it shuts down; a client
            # never sends it. The session then ends as on the native server's shutdown.
            self.server_shutdown = message.get('code') == _SERVER_RESTART
            return False
        text, data = message.get('text'), message.get('bytes')
        size = len(text) if text is not None else len(data or b'')
        if text is not None and size * 4 > self.limit >= size:
            size = len(text.encode())  # the bound is in bytes; encode only where the char count cannot tell
        if size > self.limit:
            self.driver.ws_oversize(self.eio_sid)
            # node (ws maxPayload): close code 1009 with a reason
            reason = f'message of {size} bytes over max_http_buffer_size ({self.limit})'
            await close_websocket(self.send, 1009, reason)
            return False
        driver, eio_sid = self.driver, self.eio_sid
        # A message carries text or bytes (ASGI spec); one with neither fails in ws_binary, as it always did.
        outcome = driver.ws_text(eio_sid, text) if text is not None else driver.ws_binary(eio_sid, data)  # type: ignore[arg-type]
        if outcome == WS_UPGRADED:
            self._carry_session()
        elif outcome == WS_CLOSED:
            return False
        elif outcome != WS_CONTINUE:
            await self.send({'type': 'websocket.send', 'text': outcome})
        return True

    async def finish(self) -> None:
        if self.probe_watch is not None:
            self.probe_watch.cancel()
        self.driver.ws_closed(self.eio_sid, self.carries_session, self.server_shutdown)
        if self.writer is None:
            await close_websocket(self.send)
            return
        try:
            await asyncio.wait_for(self.writer, 1)
        except (asyncio.TimeoutError, Exception):
            self.writer.cancel()

    async def _send_frames(self, frames: list[str | bytes]) -> bool:
        """Send a batch of frames; False if the client took more than _WRITE_TIMEOUT s (it stopped reading and
        its TCP window is full, so the ASGI server's send waits)."""
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(_WRITE_TIMEOUT):  # perf: a timer per batch, no task
                    await self._send_all(frames)
            else:
                await asyncio.wait_for(self._send_all(frames), _WRITE_TIMEOUT)
        except asyncio.TimeoutError:
            return False
        return True

    async def _send_all(self, frames: list[str | bytes]) -> None:
        send = self.send
        for frame in frames:
            if isinstance(frame, str):
                await send({'type': 'websocket.send', 'text': frame})
            else:
                await send({'type': 'websocket.send', 'bytes': frame})

    async def _watch_probe(self) -> None:
        """While a WebSocket probes an upgrade, release a GET waiting through it every 100 ms (Node's check
        interval), and close the WebSocket when its polling session ends or after 10 s without the upgrade packet
        (Node's upgradeTimeout)."""
        for _ in range(_UPGRADE_TIMEOUT * 10):
            await asyncio.sleep(0.1)
            if not self.driver.probe_tick(self.eio_sid):
                break
        await close_websocket(self.send)

    async def _write(self) -> None:
        """Send the session's frames as the engine queues them, until it ends."""
        driver, eio_sid, send = self.driver, self.eio_sid, self.send
        token = driver.new_token()
        while True:
            frames, state = driver.ws_take(eio_sid, token)
            if frames and not await self._send_frames(frames):
                # As the native server does: a client that stopped reading is dropped with 'transport error'.
                driver.ws_closed(eio_sid, True, False, True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(close_websocket(send), 1)
                return
            if state:
                if state == WS_ENDED_NOTIFY:
                    await send({'type': 'websocket.send', 'text': '1'})
                await close_websocket(send)
                return
            if not frames:
                await self.server._wait_token(token)
