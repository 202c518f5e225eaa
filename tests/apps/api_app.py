"""Server app for the API-shape tests: class-based namespaces, a subclassed server, catch-all namespaces and
``always_connect``. Same command line and JSON fact lines as main_app.py.

    python tests/apps/api_app.py --impl turbosio|socketio --mode native|asgi --port N --variant NAME
"""

from __future__ import annotations

import argparse
import json
import sys


def report(**fact):
    sys.stdout.write(json.dumps(fact, default=repr) + '\n')
    sys.stdout.flush()


def build(socketio, variant: str):
    class CountingServer(socketio.AsyncServer):
        """A subclass, as fastapi-socketio makes: emit is wrapped and still awaited by handlers."""

        emitted = 0

        async def emit(self, event, *args, **kwargs):
            CountingServer.emitted += 1
            return await super().emit(event, *args, **kwargs)

    if variant == 'catchall':
        sio = CountingServer(async_mode='asgi', namespaces='*')

        @sio.on('connect', namespace='*')
        async def any_connect(namespace, sid, environ, auth=None):
            report(ev='connect', ns=namespace, sid=sid)

        @sio.on('*', namespace='*')
        async def any_event(event, namespace, sid, *data):
            report(ev='any', event=event, ns=namespace, sid=sid, data=list(data))
            return {'event': event, 'namespace': namespace, 'data': list(data)}

        return sio

    sio = CountingServer(async_mode='asgi', always_connect=(variant == 'always'))

    class Room(socketio.AsyncNamespace):
        async def on_connect(self, sid, environ):
            report(ev='connect', ns=self.namespace, sid=sid)
            if variant == 'always' and 'refuse=1' in environ.get('QUERY_STRING', ''):
                raise socketio.exceptions.ConnectionRefusedError('go away', {'why': 'asked'})
            await self.enter_room(sid, 'lobby')

        async def on_echo(self, sid, data):
            return data

        def on_shout(self, sid, data):
            return data.upper()

        async def on_announce(self, sid, data):
            await self.emit('announcement', {'text': data}, room='lobby')
            return {'emits_seen_by_subclass': CountingServer.emitted}

        async def on_disconnect(self, sid, reason):
            report(ev='disconnect', ns=self.namespace, sid=sid, reason=reason)

    sio.register_namespace(Room('/room'))
    return sio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--async', dest='is_async', action='store_true')
    parser.add_argument('--variant', choices=['classes', 'catchall', 'always'], default='classes')
    args = parser.parse_args()
    if args.impl == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    sio = build(socketio, args.variant)
    if args.impl == 'turbosio' and args.mode == 'native':
        socketio.run(sio, host='127.0.0.1', port=args.port, log_level=None)
        return
    import uvicorn

    uvicorn.run(socketio.ASGIApp(sio), host='127.0.0.1', port=args.port, log_level='warning')


if __name__ == '__main__':
    main()
