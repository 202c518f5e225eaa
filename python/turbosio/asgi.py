"""``turbosio.ASGIApp``: serve a :class:`turbosio.AsyncServer` from an ASGI server (uvicorn, hypercorn,
granian), beside another ASGI app such as FastAPI.

Requests under the Socket.IO path go to the Rust engine through the external ASGI driver (long-polling in
``_external_asgi_polling``, WebSocket in ``_external_asgi_websocket``); other paths go to static files, then to
``other_asgi_app``, else 404. This module routes and runs the lifespan protocol.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from typing import Any

from ._asyncio_pump import AsyncioPump
from ._external_asgi import Receive, Scope, Send, drain_on_shutdown, respond
from ._external_asgi_polling import serve_polling
from ._external_asgi_websocket import serve_websocket
from ._metrics import answer_if_metrics, enable
from ._static_files import read_static_file, resolve_static_file


class ASGIApp:
    """ASGI application that serves a :class:`turbosio.AsyncServer`.

    Args:
        socketio_server: The :class:`turbosio.AsyncServer`.
        other_asgi_app: An ASGI app (e.g. FastAPI) for every request outside the Socket.IO path.
        static_files: python-engineio-style static file map.
        socketio_path: The Socket.IO endpoint (default ``'socket.io'``); None sends every request to Socket.IO.
        on_startup: Called (sync or async) on ASGI lifespan startup.
        on_shutdown: Called (sync or async) on ASGI lifespan shutdown.
        metrics_path: Serve Prometheus metrics at this exact path (e.g. ``'/metrics'``; GET and HEAD) and count
            them; None (the default) serves none, and the path goes where any other would.

    Example::

        sio = turbosio.AsyncServer(async_mode='asgi')
        app = turbosio.ASGIApp(sio, other_asgi_app=fastapi_app)
        uvicorn.run(app, host='127.0.0.1', port=8000)
    """

    def __init__(
        self,
        socketio_server: Any,
        other_asgi_app: Any = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str | None = 'socket.io',
        on_startup: Callable[[], Any] | None = None,
        on_shutdown: Callable[[], Any] | None = None,
        metrics_path: str | None = None,
    ) -> None:
        if not hasattr(socketio_server, '_wait_token'):
            raise TypeError('ASGIApp needs a turbosio AsyncServer (Socket.IO or engineio)')
        self.engineio_server: AsyncioPump = socketio_server
        self.other_asgi_app = other_asgi_app
        self.static_files = static_files or {}
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.engineio_path: str | None = None
        if socketio_path is not None:
            self.engineio_path = '/' + socketio_path.strip('/') + '/'
        self._driver = socketio_server._core.external_driver()
        self.metrics_path = metrics_path
        if metrics_path is not None:
            enable(socketio_server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope['type']
        if kind == 'lifespan':
            await self.lifespan(scope, receive, send)
            return
        if self.metrics_path is not None and await answer_if_metrics(
            self.engineio_server, self.metrics_path, scope, receive, send
        ):
            return
        if kind in ('http', 'websocket') and self._is_socketio(scope):
            self.engineio_server._attach_loop()
            if not self._origin_allowed(scope):
                if kind == 'http':
                    await respond(send, 400, [(b'content-type', b'text/plain')], b'Not an accepted origin.')
                else:
                    await send({'type': 'websocket.close', 'code': 1008})
                return
            relay = serve_polling if kind == 'http' else serve_websocket
            await relay(self._driver, self.engineio_server, scope, receive, send)
            return
        static = None
        if kind == 'http' and self.static_files:
            static = resolve_static_file(scope['path'], self.static_files)
        if static is not None and await asyncio.to_thread(os.path.isfile, static['filename']):
            await self.serve_static_file(static, receive, send)
        elif self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == 'websocket' and type(self).not_found is ASGIApp.not_found:
            # An HTTP 404 cannot answer a WebSocket handshake; a subclass's not_found still gets the call.
            await send({'type': 'websocket.close'})
        else:
            await self.not_found(receive, send)

    async def serve_static_file(self, static_file: dict[str, Any], receive: Receive, send: Send) -> None:
        """Answer a request with a static file; override to add headers or caching.

        Args:
            static_file: ``{'filename': ..., 'content_type': ...}``, resolved from ``static_files``.
            receive: The ASGI receive callable (the request body is not read).
            send: The ASGI send callable.
        """
        content = await asyncio.to_thread(read_static_file, static_file['filename'])
        if content is None:
            await self.not_found(receive, send)
            return
        # The request body (if any) is not read: nothing here needs it, and an endless one must cost nothing.
        await respond(send, 200, [(b'content-type', static_file['content_type'].encode())], content)

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the ASGI lifespan protocol: ``on_startup``/``on_shutdown``, or ``other_asgi_app``'s own lifespan
        when neither hook is given. Override to take over the lifespan."""
        await self._lifespan(scope, receive, send)

    async def not_found(self, receive: Receive, send: Send) -> None:
        """Answer a request no route matched (HTTP 404); override for a custom page."""
        await respond(send, 404, [(b'content-type', b'text/plain')], b'Not Found')

    def _origin_allowed(self, scope: Scope) -> bool:
        """Apply a callable ``cors_allowed_origins`` (lists and '*' are checked in Rust)."""
        check = self.engineio_server._cors_callable
        if check is None:
            return True
        for name, value in scope.get('headers', []):
            if name.lower() == b'origin':
                return bool(check(value.decode('latin-1')))
        return True

    def _is_socketio(self, scope: Scope) -> bool:
        if self.engineio_path is None:
            return True
        path = scope['path']
        candidates = [path]
        # Mounted under a prefix (Starlette >= 0.33 passes the full path and the prefix as root_path): both
        # ASGIApp(sio, socketio_path='/ws/socket.io') and ASGIApp(sio) mounted at '/ws' match.
        root = scope.get('root_path') or ''
        if root and path.startswith(root):
            candidates.append(path[len(root) :] or '/')
        return any((p if p.endswith('/') else p + '/').startswith(self.engineio_path) for p in candidates)

    # -- lifespan ---------------------------------------------------------------------------------------------------

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        receive = drain_on_shutdown(self.engineio_server, receive)
        if self.other_asgi_app is not None and self.on_startup is None and self.on_shutdown is None:
            await self.other_asgi_app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                if not await _call_hook(self.on_startup):
                    await send({'type': 'lifespan.startup.failed'})
                    return
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                ok = await _call_hook(self.on_shutdown)
                await send({'type': 'lifespan.shutdown.complete' if ok else 'lifespan.shutdown.failed'})
                return


async def _call_hook(hook: Callable[[], Any] | None) -> bool:
    if hook is None:
        return True
    try:
        result = hook()
        if inspect.isawaitable(result):
            await result
    except Exception:
        return False
    return True
