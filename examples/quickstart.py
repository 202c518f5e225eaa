"""turbosio in one file: a chat server with rooms and acknowledgements, and two python-socketio clients.

The server is python-socketio code with one changed import; the clients are python-socketio's own. Run with
``python examples/quickstart.py`` (the README's demo command sets everything up first).
"""

import asyncio
import socket

import socketio  # python-socketio: used here only for its clients
import turbosio

sio = turbosio.AsyncServer(async_mode='asgi')


@sio.event
async def connect(sid, environ, auth):
    name = (auth or {}).get('name', 'anonymous')
    await sio.save_session(sid, {'name': name})
    print(f'[server] {name} connected from {environ["REMOTE_ADDR"]} (sid {sid})')


@sio.event
async def join(sid, room):
    await sio.enter_room(sid, room)
    session = await sio.get_session(sid)
    await sio.emit('chat', {'from': 'server', 'text': f'{session["name"]} joined {room}'}, to=room)
    return f'welcome to {room}'


@sio.event
async def say(sid, data):
    session = await sio.get_session(sid)
    await sio.emit('chat', {'from': session['name'], 'text': data['text']}, to=data['room'], skip_sid=sid)
    return 'delivered'


@sio.event
async def disconnect(sid, reason):
    print(f'[server] {sid} left ({reason})')


async def client(name: str, url: str, heard: asyncio.Queue) -> socketio.AsyncClient:
    c = socketio.AsyncClient()

    @c.on('chat')
    async def on_chat(message):
        print(f'[{name}] heard {message["from"]}: {message["text"]}')
        await heard.put((name, message))

    await c.connect(url, auth={'name': name}, transports=['websocket'])
    print(f'[{name}] join ack: {await c.call("join", "lobby")}')
    return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


async def main() -> None:
    port = free_port()
    stop = asyncio.Event()
    server = asyncio.create_task(turbosio.serve(sio, '127.0.0.1', port, stop=stop))
    await asyncio.sleep(0.2)
    url = f'http://127.0.0.1:{port}'
    print(f'[demo] turbosio serving on {url}')
    heard: asyncio.Queue = asyncio.Queue()
    alice = await client('alice', url, heard)
    bob = await client('bob', url, heard)
    print(f'[alice] say ack: {await alice.call("say", {"room": "lobby", "text": "hi bob!"})}')
    print(f'[bob] say ack: {await bob.call("say", {"room": "lobby", "text": "hello alice"})}')
    while not heard.empty():
        heard.get_nowait()
    await alice.disconnect()
    await bob.disconnect()
    await asyncio.sleep(0.2)
    stop.set()
    await server
    print('[demo] done')


if __name__ == '__main__':
    asyncio.run(main())
