"""Socket.IO mounted under prefixes of a FastAPI app, under uvicorn.

    python tests/apps/mounted_app.py --impl turbosio|socketio --mode asgi --port N

``/full`` mounts ``ASGIApp(sio, socketio_path='/full/socket.io')`` (the path written out in full); ``/plain`` mounts
``ASGIApp(sio)`` (the default path, relative to the mount).
"""

import argparse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', default='asgi')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--async', dest='is_async', action='store_true')
    args = parser.parse_args()
    if args.impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    import uvicorn
    from fastapi import FastAPI

    web = FastAPI()

    @web.get('/hello')
    def hello():
        return {'hello': 'world'}

    for name, path in (('full', '/full/socket.io'), ('plain', 'socket.io')):
        sio = socketio.AsyncServer(async_mode='asgi')

        async def echo(sid, data, name=name):
            return {'mount': name, 'data': data}

        sio.on('echo', echo)
        web.mount(f'/{name}', socketio.ASGIApp(sio, socketio_path=path))
    uvicorn.run(web, host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
