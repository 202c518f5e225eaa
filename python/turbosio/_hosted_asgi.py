"""Running an ASGI app (FastAPI, Starlette...) for requests the native server receives outside the Socket.IO path.

Rust queues each request as an ``HTTP`` item (a body over 1 MiB follows in ``HTTP_BODY`` pieces as the app reads
them); here the app runs as a task on the event loop and its ``send`` messages go straight back to Rust, which
streams them to the client. The app's WebSocket routes work
alike: Rust does the handshake once the app accepts and relays messages both ways as queue items. Lifespan is run
here too, before the server listens and after it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from . import _core
from ._kinds import BODY_BROKEN, BODY_MORE, WEBSOCKET_MESSAGE

logger = logging.getLogger('turbosio.asgi')

_ASGI = {'version': '3.0', 'spec_version': '2.3'}
# Waits until the engine wakes a token (AsyncioPump._wait_token).
WaitToken = Callable[[int], Awaitable[None]]


class LifespanFailed(RuntimeError):
    """The app reported ``lifespan.startup.failed``."""


class Exchange:
    """One request/response between the native server and the app: ASGI ``receive`` and ``send``."""

    def __init__(
        self, core: _core.ServerCore, token: int, body: bytes, more_body: bool, wait_token: WaitToken
    ) -> None:
        self.core, self.token, self.body, self.wait_token = core, token, body, wait_token
        self.body_read = self.started = self.finished = self.disconnected = False
        self.done = asyncio.Event()
        # The rest of the body, as HTTP_BODY items bring it: (data, state), state 0 more, 1 end, 2 broken. The
        # item's own body is its first part, read ahead by the server.
        self.pieces: asyncio.Queue[tuple[bytes, int]] | None = asyncio.Queue() if more_body else None
        self.head_sent = not (more_body and body)

    def deliver(self, data: bytes, state: int) -> None:
        if self.pieces is not None:
            self.pieces.put_nowait((data, state))

    async def receive(self) -> dict[str, Any]:
        if self.disconnected:
            return {'type': 'http.disconnect'}
        if not self.body_read:
            if self.pieces is None:
                self.body_read = True
                return {'type': 'http.request', 'body': self.body, 'more_body': False}
            if not self.head_sent:
                self.head_sent = True
                return {'type': 'http.request', 'body': self.body, 'more_body': True}
            data, state = await self.pieces.get()
            if state == BODY_MORE:
                self.core.http_body_consumed(self.token)  # the driver reads another piece from the client
                return {'type': 'http.request', 'body': data, 'more_body': True}
            self.body_read = True
            if state == BODY_BROKEN:
                # The client left mid-body, or the response ended before the app read it all.
                self.disconnected = True
                return {'type': 'http.disconnect'}
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        await self.done.wait()
        return {'type': 'http.disconnect'}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message['type']
        if kind == 'http.response.start':
            if self.started:
                raise RuntimeError('ASGI: http.response.start sent twice')
            self.started = True
            headers = [(bytes(k), bytes(v)) for k, v in message.get('headers', [])]
            self.core.http_start(self.token, int(message['status']), headers)
        elif kind == 'http.response.body':
            if not self.started or self.finished:
                raise RuntimeError('ASGI: http.response.body sent before the start or after the response completed')
            more = bool(message.get('more_body', False))
            # A client that reads slower than the app streams makes this send wait until it caught up.
            if self.core.http_body(self.token, bytes(message.get('body', b'')), more):
                wake = self.core.http_wait_written(self.token)
                if wake is not None:
                    await self.wait_token(wake)
            if not more:
                self.finished = True
                self.done.set()

    def failed(self) -> None:
        logger.exception('exception in ASGI application')
        if not self.started:
            self.core.http_start(self.token, 500, [(b'content-type', b'text/plain; charset=utf-8')])
            self.core.http_body(self.token, b'Internal Server Error', False)
        elif not self.finished:
            self.core.http_abort(self.token)




def _scope(item: tuple[Any, ...], state: dict[str, Any], **kind: Any) -> dict[str, Any]:
    """The ASGI scope of a queued HTTP or WEBSOCKET item; ``kind`` adds what differs (type, scheme, method...)."""
    _, _token, _method, path, raw_path, query, headers, _body, host, port, _more_body, _secure = item
    return {
        'asgi': _ASGI,
        'http_version': '1.1',
        'path': path,
        'raw_path': raw_path.encode('latin-1', 'replace'),
        'query_string': query.encode('latin-1', 'replace'),
        'root_path': '',
        'headers': headers,
        'client': (host, port) if host else None,
        'server': None,
        'state': dict(state),
        **kind,
    }


def new_exchange(core: _core.ServerCore, item: tuple[Any, ...], wait_token: WaitToken) -> Exchange:
    """The exchange of a queued HTTP item. Made when the item is drained, so that pieces of its body drained right
    after it find it."""
    return Exchange(core, item[1], item[7], item[10], wait_token)


async def serve_http(app: Any, item: tuple[Any, ...], state: dict[str, Any], exchange: Exchange) -> None:
    """Run ``app`` for one queued HTTP request and send its answer through ``exchange``."""
    scope = _scope(item, state, type='http', method=item[2], scheme='https' if item[11] else 'http')
    try:
        await app(scope, exchange.receive, exchange.send)
    except Exception:
        exchange.failed()
    else:
        if not exchange.finished:
            exchange.core.http_abort(exchange.token)
    finally:
        exchange.done.set()


_CONNECTING, _ACCEPTED, _CLOSED = range(3)


class WebSocketExchange:
    """One WebSocket between the native server and the app: ASGI ``receive`` and ``send``."""

    def __init__(self, core: _core.ServerCore, token: int, wait_token: WaitToken) -> None:
        self.core, self.token, self.wait_token = core, token, wait_token
        self.state = _CONNECTING
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.inbox.put_nowait({'type': 'websocket.connect'})

    def deliver(self, item: tuple[Any, ...]) -> None:
        """A message from the client, or the end of the connection (WEBSOCKET_GONE carries the close code)."""
        data = item[2]
        if item[0] == WEBSOCKET_MESSAGE:
            key = 'text' if isinstance(data, str) else 'bytes'
            self.inbox.put_nowait({'type': 'websocket.receive', key: data})
        else:
            self.state = _CLOSED
            self.inbox.put_nowait({'type': 'websocket.disconnect', 'code': data})

    async def receive(self) -> dict[str, Any]:
        message = await self.inbox.get()
        if message['type'] == 'websocket.receive':
            self.core.ws_consumed(self.token)  # the driver reads another message from the client
        return message

    async def send(self, message: dict[str, Any]) -> None:
        kind = message['type']
        if kind == 'websocket.accept':
            if self.state != _CONNECTING:
                raise RuntimeError('ASGI: websocket.accept sent twice, or after the close')
            headers = [(bytes(k), bytes(v)) for k, v in message.get('headers') or []]
            self.core.ws_accept(self.token, message.get('subprotocol'), headers)
            self.state = _ACCEPTED
        elif kind == 'websocket.send':
            if self.state == _CONNECTING:
                raise RuntimeError('ASGI: websocket.send before websocket.accept')
            text = message.get('text')
            data = text if text is not None else message.get('bytes')
            if data is None:
                raise RuntimeError('ASGI: websocket.send needs "text" or "bytes"')
            # OSError once the connection is closed, as the spec asks. A client that reads slower than the app
            # sends makes send() wait until it has caught up, so nothing piles up without bound.
            if self.core.ws_send(self.token, data):
                wake = self.core.ws_wait_sent(self.token)
                if wake is not None:
                    await self.wait_token(wake)
        elif kind == 'websocket.close':
            self.close(int(message.get('code') or 1000), message.get('reason') or '')
        else:
            raise RuntimeError(f'ASGI: unexpected message {kind!r} on a WebSocket')

    def close(self, code: int, reason: str = '', deny_status: int = 403) -> None:
        """Close (or, before the accept, refuse with ``deny_status``); nothing to do once closed."""
        state, self.state = self.state, _CLOSED
        try:
            if state == _CONNECTING:
                self.core.ws_deny(self.token, deny_status)
            elif state == _ACCEPTED:
                self.core.ws_close(self.token, code, reason)
        except OSError:
            pass  # the client left first




async def serve_websocket(app: Any, item: tuple[Any, ...], state: dict[str, Any], exchange: WebSocketExchange) -> None:
    """Run ``app`` for one WebSocket request of the native server."""
    path, headers = item[3], item[6]
    offered = b','.join(value for name, value in headers if name == b'sec-websocket-protocol')
    subprotocols = [p.strip() for p in offered.decode('latin-1').split(',') if p.strip()]
    scope = _scope(item, state, type='websocket', scheme='wss' if item[11] else 'ws', subprotocols=subprotocols)
    try:
        await app(scope, exchange.receive, exchange.send)
    except Exception:
        logger.exception('exception in ASGI application (WebSocket %s)', path)
        exchange.close(1011, deny_status=500)
    else:
        # An app that returns without closing: close normally, or refuse a handshake it never accepted.
        exchange.close(1000)


class Lifespan:
    """The ASGI lifespan protocol, driven from the native server's start and stop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._started: asyncio.Future[None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Run ``lifespan.startup``.

        Raises:
            LifespanFailed: when the app reports that its startup failed.
        """
        loop = asyncio.get_running_loop()
        self._started, self._stopped = loop.create_future(), loop.create_future()
        scope = {'type': 'lifespan', 'asgi': _ASGI, 'state': self.state}
        await self._events.put({'type': 'lifespan.startup'})
        self._task = asyncio.ensure_future(self.app(scope, self._events.get, self._send))
        await asyncio.wait([self._started, self._task], return_when=asyncio.FIRST_COMPLETED)
        if self._started.done():
            self._started.result()
            return
        # The app returned or raised before answering: it does not speak lifespan (uvicorn's "auto" mode).
        error = self._task.exception()
        logger.debug('ASGI app has no lifespan support (%r); continuing without it', error)
        self._task = None

    async def shutdown(self) -> None:
        """Run ``lifespan.shutdown`` if startup ran."""
        if self._task is None or self._stopped is None:
            return
        await self._events.put({'type': 'lifespan.shutdown'})
        await asyncio.wait([self._stopped, self._task], timeout=10, return_when=asyncio.FIRST_COMPLETED)

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message['type']
        if kind == 'lifespan.startup.complete' and self._started and not self._started.done():
            self._started.set_result(None)
        elif kind == 'lifespan.startup.failed' and self._started and not self._started.done():
            self._started.set_exception(LifespanFailed(message.get('message', '') or 'lifespan startup failed'))
        elif kind.startswith('lifespan.shutdown') and self._stopped and not self._stopped.done():
            self._stopped.set_result(None)
