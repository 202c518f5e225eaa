"""A small chat: FastAPI serves the page, turbosio serves Socket.IO, on one port and with no uvicorn.

    python examples/chat/app.py [--host 127.0.0.1] [--port 8000]

Open http://127.0.0.1:8000 in two browser tabs, join the same room and talk. The page uses the official
socket.io JavaScript client, served from the npm package's dist file (``npm install`` in this folder).
"""

import argparse
from pathlib import Path

import turbosio as socketio
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

HERE = Path(__file__).resolve().parent
CLIENT_JS = HERE / 'node_modules' / 'socket.io-client' / 'dist' / 'socket.io.min.js'

web = FastAPI()
sio = socketio.AsyncServer(async_mode='asgi')


@web.get('/', response_class=HTMLResponse)
def index() -> str:
    return (HERE / 'static' / 'index.html').read_text(encoding='utf-8')


@web.get('/socket.io.min.js')
def client_js() -> FileResponse:
    return FileResponse(CLIENT_JS, media_type='application/javascript')


@sio.event
async def connect(sid, environ, auth):
    name = str((auth or {}).get('name') or 'anonymous')[:40]
    await sio.save_session(sid, {'name': name, 'room': None})


@sio.event
async def join(sid, room):
    room = str(room)[:40]
    session = await sio.get_session(sid)
    if session['room']:
        await sio.leave_room(sid, session['room'])
    session['room'] = room
    await sio.enter_room(sid, room)
    await sio.emit('chat', {'from': '*', 'text': f'{session["name"]} joined {room}'}, to=room)
    return room


@sio.event
async def say(sid, text):
    session = await sio.get_session(sid)
    if not session['room']:
        return 'join a room first'
    await sio.emit('chat', {'from': session['name'], 'text': str(text)[:500]}, to=session['room'])
    return 'sent'


app = socketio.ASGIApp(sio, other_asgi_app=web)

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000)
    args = parser.parse_args()
    print(f'chat demo on http://{args.host}:{args.port}  (Ctrl-C stops it)', flush=True)
    socketio.run(app, host=args.host, port=args.port)
