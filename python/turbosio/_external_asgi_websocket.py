"""WebSocket through the external ASGI driver: frames an ASGI server receives go to ``ExternalDriverCore``, and
a writer task sends the session's outbox back through the server's ``send``."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from . import _core
from ._asyncio_pump import AsyncioPump
from ._external_asgi import Receive, Scope, Send, client_of, close_websocket
from ._kinds import ANSWER_ACCEPT_WEBSOCKET, WS_CLOSED, WS_CONTINUE, WS_ENDED_NOTIFY, WS_UPGRADED

_UPGRADE_TIMEOUT = 10  # seconds a probing WebSocket may wait for the upgrade packet
_SERVER_RESTART = 1012  # the close code of a server that shuts down or restarts
_WRITE_TIMEOUT = 30  # seconds one batch of frames may take to send before the client is given up on
_STALL_CHECK = 5  # seconds between looks at the writers in the middle of a batch


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
        self.sending_since: float | None = None  # loop time the batch being sent began, None between batches
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
        if self.writer.done():
            return  # it finished, or was given up on (cancelled: awaiting it would raise CancelledError here)
        try:
            await asyncio.wait_for(self.writer, 1)
        except (asyncio.TimeoutError, Exception):
            self.writer.cancel()

    def give_up(self) -> None:
        """The client stopped reading (a send has waited _WRITE_TIMEOUT s): as the native server does, end the
        session with 'transport error' and close the connection."""
        self.driver.ws_closed(self.eio_sid, True, False, True)
        if self.writer is not None:
            self.writer.cancel()
        closing = asyncio.ensure_future(asyncio.wait_for(close_websocket(self.send), 1))
        self.server._tasks.add(closing)
        closing.add_done_callback(self.server._tasks.discard)

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
        loop = asyncio.get_running_loop()
        # perf (bench echo under uvicorn): a deadline per batch (asyncio.timeout) cost a third of the acks/s; a
        # timestamp per batch, looked at every few seconds by one timer for all writers, costs nothing measurable.
        _watch(self, loop)
        while True:
            frames, state = driver.ws_take(eio_sid, token)
            if frames:
                self.sending_since = loop.time()
                for frame in frames:
                    if isinstance(frame, str):
                        await send({'type': 'websocket.send', 'text': frame})
                    else:
                        await send({'type': 'websocket.send', 'bytes': frame})
                self.sending_since = None
            if state:
                if state == WS_ENDED_NOTIFY:
                    await send({'type': 'websocket.send', 'text': '1'})
                await close_websocket(send)
                return
            if not frames:
                await self.server._wait_token(token)


# The writers of each loop, for one timer per loop to look at (weakly held: a finished relay needs no goodbye).
_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet[WebSocketRelay]] = (
    weakref.WeakKeyDictionary()
)


def _watch(relay: WebSocketRelay, loop: asyncio.AbstractEventLoop) -> None:
    writers = _writers.get(loop)
    if writers is None:
        writers = _writers[loop] = weakref.WeakSet()
        loop.call_later(_STALL_CHECK, _look_at_writers, loop)
    writers.add(relay)


def _look_at_writers(loop: asyncio.AbstractEventLoop) -> None:
    writers = _writers.get(loop)
    if writers is None:
        return
    overdue = loop.time() - _WRITE_TIMEOUT
    for relay in list(writers):
        since = relay.sending_since
        if relay.writer is not None and relay.writer.done():
            writers.discard(relay)
        elif since is not None and since < overdue:
            writers.discard(relay)
            relay.give_up()
    if writers:
        loop.call_later(_STALL_CHECK, _look_at_writers, loop)
    else:
        del _writers[loop]
