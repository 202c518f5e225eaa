"""A FastAPI app and Socket.IO on one port, hosted natively by turbosio (no uvicorn).

    python tests/apps/hosted_app.py --impl turbosio --mode native --port N

Routes, a dependency, a middleware, UploadFile, StreamingResponse, a route that raises, lifespan facts.
"""

# No "from __future__ import annotations": FastAPI reads the route annotations of the local functions below.


import argparse
import json
import sys
from contextlib import asynccontextmanager


def report(**fact):
    sys.stdout.write(json.dumps(fact) + '\n')
    sys.stdout.flush()


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

    @web.get('/boom')
    def boom():
        raise ValueError('kaboom')

    sio = turbosio.AsyncServer()

    @sio.event
    async def echo(sid, data):
        return data

    turbosio.run(turbosio.ASGIApp(sio, other_asgi_app=web), host='127.0.0.1', port=args.port)


if __name__ == '__main__':
    main()
