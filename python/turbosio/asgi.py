"""``turbosio.ASGIApp``: serve a :class:`turbosio.AsyncServer` from an ASGI server (uvicorn, hypercorn,
granian), beside another ASGI app such as FastAPI.

Requests under the Socket.IO path go to the Rust engine through the ASGI driver; other paths go to static files,
then to ``other_asgi_app``, else 404.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import mimetypes
import os
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_RESPOND, _WAIT, _ACCEPT_WS = 0, 1, 2
_UPGRADE_TIMEOUT = 10  # seconds a probing WebSocket may wait for the upgrade packet


def _static_file(path: str, static_files: dict[str, Any]) -> dict[str, str] | None:
    """Resolve ``path`` against python-engineio-style ``static_files``; None if it maps to nothing.

    Keys are URL paths. A value is a file name, a ``{'filename', 'content_type'}`` dict, or (for a key that is a
    directory prefix) a directory. ``..`` never escapes a directory: such paths are not found.
    """
    candidates = [path] if path.endswith('/') is False else [path, path + 'index.html']
    for candidate in candidates:
        entry = static_files.get(candidate)
        if entry is not None:
            return _entry(entry, '')
    best = ''
    for prefix in static_files:
        if path.startswith(prefix.rstrip('/') + '/') and len(prefix) > len(best):
            best = prefix
    if not best:
        return None
    rest = path[len(best.rstrip('/')) + 1 :]
    if not rest or rest.endswith('/'):
        rest += 'index.html'
    parts = rest.split('/')
    if any(part in ('', '.', '..') for part in parts):
        return None
    return _entry(static_files[best], '/'.join(parts))


def _entry(entry: Any, rest: str) -> dict[str, str]:
    if isinstance(entry, dict):
        filename = os.path.join(entry['filename'], rest) if rest else entry['filename']
        content_type = entry.get('content_type') if not rest else None
    else:
        filename = os.path.join(entry, rest) if rest else entry
        content_type = None
    content_type = content_type or mimetypes.guess_type(filename)[0] or 'application/octet-stream'
    return {'filename': filename, 'content_type': content_type}


class ASGIApp:
    """ASGI application that serves a :class:`turbosio.AsyncServer`.

    Args:
        socketio_server: The :class:`turbosio.AsyncServer`.
        other_asgi_app: An ASGI app (e.g. FastAPI) for every request outside the Socket.IO path.
        static_files: python-engineio-style static file map.
        socketio_path: The Socket.IO endpoint (default ``'socket.io'``); None sends every request to Socket.IO.
        on_startup: Called (sync or async) on ASGI lifespan startup.
        on_shutdown: Called (sync or async) on ASGI lifespan shutdown.

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
    ) -> None:
        if not hasattr(socketio_server, '_wait_token'):
            raise TypeError('ASGIApp needs a turbosio AsyncServer (Socket.IO or engineio)')
        self.engineio_server = socketio_server
        self.other_asgi_app = other_asgi_app
        self.static_files = static_files or {}
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.engineio_path: str | None = None
        if socketio_path is not None:
            self.engineio_path = '/' + socketio_path.strip('/') + '/'
        self._driver = socketio_server._core.external_driver()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope['type']
        if kind == 'lifespan':
            await self._lifespan(scope, receive, send)
            return
        if kind in ('http', 'websocket') and self._is_socketio(scope):
            self.engineio_server._attach_loop()
            if not self._origin_allowed(scope):
                if kind == 'http':
                    await _respond(send, 400, [(b'content-type', b'text/plain')], b'Not an accepted origin.')
                else:
                    await send({'type': 'websocket.close', 'code': 1008})
                return
            if kind == 'http':
                await self._http(scope, receive, send)
            else:
                await self._websocket(scope, receive, send)
            return
        static = _static_file(scope['path'], self.static_files) if kind == 'http' and self.static_files else None
        content = await asyncio.to_thread(_read_file, static['filename']) if static is not None else None
        if static is not None and content is not None:
            # The request body (if any) is not read: nothing here needs it, and an endless one must cost nothing.
            await _respond(send, 200, [(b'content-type', static['content_type'].encode())], content)
        elif self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == 'http':
            await _respond(send, 404, [(b'content-type', b'text/plain')], b'Not Found')
        else:
            await send({'type': 'websocket.close'})

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

    # -- HTTP long-polling ------------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, oversize = await _read_body(receive, self._driver.max_payload)
        query = scope.get('query_string', b'').decode('latin-1')
        answer = self._driver.http(
            scope['method'], scope['path'], query, scope.get('headers', []), body, _client_of(scope), oversize
        )
        if answer[0] == _WAIT:
            answer = await self._wait_poll(answer, scope, receive)
            if answer is None:
                return  # the client went away while its GET waited
        _, status, headers, payload = answer
        if status == 200 and payload.startswith(b'0{') and b'sid=' not in scope.get('query_string', b''):
            # A handshake: keep the ASGI scope for the session's environ['asgi.scope'].
            self.engineio_server._asgi_scopes[json.loads(payload[1:])['sid']] = scope
        await _respond(send, status, headers, payload)

    async def _wait_poll(self, answer: tuple[Any, ...], scope: Scope, receive: Receive) -> tuple[Any, ...] | None:
        """Wait for a long-poll's frames, watching for the client leaving (``http.disconnect``) meanwhile, so its
        session is not left with a GET that nobody will read (the next GET would count as overlapping)."""
        server = self.engineio_server
        gone = asyncio.ensure_future(receive())
        try:
            while answer[0] == _WAIT:
                _, eio_sid, token = answer
                woken = server._wait_token(token)
                try:
                    await asyncio.wait((woken, gone), return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:
                    self._driver.poll_abort(eio_sid)
                    raise
                if not woken.done():
                    server._wake_waiters.pop(token, None)
                    self._driver.poll_abort(eio_sid)
                    return None
                answer = self._driver.poll_resume(eio_sid, token, scope.get('headers', []))
            return answer
        finally:
            gone.cancel()

    # -- WebSocket --------------------------------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message['type'] != 'websocket.connect':
            return
        query = scope.get('query_string', b'').decode('latin-1')
        answer = self._driver.ws_open(scope['path'], query, scope.get('headers', []), _client_of(scope))
        if answer[0] != _ACCEPT_WS:
            await send({'type': 'websocket.close', 'code': 1008})
            return
        _, eio_sid, open_frame = answer
        if open_frame is not None:
            self.engineio_server._asgi_scopes[eio_sid] = scope
        await send({'type': 'websocket.accept'})
        connection = _WsConnection(self, eio_sid, send)
        try:
            await connection.start(open_frame)
            while await connection.feed(await receive()):
                pass
        finally:
            await connection.finish()

    async def _watch_probe(self, eio_sid: str, send: Send) -> None:
        """While a WebSocket probes an upgrade, close it when its polling session ends or after 10 s without the
        upgrade packet (Node's upgradeTimeout)."""
        for _ in range(_UPGRADE_TIMEOUT):
            await asyncio.sleep(1)
            if not self._driver.session_open(eio_sid):
                break
        await _close_ws(send)

    async def _ws_writer(self, eio_sid: str, send: Send) -> None:
        driver = self._driver
        server = self.engineio_server
        token = driver.new_token()
        while True:
            frames, state = driver.ws_take(eio_sid, token)
            for frame in frames:
                if isinstance(frame, str):
                    await send({'type': 'websocket.send', 'text': frame})
                else:
                    await send({'type': 'websocket.send', 'bytes': frame})
            if state:
                if state == 2:
                    await send({'type': 'websocket.send', 'text': '1'})
                await _close_ws(send)
                return
            if not frames:
                await server._wait_token(token)


def _client_of(scope: Scope) -> tuple[str, int] | None:
    """The peer as (host, port); ASGI servers differ in how they give it (granian: the port as a string)."""
    client = scope.get('client')
    if not client:
        return None
    try:
        return str(client[0]), int(client[1])
    except (TypeError, ValueError, IndexError):
        return None


def _read_file(filename: str) -> bytes | None:
    try:
        with open(filename, 'rb') as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class _WsConnection:
    """One WebSocket under ASGI: frames in go to the engine; a writer task sends the outbox out once the socket
    carries the session (at once for a fresh session, after the upgrade packet for a probe)."""

    def __init__(self, app: ASGIApp, eio_sid: str, send: Send) -> None:
        self.app, self.eio_sid, self.send = app, eio_sid, send
        self.driver = app._driver
        self.limit = self.driver.max_payload + 16
        self.carries_session = False
        self.writer: asyncio.Task[None] | None = None
        self.probe_watch: asyncio.Task[None] | None = None

    async def start(self, open_frame: str | None) -> None:
        if open_frame is None:
            self.probe_watch = asyncio.ensure_future(self.app._watch_probe(self.eio_sid, self.send))
            return
        await self.send({'type': 'websocket.send', 'text': open_frame})
        self._carry_session()

    def _carry_session(self) -> None:
        self.carries_session = True
        if self.probe_watch is not None:
            self.probe_watch.cancel()
        self.writer = asyncio.ensure_future(self.app._ws_writer(self.eio_sid, self.send))

    async def feed(self, message: dict[str, Any]) -> bool:
        """Hand one received message to the engine; False when the connection is over."""
        if message['type'] != 'websocket.receive':
            return False
        text, data = message.get('text'), message.get('bytes')
        if len(text if text is not None else data or b'') > self.limit:
            self.driver.ws_oversize(self.eio_sid)
            return False
        driver, eio_sid = self.driver, self.eio_sid
        outcome = driver.ws_text(eio_sid, text) if text is not None else driver.ws_binary(eio_sid, data)
        if outcome == 1:
            self._carry_session()
        elif outcome == 2:
            return False
        elif outcome != 0:
            await self.send({'type': 'websocket.send', 'text': outcome})
        return True

    async def finish(self) -> None:
        if self.probe_watch is not None:
            self.probe_watch.cancel()
        self.driver.ws_closed(self.eio_sid, self.carries_session)
        if self.writer is None:
            await _close_ws(self.send)
            return
        try:
            await asyncio.wait_for(self.writer, 1)
        except (asyncio.TimeoutError, Exception):
            self.writer.cancel()


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


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """Read the request body, stopping past ``limit`` bytes (the rest is never buffered)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message['type'] != 'http.request':
            return b''.join(chunks), False
        chunk = message.get('body', b'')
        size += len(chunk)
        if size > limit:
            return b'', True
        chunks.append(chunk)
        if not message.get('more_body', False):
            return b''.join(chunks), False


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})


async def _close_ws(send: Send) -> None:
    try:
        await send({'type': 'websocket.close'})
    except Exception:
        pass  # the client already went away
