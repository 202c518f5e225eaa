"""Socket.IO and a small ASGI web app (a page and a WebSocket route) on one port, served natively over TLS.

    python tests/tls/tls_app.py --port N --certfile CERT [--keyfile KEY] [--sync]
    turbosio tls_app:app --port N --ssl-certfile CERT --ssl-keyfile KEY       (from tests/tls)

The Socket.IO ``echo`` event emits ``echoed`` back to its sender and returns its data as the ack; ``scheme`` returns
what the connect handler's environ said (``wsgi.url_scheme``, ``SERVER_PORT``, the ASGI scope's scheme when
served as an ASGI app by another server). ``--sync`` serves a threaded
``turbosio.Server`` with a small WSGI app (``GET /hello`` answers with ``wsgi.url_scheme``) instead.
"""

from __future__ import annotations

import argparse

import turbosio

sio = turbosio.AsyncServer()
schemes: dict[str, list[str]] = {}  # sid -> what its connect handler's environ said


@sio.event
async def connect(sid, environ):
    schemes[sid] = [environ['wsgi.url_scheme'], environ['SERVER_PORT'], environ.get('asgi.scope', {}).get('scheme')]


@sio.event
async def echo(sid, data):
    await sio.emit('echoed', data, to=sid)
    return data


@sio.event
async def scheme(sid):
    return schemes.get(sid)


async def web(scope, receive, send):
    """Raw ASGI: ``GET /hello`` answers with the scope's scheme; ``/ws`` echoes one text message, then closes."""
    if scope['type'] == 'lifespan':
        while True:
            message = await receive()
            await send({'type': message['type'] + '.complete'})
            if message['type'] == 'lifespan.shutdown':
                return
    elif scope['type'] == 'http':
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': f'hello over {scope["scheme"]}'.encode()})
    elif scope['type'] == 'websocket':
        await receive()  # websocket.connect
        await send({'type': 'websocket.accept'})
        message = await receive()
        if message['type'] == 'websocket.receive':
            await send({'type': 'websocket.send', 'text': f'echo:{message.get("text")} over {scope["scheme"]}'})
        await send({'type': 'websocket.close', 'code': 1000})


app = turbosio.ASGIApp(sio, other_asgi_app=web)


def sync_server() -> turbosio.WSGIApp:
    server = turbosio.Server()
    sync_schemes: dict[str, list[str]] = {}

    @server.event
    def connect(sid, environ):
        sync_schemes[sid] = [environ['wsgi.url_scheme'], environ['SERVER_PORT'], None]

    @server.event
    def echo(sid, data):
        server.emit('echoed', data, to=sid)
        return data

    @server.on('scheme')
    def get_scheme(sid):
        return sync_schemes.get(sid)

    def wsgi_web(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [f'hello over {environ["wsgi.url_scheme"]}'.encode()]

    return turbosio.WSGIApp(server, wsgi_web)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--certfile', required=True)
    parser.add_argument('--keyfile', default=None)
    parser.add_argument('--sync', action='store_true')
    args = parser.parse_args()
    served = sync_server() if args.sync else app
    turbosio.run(served, port=args.port, ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)


if __name__ == '__main__':
    main()
