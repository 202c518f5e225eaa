"""The seed program (shared/seed): its sync server (tests/apps/seed_server.py) driven by two python-socketio
``Client`` instances doing what the seed's client1.py and client2.py do.

What is asserted is what the seed's users would see: the server's printed lines and the messages each client
gets. The seed's server runs every event in its own thread, so a client's own 'message' can be handled before
its 'join_room'; only messages that do not depend on that order are asserted.
"""

import threading

from support.clients import SyncPeer
from support.marks import require_wsgi_server


def seed_client() -> SyncPeer:
    """client1.py / client2.py's Client and handlers; the handlers record what the seed prints."""
    peer = SyncPeer(namespaces=())
    sio = peer.sio

    @sio.on('connect', namespace='/chat')
    def on_connect():
        peer.record('/chat', 'connect', ())
        sio.emit('join_room', {'room': 'room1'}, namespace='/chat')

    @sio.on('response', namespace='/chat')
    def on_response(data):
        peer.record('/chat', 'response', (data,))

    @sio.on('room_message', namespace='/chat')
    def on_room_message(data):
        peer.record('/chat', 'room_message', (data,))

    @sio.on('disconnect', namespace='/chat')
    def on_disconnect():
        peer.record('/chat', 'disconnect', ())

    return peer


def printed(srv, text: str, count: int = 1) -> None:
    srv.wait_for(lambda line: sum(seen.get('text') == text for seen in srv.lines) >= count)


def test_seed_clients_chat_in_room1(server, mode):
    require_wsgi_server(mode)
    srv = server('seed_server.py', sync=True)
    client1, client2 = seed_client(), seed_client()
    try:
        # client1.py
        client1.sio.connect(srv.url, namespaces=['/chat', '/test'], wait_timeout=5)
        client1.sio.emit('message', {'room': 'room1', 'data': 'Hello, server!'}, namespace='/chat')
        client1.sio.emit('message', {'data': 'Hello, server!'}, namespace='/test')
        client1.sio.emit('join_room', {'room': 'room1'}, namespace='/chat')
        sid1 = client1.sio.get_sid(namespace='/chat')

        printed(srv, f'Client connected to /chat: {sid1}')
        printed(srv, f'Client {sid1} joined room room1', count=2)
        printed(srv, f'Message from {sid1} in room room1: Hello, server!')
        printed(srv, "Test message received: {'data': 'Hello, server!'}")
        joined1 = ({'data': f'{sid1} has joined the room room1'},)
        client1.wait_until(lambda: len(client1.received('room_message', '/chat')) >= 2, what='two joins')
        assert client1.received('room_message', '/chat') == [joined1, joined1]

        # client2.py, once client1 is in room1
        client2.sio.connect(srv.url, namespaces=['/chat', '/test'], wait_timeout=5)
        client2.sio.emit('join_room', {'room': 'room1'}, namespace='/chat')
        client2.sio.emit('message', {'room': 'room1', 'data': 'This is client 2.'}, namespace='/chat')
        sid2 = client2.sio.get_sid(namespace='/chat')

        printed(srv, f'Client connected to /chat: {sid2}')
        printed(srv, f'Client {sid2} joined room room1', count=2)
        printed(srv, f'Message from {sid2} in room room1: This is client 2.')
        joined2 = ({'data': f'{sid2} has joined the room room1'},)
        from_client2 = ({'data': 'Server received: This is client 2.'},)
        client1.wait_until(lambda: client1.received('response', '/chat').count(from_client2) == 1, what='response')
        client1.wait_until(lambda: client1.received('room_message', '/chat').count(joined2) == 2, what='joins')
        client2.wait_until(lambda: client2.received('room_message', '/chat').count(joined2) == 2, what='own joins')
        assert client1.received('connect', '/chat') == [()]
        assert client2.received('connect', '/chat') == [()]
    finally:
        # together: each disconnect can take seconds against python-socketio under werkzeug
        leaving = [threading.Thread(target=client.sio.disconnect) for client in (client1, client2)]
        for thread in leaving:
            thread.start()
        for thread in leaving:
            thread.join(timeout=10)

    printed(srv, f'Client disconnected from /chat: {sid1}')
    printed(srv, f'Client disconnected from /chat: {sid2}')
    assert client1.received('disconnect', '/chat') == [()]
    assert srv.process.is_running()
    assert 'Traceback' not in srv.stderr
