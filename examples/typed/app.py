"""A small typed turbosio app: every public server-side name, used the way a typed program uses them.

The test command checks this file with ``mypy --strict`` and pyright (``scripts/check_types.sh``); run it with
``python examples/typed/app.py`` (native server on :5000) or ``uvicorn examples.typed.app:app``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import turbosio
import turbosio.engineio
from turbosio import exceptions

sio = turbosio.AsyncServer(cors_allowed_origins='*', logger=logging.getLogger('chat'))
app = turbosio.ASGIApp(sio, static_files={'/': {'filename': 'index.html', 'content_type': 'text/html'}})


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
    if auth is None or not isinstance(auth.get('name'), str):
        raise exceptions.ConnectionRefusedError('a name, please')
    async with sio.session(sid) as session:
        session['name'] = auth['name']
    await sio.enter_room(sid, 'lobby')


@sio.on('say')
async def say(sid: str, text: str) -> dict[str, int]:
    session: dict[str, Any] = await sio.get_session(sid)
    await sio.emit('said', {'who': session['name'], 'text': text}, to='lobby', skip_sid=sid)
    rooms: list[str] = sio.rooms(sid)
    return {'rooms': len(rooms)}


@sio.event(namespace='/admin')
async def kick(sid: str, target: str) -> bool:
    try:
        reply: Any = await sio.call('are_you_there', to=target, timeout=2.0)
    except exceptions.TimeoutError:
        reply = None
    await sio.disconnect(target)
    return reply is not None


@sio.on('disconnect')
async def gone(sid: str, reason: str) -> None:
    transport: str | None = sio.transport(sid)
    sio.logger.info('%s left (%s, %s)', sid, reason, transport)


class Stats(turbosio.AsyncNamespace):
    """A class-based namespace: ``on_<event>`` methods."""

    def __init__(self) -> None:
        super().__init__('/stats')
        self.count = 0

    async def on_ping(self, sid: str, data: int) -> int:
        self.count += 1
        await self.emit('pong', data + 1, to=sid)
        return self.count


sio.register_namespace(Stats())


def on_reply(*args: Any) -> None:
    print('acked with', args)


async def announce(text: str) -> None:
    await sio.emit('news', text, callback=on_reply)
    await sio.send(text)


# The threaded flavour, under any WSGI server, and its class-based namespace.
threaded = turbosio.Server(async_mode='threading')
wsgi_app = turbosio.WSGIApp(threaded)


@threaded.event
def echo(sid: str, data: object) -> object:
    threaded.save_session(sid, {'last': data})
    with threaded.session(sid) as session:
        session['seen'] = True
    return data


class Chat(turbosio.Namespace):
    def on_message(self, sid: str, data: str) -> None:
        self.emit('message', data, room='lobby')
        self.enter_room(sid, 'lobby')


threaded.register_namespace(Chat('/chat'))

# A bare Engine.IO server (python-engineio's API).
eio = turbosio.engineio.AsyncServer()
eio_app = turbosio.engineio.ASGIApp(eio)


@eio.on('message')
async def message(sid: str, data: str | bytes) -> None:
    await eio.send(sid, data)


def problems() -> list[type[exceptions.SocketIOError]]:
    return [exceptions.ConnectionError, exceptions.BadNamespaceError, exceptions.DisconnectedError]


async def main() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(3600, stop.set)
    await turbosio.serve(sio, '127.0.0.1', 5000, stop=stop)


if __name__ == '__main__':
    print('turbosio', turbosio.__version__)
    turbosio.run(app, host='127.0.0.1', port=5000)
