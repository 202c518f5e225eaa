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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one Engine.IO request (the aiohttp handler)."""
        if request.method == 'GET' and request.headers.get('Upgrade', '').lower() == 'websocket':
            return await self._websocket(request)
        return await self._http(request)

    async def _http(self, request: web.Request) -> web.StreamResponse:
        answer: dict[str, Any] = {}
        body_read = False

        async def receive() -> dict[str, Any]:
            nonlocal body_read
            if not body_read:
                chunk = await request.content.readany()
                body_read = request.content.at_eof()
                return {'type': 'http.request', 'body': chunk, 'more_body': not body_read}
            await _until_gone(request)
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
    peer = request.transport.get_extra_info('peername') if request.transport is not None else None

    def client_gone() -> bool:
        return request.transport is None or request.transport.is_closing()

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


async def _until_gone(request: web.Request) -> None:
    """Return once the client has closed its connection (a long-poll's ``http.disconnect``)."""
    # aiohttp sets no event when a client leaves (handler_cancellation is off by default), so look now and then;
    # a GET woken meanwhile checks at once (CLIENT_GONE).
    while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110
        await asyncio.sleep(_GONE_CHECK)
