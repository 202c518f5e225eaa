"""A Socket.IO server instrumented for the Admin UI (``sio.instrument()``), for tests/admin/.

Usage::

    python tests/apps/admin_app.py --impl turbosio|socketio --mode native|asgi --port N [--async|--sync]
        [--admin-mode development|production] [--read-only yes|no] [--stats-interval S] [--cors-origin URL]
        [--auth list|function|coroutine|off]

It runs on turbosio or on python-socketio (the reference), so the tests can compare what each sends. The admin
credentials are ``admin`` / ``secret`` (or ``ops`` / ``hunter2``: ``auth`` is a list of two); ``--auth`` picks
a function or coroutine function instead (it wants ``{'token': 'letmein'}``), or no check. On ``/``, clients
may emit ``enter`` and ``exit`` (a room name), ``echo`` (sent back to the sender as ``echo``) and
``uninstrument``. Every connect
and disconnect on ``/`` is printed as a JSON line, as the other apps in tests/apps do.
"""

from __future__ import annotations

import argparse
import logging
import sys

from main_app import load_impl, report, serve

CREDENTIALS = [{'username': 'admin', 'password': 'secret'}, {'username': 'ops', 'password': 'hunter2'}]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument('--async', dest='is_async', action='store_true', default=True)
    flavour.add_argument('--sync', dest='is_async', action='store_false')
    parser.add_argument('--admin-mode', choices=['development', 'production'], default='development')
    parser.add_argument('--read-only', choices=['yes', 'no'], default='no')
    parser.add_argument('--stats-interval', type=float, default=0.5)
    parser.add_argument('--auth', choices=['list', 'function', 'coroutine', 'off'], default='list')
    parser.add_argument('--cors-origin', default='*', help="the Admin UI page's origin (default: any)")
    return parser.parse_args(argv)


def make_server(socketio, args):
    if args.is_async:
        sio = socketio.AsyncServer(async_mode='asgi', cors_allowed_origins=args.cors_origin)
    else:
        sio = socketio.Server(async_mode='threading', cors_allowed_origins=args.cors_origin)

    def connect(sid, environ, auth=None):
        report(ev='connect', sid=sid)

    def disconnect(sid, reason=None):
        report(ev='disconnect', sid=sid)

    # Each verb's result is awaited on the asyncio flavour (python-socketio's verbs are coroutines there).
    verbs = {
        'enter': lambda sid, room: (sio.enter_room(sid, room), 'entered'),
        'exit': lambda sid, room: (sio.leave_room(sid, room), 'left'),
        'echo': lambda sid, data: (sio.emit('echo', data, to=sid), 'echoed'),
    }
    sio.on('connect', connect)
    sio.on('disconnect', disconnect)
    instrumented = sio.instrument(
        auth=admin_auth(args.auth),
        mode=args.admin_mode,
        read_only=args.read_only == 'yes',
        server_id='admin-test',
        server_stats_interval=args.stats_interval,
    )
    for name, verb in verbs.items():
        sio.on(name, awaiting(verb) if args.is_async else (lambda *a, verb=verb: verb(*a)[1]))
    # uninstrument() is a plain method on both flavours.
    sio.on('uninstrument', lambda sid: (instrumented.uninstrument(), 'done')[1])
    return sio


def admin_auth(kind):
    """``auth`` for instrument(): the list of credentials, a function or coroutine function that wants
    ``{'token': 'letmein'}``, or False (no check)."""
    if kind == 'list':
        return CREDENTIALS
    if kind == 'off':
        return False

    def check(auth):
        report(ev='admin_auth', auth=auth)
        return auth == {'token': 'letmein'}

    if kind == 'function':
        return check

    async def check_later(auth):
        return check(auth)

    return check_later


def awaiting(verb):
    async def run(*args):
        pending, answer = verb(*args)
        await pending
        return answer

    return run


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')
    socketio = load_impl(args.impl)
    serve(make_server(socketio, args), socketio, args)


if __name__ == '__main__':
    main()
