"""python-socketio 5.18's AsyncServer as an ASGI app, for uvicorn to serve over TLS to turbosio's clients
(``tests/tls/test_client_tls.py``)::

    python -m uvicorn tls_peer_app:app --app-dir tests/apps --port N --ssl-certfile CERT --ssl-keyfile KEY

Its ``echo`` event is ``tests/tls/tls_app.py``'s: it emits ``echoed`` back to its sender and returns its data as the
ack.
"""

from __future__ import annotations

import socketio

sio = socketio.AsyncServer(async_mode='asgi')


@sio.event
async def echo(sid, data):
    await sio.emit('echoed', data, to=sid)
    return data


app = socketio.ASGIApp(sio)
