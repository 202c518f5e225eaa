"""``AsyncServer.attach(app)`` for aiohttp: aiohttp's server drives turbosio (the external direction).

An aiohttp request under the Socket.IO path is presented to :class:`turbosio.ASGIApp` as an ASGI scope with
``receive``/``send`` that speak aiohttp, so long-polling and WebSocket go through the same external ASGI relay
(``_external_asgi_polling``, ``_external_asgi_websocket``) as under uvicorn: no second copy of the driver.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType, web
from multidict import CIMultiDict

from ._external_asgi import Scope
from ._external_asgi_polling import CLIENT_GONE
from .asgi import ASGIApp

# How often a waiting long-poll checks that its client is still there (aiohttp does not tell a handler).
_GONE_CHECK = 1.0


def attach_aiohttp(server: Any, app: web.Application, socketio_path: str) -> None:
    """Route ``/<socketio_path>/`` of ``app`` to ``server`` (long-polling, and WebSocket upgrades)."""
    relay = AiohttpRelay(ASGIApp(server, socketio_path=None))
    path = '/' + socketio_path.strip('/') + '/'
    # Every method, not only GET/POST/OPTIONS: the engine answers the others with Node's 400, not aiohttp's 405.
    app.router.add_route('*', path, relay.handle)


class AiohttpRelay:
    """One aiohttp handler in front of an :class:`ASGIApp` that routes everything to Socket.IO."""

    def __init__(self, asgi_app: ASGIApp) -> None:
        self.asgi_app = asgi_app
        self.limit = asgi_app._driver.max_payload + 16
        self.polls: dict[str, _Poll] = {}  # eio_sid -> its GET in progress

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one Engine.IO request (the aiohttp handler)."""
        if request.method == 'GET' and request.headers.get('Upgrade', '').lower() == 'websocket':
            return await self._websocket(request)
        return await self._http(request)

    async def _http(self, request: web.Request) -> web.StreamResponse:
        eio_sid = request.rel_url.query.get('sid') if request.method == 'GET' else None
        poll = _Poll(request)
        if eio_sid is not None:
            previous = self.polls.get(eio_sid)
            if previous is not None and previous.client_gone():
                # Its client left and aiohttp did not say so: end it first, or this GET would count as overlapping.
                previous.gone.set()
                await previous.done.wait()
            self.polls[eio_sid] = poll
        try:
            return await self._answer(request, poll)
        finally:
            poll.done.set()
            if eio_sid is not None and self.polls.get(eio_sid) is poll:
                del self.polls[eio_sid]

    async def _answer(self, request: web.Request, poll: _Poll) -> web.StreamResponse:
        answer: dict[str, Any] = {}
        body_read = False

        async def receive() -> dict[str, Any]:
            nonlocal body_read
            if not body_read:
                chunk = await request.content.readany()
                body_read = request.content.at_eof()
                return {'type': 'http.request', 'body': chunk, 'more_body': not body_read}
            await poll.until_gone()
            return {'type': 'http.disconnect'}

        async def send(message: dict[str, Any]) -> None:
            if message['type'] == 'http.response.start':
                answer['status'], answer['headers'] = message['status'], message.get('headers', [])
            elif message['type'] == 'http.response.body':
                answer['body'] = answer.get('body', b'') + message.get('body', b'')

        await self.asgi_app(_scope(request, 'http'), receive, send)
        headers = CIMultiDict(
            (name.decode('latin-1'), value.decode('latin-1'))
            for name, value in answer.get('headers', [])
            if name.lower() != b'content-length'  # aiohttp counts the body itself
        )
        return web.Response(status=answer.get('status', 500), body=answer.get('body', b''), headers=headers)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=self.limit + 1, autoping=True)
        refused: web.StreamResponse | None = None
        connected = False

        async def receive() -> dict[str, Any]:
            nonlocal connected
            if not connected:
                connected = True
                return {'type': 'websocket.connect'}
            message = await ws.receive()
            if message.type == WSMsgType.TEXT:
                return {'type': 'websocket.receive', 'text': message.data}
            if message.type == WSMsgType.BINARY:
                return {'type': 'websocket.receive', 'bytes': message.data}
            return {'type': 'websocket.disconnect', 'code': ws.close_code or 1005}

        async def send(message: dict[str, Any]) -> None:
            nonlocal refused
            kind = message['type']
            if kind == 'websocket.accept':
                await ws.prepare(request)
            elif kind == 'websocket.send':
                if message.get('text') is not None:
                    await ws.send_str(message['text'])
                else:
                    await ws.send_bytes(message['bytes'])
            elif kind == 'websocket.close':
                if ws.prepared:
                    await ws.close(code=message.get('code', 1000), message=message.get('reason', '').encode())
                else:
                    # spec (ASGI): a close before the accept refuses the handshake with 403.
                    refused = web.Response(status=403)

        await self.asgi_app(_scope(request, 'websocket'), receive, send)
        if not ws.prepared:
            return refused or web.Response(status=403)
        return ws


def _scope(request: web.Request, kind: str) -> Scope:
    def client_gone() -> bool:
        return _client_gone(request)

    peer = request.transport.get_extra_info('peername') if request.transport is not None else None

    return {
        'type': kind,
        'method': request.method,
        'path': request.path,
        'raw_path': request.raw_path.encode('latin-1'),
        'root_path': '',
        'query_string': request.rel_url.raw_query_string.encode('latin-1'),
        'headers': [(name.lower(), value) for name, value in request.raw_headers],
        'client': (peer[0], peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None,
        'scheme': request.scheme if kind == 'http' else ('wss' if request.secure else 'ws'),
        'extensions': {CLIENT_GONE: client_gone},
    }


class _Poll:
    """One HTTP request's connection, watched for its client leaving, which aiohttp does not announce (its
    handler_cancellation is off by default)."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.gone = asyncio.Event()  # set by the sid's next GET when it finds this one's client gone
        self.done = asyncio.Event()

    def client_gone(self) -> bool:
        return _client_gone(self.request)

    async def until_gone(self) -> None:
        """Return once the client has closed its connection (a long-poll's ``http.disconnect``): told by the
        sid's next GET, else seen by looking every second. A GET woken meanwhile checks at once (CLIENT_GONE)."""
        while not self.client_gone():
            try:
                await asyncio.wait_for(self.gone.wait(), _GONE_CHECK)
                return
            except asyncio.TimeoutError:
                pass


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
