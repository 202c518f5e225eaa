"""Long-polling through the external ASGI driver: an Engine.IO HTTP request that an ASGI server hands to ASGIApp
goes to ``ExternalDriverCore``; a GET with nothing to read yet waits for the engine to wake it."""

from __future__ import annotations

import asyncio
import json

from . import _core
from ._asyncio_pump import AsyncioPump
from ._external_asgi import Receive, Scope, Send, client_of, respond
from ._kinds import ANSWER_WAIT

# An ASGI scope extension: a callable that says, without waiting, whether the client has gone. The aiohttp relay
# offers it, since aiohttp sends no http.disconnect; a woken GET whose client left must not take the frames.
CLIENT_GONE = 'turbosio.client_gone'


async def serve_polling(
    driver: _core.ExternalDriverCore, server: AsyncioPump, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one Engine.IO long-polling request (a GET that reads, a POST that writes, or the handshake)."""
    body, oversize = await _read_body(receive, driver.max_payload)
    query = scope.get('query_string', b'').decode('latin-1')
    answer = driver.http(
        scope['method'], scope['path'], query, scope.get('headers', []), body, client_of(scope), oversize
    )
    if answer[0] == ANSWER_WAIT:
        resumed = await _wait_poll(driver, server, answer, scope, receive)
        if resumed is None:
            return  # the client went away while its GET waited
        answer = resumed
    elif scope['method'] == 'POST' and not server._accepting.is_set():
        await server._accepting.wait()  # backpressure: the client sends its next POST only after this answer
    _, status, headers, payload = answer
    if status == 200 and payload.startswith(b'0{') and b'sid=' not in scope.get('query_string', b''):
        # A handshake: keep the ASGI scope for the session's environ['asgi.scope'].
        server._keep_asgi_scope(json.loads(payload[1:])['sid'], scope)
    await respond(send, status, headers, payload)


async def _wait_poll(
    driver: _core.ExternalDriverCore,
    server: AsyncioPump,
    answer: _core.Respond | _core.Wait,
    scope: Scope,
    receive: Receive,
) -> _core.Respond | None:
    """Wait for a long-poll's frames, watching for the client leaving (``http.disconnect``) meanwhile, so its
    session is not left with a GET that nobody will read (the next GET would count as overlapping)."""
    gone = asyncio.ensure_future(receive())
    client_gone = scope.get('extensions', {}).get(CLIENT_GONE)
    try:
        while answer[0] == ANSWER_WAIT:
            _, eio_sid, token = answer
            woken = server._wait_token(token)
            try:
                await asyncio.wait((woken, gone), return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                driver.poll_abort(eio_sid)
                raise
            if not woken.done():
                server._forget_token(token)
                driver.poll_abort(eio_sid)
                return None
            if client_gone is not None and client_gone():
                driver.poll_abort(eio_sid)
                return None
            answer = driver.poll_resume(eio_sid, token, scope.get('headers', []))
        return answer
    finally:
        gone.cancel()


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
