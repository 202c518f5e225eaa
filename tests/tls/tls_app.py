"""Socket.IO and a small ASGI web app (a page and a WebSocket route) on one port, served natively over TLS.

    python tests/tls/tls_app.py --port N --certfile CERT [--keyfile KEY] [--sync]
    turbosio tls_app:app --port N --ssl-certfile CERT --ssl-keyfile KEY       (from tests/tls)

The Socket.IO ``echo`` event emits ``echoed`` back to its sender and returns its data as the ack. ``--sync`` serves
a threaded ``turbosio.Server`` alone instead.
"""

from __future__ import annotations

import argparse

import turbosio

sio = turbosio.AsyncServer()


@sio.event
async def echo(sid, data):
    await sio.emit('echoed', data, to=sid)
    return data


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
            await send({'type': 'websocket.send', 'text': f'echo:{message.get("text")}'})
        await send({'type': 'websocket.close', 'code': 1000})


app = turbosio.ASGIApp(sio, other_asgi_app=web)


def sync_server() -> turbosio.Server:
    server = turbosio.Server()

    @server.event
    def echo(sid, data):
        server.emit('echoed', data, to=sid)
        return data

    return server


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
