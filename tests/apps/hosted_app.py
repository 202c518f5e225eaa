"""A FastAPI app and Socket.IO on one port, hosted natively by turbosio (no uvicorn).

    python tests/apps/hosted_app.py --impl turbosio --mode native --port N

Routes, a dependency, a middleware, UploadFile, StreamingResponse, a route that raises, lifespan facts, and
WebSocket routes (echo with a subprotocol, a refusal, a push-then-close, one that raises).
"""

# No "from __future__ import annotations": FastAPI reads the route annotations of the local functions below.


import argparse
import asyncio
import json
import sys
from contextlib import asynccontextmanager


def report(**fact):
    sys.stdout.write(json.dumps(fact) + '\n')
    sys.stdout.flush()


def add_upload_routes(web) -> None:
    """Routes that read request bodies as they arrive."""
    from fastapi import Request

    gate = asyncio.Event()

    @web.post('/count')
    async def count(request: Request):
        pieces = total = 0
        async for piece in request.stream():
            pieces += bool(piece)
            total += len(piece)
        return {'pieces': pieces, 'total': total}

    @web.post('/slow-upload')
    async def slow_upload(request: Request):
        # Reads one piece, then nothing until /release: the upload must wait for it, not pile up in the server.
        total = 0
        async for piece in request.stream():
            if not total:
                report(ev='upload_started')
                await gate.wait()
            total += len(piece)
        return {'total': total}

    async def answer_first(scope, receive, send):
        # Raw ASGI: answers at once, then reads the body it never waited for. The reads must end (in
        # http.disconnect once the body is cut off), not wait forever.
        await send({'type': 'http.response.start', 'status': 202, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'accepted'})
        received = 0
        while True:
            message = await receive()
            received += len(message.get('body', b''))
            if message['type'] == 'http.disconnect' or not message.get('more_body'):
                report(ev='answer_first_done', last=message['type'])
                return

    web.mount('/answer-first', answer_first)

    @web.post('/release')
    async def release():
        gate.set()
        return {}


def add_flow_control_routes(web) -> None:
    """WebSocket routes that send far more than a slow client reads."""
    from fastapi import WebSocket

    @web.websocket('/ws/flood')
    async def ws_flood(ws: WebSocket):
        # 128 MiB for a client that does not read yet: send() has to wait for it rather than queue it all.
        await ws.accept()
        chunk = b'x' * 65536
        for _ in range(2048):
            await ws.send_bytes(chunk)
        report(ev='flood_sent')
        await ws.receive()

    @web.websocket('/ws/flood-twice')
    async def ws_flood_twice(ws: WebSocket):
        # Two tasks sending at once to a client that reads late: both must be let go as it catches up.
        await ws.accept()
        chunk = b'y' * 65536

        async def flood():
            for _ in range(512):
                await ws.send_bytes(chunk)

        await asyncio.gather(flood(), flood())
        report(ev='flood_twice_sent')
        await ws.receive()


def add_websocket_routes(web) -> None:
    """The app's own WebSocket routes, served by turbosio beside Socket.IO."""
    from fastapi import WebSocket, WebSocketDisconnect

    @web.websocket('/ws/echo')
    async def ws_echo(ws: WebSocket):
        await ws.accept(subprotocol='chat' if 'chat' in ws.scope['subprotocols'] else None)
        await ws.send_text(f'hello {ws.client.host}')
        try:
            while True:
                message = await ws.receive()
                if message['type'] == 'websocket.disconnect':
                    report(ev='ws_disconnect', code=message['code'])
                    return
                if message.get('text') == 'bye':
                    await ws.close(code=4000, reason='done')
                    return
                if message.get('text') is not None:
                    await ws.send_text('echo:' + message['text'])
                else:
                    await ws.send_bytes(message['bytes'][::-1])
        except WebSocketDisconnect as gone:
            report(ev='ws_disconnect', code=gone.code)

    @web.websocket('/ws/deny')
    async def ws_deny(ws: WebSocket):
        await ws.close()

    @web.websocket('/ws/push')
    async def ws_push(ws: WebSocket):
        await ws.accept()
        for i in range(3):
            await ws.send_json({'n': i})

    @web.websocket('/ws/boom')
    async def ws_boom(ws: WebSocket):
        await ws.accept()
        raise RuntimeError('websocket kaboom')


def with_misuse(web):
    """``web``, except /misuse, a raw ASGI app (no middleware in the way) that sends a body after its response
    completed."""

    async def app(scope, receive, send):
        if scope['type'] != 'http' or scope['path'] != '/misuse':
            return await web(scope, receive, send)
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'complete'})
        await send({'type': 'http.response.body', 'body': b'one too many'})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio'], default='turbosio')
    parser.add_argument('--mode', choices=['native'], default='native')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--async', dest='is_async', action='store_true')
    parser.add_argument('--fail-startup', default='no')
    args = parser.parse_args()
    import turbosio
    from fastapi import Depends, FastAPI, Request, UploadFile
    from fastapi.responses import StreamingResponse

    @asynccontextmanager
    async def lifespan(app):
        report(ev='startup')
        if args.fail_startup == 'yes':
            raise RuntimeError('the database is down')
        yield
        report(ev='shutdown')

    web = FastAPI(lifespan=lifespan)

    @web.middleware('http')
    async def tag(request: Request, call_next):
        response = await call_next(request)
        response.headers['x-served-by'] = 'turbosio'
        return response

    def greeting() -> str:
        return 'hello'

    @web.get('/hello')
    def hello(word: str = Depends(greeting)):
        return {'word': word}

    @web.post('/upload')
    async def upload(file: UploadFile):
        data = await file.read()
        return {'name': file.filename, 'size': len(data)}

    @web.get('/stream')
    def stream():
        return StreamingResponse((f'chunk{i}\n' for i in range(3)), media_type='text/plain')

    @web.get('/bigstream')
    def bigstream():
        # 128 MiB for a client that reads slowly: the stream must wait for it rather than queue it all.
        def chunks():
            block = b'x' * 65536
            for _ in range(2048):
                yield block
            report(ev='bigstream_sent')

        return StreamingResponse(chunks(), media_type='application/octet-stream')

    @web.get('/boom')
    def boom():
        raise ValueError('kaboom')

    add_websocket_routes(web)
    add_flow_control_routes(web)
    add_upload_routes(web)

    sio = turbosio.AsyncServer()

    @sio.event
    async def echo(sid, data):
        return data

    turbosio.run(turbosio.ASGIApp(sio, other_asgi_app=with_misuse(web)), host='127.0.0.1', port=args.port)


if __name__ == '__main__':
    main()
