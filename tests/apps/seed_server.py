"""The seed program's server (shared/seed, "2.2 代码案例", server.py), served for the end-to-end tests.

Usage::

    python tests/apps/seed_server.py --impl turbosio|socketio --mode native|asgi --port N

Between the two marked lines the seed's handlers are copied unchanged, but for the import, which picks
``turbosio`` or python-socketio. The seed serves its sync ``socketio.Server`` with eventlet; here turbosio serves
it natively (``turbosio.run``) in native mode, and otherwise the seed's own ``WSGIApp`` runs under werkzeug's
threaded server (websocket works there through python-engineio's threading mode).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', choices=['native', 'asgi'], default='native')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--sync', action='store_true', help='accepted for symmetry with main_app; always sync')
    return parser.parse_args(argv)


def load_impl(name):
    if name == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    return socketio


class LineAtomicStdout:
    """The seed prints from handler threads with print(a, b), which is several writes; this keeps lines whole."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()
        self._local = threading.local()

    def write(self, text):
        pending = getattr(self._local, 'pending', '') + text
        *lines, self._local.pending = pending.split('\n')
        if lines:
            with self._lock:
                self._stream.write(''.join(line + '\n' for line in lines))
                self._stream.flush()
        return len(text)

    def flush(self):
        self._stream.flush()


ARGS = parse_args()
sys.stdout = LineAtomicStdout(sys.stdout)
socketio = load_impl(ARGS.impl)

# ---- the seed's server handlers, unchanged, from here ----
# 创建 SocketIO 服务器，并指定 namespace
sio = socketio.Server()


# 定义连接事件
@sio.on('connect', namespace='/chat')
def connect(sid, environ):
    print('Client connected to /chat:', sid)


# 定义加入房间事件
@sio.on('join_room', namespace='/chat')
def join_room(sid, data):
    room = data['room']
    sio.enter_room(sid, room, namespace='/chat')
    print(f'Client {sid} joined room {room}')
    sio.emit('room_message', {'data': f'{sid} has joined the room {room}'}, room=room, namespace='/chat')


# 定义消息事件
@sio.on('message', namespace='/chat')
def message(sid, data):
    room = data['room']
    print(f'Message from {sid} in room {room}: {data["data"]}')
    sio.emit('response', {'data': f'Server received: {data["data"]}'}, room=room, namespace='/chat')


@sio.on('message', namespace='/test')
def test(sid, data):
    print(f'Test message received: {data}')


# 定义断开连接事件
@sio.on('disconnect', namespace='/chat')
def disconnect(sid):
    print('Client disconnected from /chat:', sid)


# 创建 WSGI 应用
app = socketio.WSGIApp(sio)
# ---- to here ----


def serve():
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')
    if ARGS.impl == 'turbosio' and ARGS.mode == 'native':
        print('READY')
        socketio.run(sio, host='127.0.0.1', port=ARGS.port)
        return
    if sio.async_mode == 'eventlet':
        # python-socketio picks eventlet when it is installed: serve it the seed's own way.
        import eventlet
        import eventlet.wsgi

        print('READY')
        eventlet.wsgi.server(eventlet.listen(('127.0.0.1', ARGS.port)), app, log_output=False)
        return
    from werkzeug.serving import make_server

    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    if sio.async_mode != 'threading':
        raise SystemExit(f'seed server: expected the threading async mode, got {sio.async_mode!r}')
    httpd = make_server('127.0.0.1', ARGS.port, app, threaded=True)
    print('READY')
    httpd.serve_forever()


if __name__ == '__main__':
    serve()
