"""The threaded Socket.IO server through ``WSGIApp``, under a WSGI server: eventlet, gunicorn's threaded worker,
werkzeug's development server, or wsgiref (which exposes no socket, so WebSocket cannot be taken over there).

    python tests/apps/wsgi_servers_app.py --impl turbosio|socketio --port N --server eventlet|gunicorn|werkzeug|wsgiref

gunicorn is started as users start it, from its command line (its worker imports this module), so the
implementation travels in an environment variable.
"""

import argparse
import json
import os
import sys

if os.environ.get('WSGI_SERVERS_APP_IMPL', 'turbosio') == 'turbosio':
    import turbosio as socketio
else:
    import socketio

sio = socketio.Server(async_mode=os.environ.get('WSGI_SERVERS_APP_ASYNC_MODE') or None)


@sio.event
def echo(sid, data):
    return data


@sio.event
def shout(sid, data):
    sio.emit('shouted', str(data).upper(), to=sid)


@sio.event
def peer(sid):
    environ = sio.get_environ(sid)
    return [environ['REMOTE_ADDR'], str(environ['REMOTE_PORT'])]


def hello(environ, start_response):
    """The web app beside Socket.IO: GET /hello -> {"hello": "world"}."""
    if environ.get('PATH_INFO') == '/hello':
        body = json.dumps({'hello': 'world'}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'not found']


app = socketio.WSGIApp(sio, wsgi_app=hello)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], default='turbosio')
    parser.add_argument('--mode', default='asgi')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--sync', dest='is_async', action='store_false')
    parser.add_argument('--server', choices=['eventlet', 'gunicorn', 'werkzeug', 'wsgiref'], required=True)
    args = parser.parse_args()
    async_mode = {'eventlet': 'eventlet'}.get(args.server, 'threading')
    wanted = {'WSGI_SERVERS_APP_IMPL': args.impl, 'WSGI_SERVERS_APP_ASYNC_MODE': async_mode}
    if any(os.environ.get(key) != value for key, value in wanted.items()):
        os.environ.update(wanted)
        os.execv(sys.executable, [sys.executable, *sys.argv])  # import the chosen implementation from the start
    if args.server == 'eventlet':
        import eventlet
        import eventlet.wsgi

        eventlet.wsgi.server(eventlet.listen(('127.0.0.1', args.port)), app, log_output=False)
    elif args.server == 'gunicorn':
        here = os.path.dirname(os.path.abspath(__file__))
        command = ['gunicorn', '-k', 'gthread', '--threads', '4', '-w', '1', '-b', f'127.0.0.1:{args.port}']
        command += ['--chdir', here, '--log-level', 'warning', 'wsgi_servers_app:app']
        os.execv(sys.executable, [sys.executable, '-m', *command])
    elif args.server == 'werkzeug':
        from werkzeug.serving import make_server

        make_server('127.0.0.1', args.port, app, threaded=True).serve_forever()
    else:
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIServer, make_server

        class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
            daemon_threads = True

        make_server('127.0.0.1', args.port, app, server_class=ThreadingWSGIServer).serve_forever()


if __name__ == '__main__':
    main()
