"""The user's own seed server (shared/seed: the eventlet program), with only ``import socketio`` changed to
``import turbosio as socketio`` (examples/seed/server.py), run unmodified and driven the way the seed's client1.py
and client2.py drive it, with python-socketio's own ``Client``."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest
import socketio
from support.settings import IMPL, REPO_DIR

SEED = REPO_DIR / 'examples' / 'seed'
PORT = 5000  # the seed program's own address: localhost:5000


def _port_open() -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', PORT)) == 0


def _seed_client(join_first: bool, text: str, received: list, ready: threading.Event) -> socketio.Client:
    """What client1.py (join after sending) and client2.py (join before sending) do."""
    sio = socketio.Client()

    @sio.on('connect', namespace='/chat')
    def on_connect():
        sio.emit('join_room', {'room': 'room1'}, namespace='/chat')

    @sio.on('response', namespace='/chat')
    def on_response(data):
        received.append(('response', data))
        ready.set()

    @sio.on('room_message', namespace='/chat')
    def on_room_message(data):
        received.append(('room_message', data))

    sio.connect(f'http://localhost:{PORT}', namespaces=['/chat', '/test'], wait_timeout=10)
    if join_first:
        sio.emit('join_room', {'room': 'room1'}, namespace='/chat')
    sio.emit('message', {'room': 'room1', 'data': text}, namespace='/chat')
    if not join_first:
        sio.emit('message', {'data': text}, namespace='/test')
        sio.emit('join_room', {'room': 'room1'}, namespace='/chat')
    return sio


def test_seed_eventlet_server_runs_with_only_the_import_changed():
    if IMPL != 'turbosio':
        pytest.skip('this runs examples/seed/server.py, the turbosio copy of the seed')
    pytest.importorskip('eventlet')
    if _port_open():
        pytest.skip(f'port {PORT}, which the seed program hard-codes, is taken')
    server = subprocess.Popen(
        [sys.executable, '-u', 'server.py'], cwd=SEED, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(server.stdout), daemon=True)
    reader.start()
    clients = []
    try:
        deadline = time.monotonic() + 20
        while not _port_open():
            assert server.poll() is None and time.monotonic() < deadline, ''.join(output)
            time.sleep(0.1)
        received1: list = []
        received2: list = []
        ready1, ready2 = threading.Event(), threading.Event()
        clients.append(_seed_client(False, 'Hello, server!', received1, ready1))
        clients.append(_seed_client(True, 'This is client 2.', received2, ready2))
        assert ready1.wait(10) and ready2.wait(10)
        deadline = time.monotonic() + 10
        while not any('This is client 2.' in str(data) for _, data in received1):
            assert time.monotonic() < deadline, received1
            time.sleep(0.05)
        # Both are in room1: each gets the other's message as a 'response', and 'room_message' for joins.
        assert ('response', {'data': 'Server received: Hello, server!'}) in received1
        assert ('response', {'data': 'Server received: This is client 2.'}) in received1
        assert ('response', {'data': 'Server received: This is client 2.'}) in received2
        assert any(kind == 'room_message' and 'has joined the room room1' in data['data'] for kind, data in received1)
        # The clients upgraded: eventlet's server handed each WebSocket's socket over to turbosio's runtime.
        assert [client.transport() for client in clients] == ['websocket', 'websocket']
    finally:
        for client in clients:
            client.disconnect()
        # Wait for the server to say goodbye to each, before stopping it.
        deadline = time.monotonic() + 10
        while ''.join(output).count('Client disconnected from /chat:') < len(clients) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the server's output, with a deadline
        server.terminate()
        server.wait(timeout=10)
        reader.join(timeout=5)
        server.stdout.close()
    log = ''.join(output)
    assert 'Client connected to /chat:' in log
    assert "Test message received: {'data': 'Hello, server!'}" in log
    assert 'in room room1: Hello, server!' in log
    assert 'in room room1: This is client 2.' in log
    assert 'Client disconnected from /chat:' in log
