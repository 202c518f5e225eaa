"""The user's seed system run as its author runs it, both sides turbosio: ``examples/seed/server.py`` and then
``client1.py`` and ``client2.py``, each the seed's program with only ``import socketio`` changed to
``import turbosio as socketio``. What is checked is what each program prints.

The clients end in ``sio.wait()``, which never returns while the server is up: the test stops them once it has
seen what they print.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.settings import REPO_DIR

SEED = REPO_DIR / 'examples' / 'seed'
PORT = 5000  # the seed programs' own address: localhost:5000
WAIT = 20.0


def _port_open() -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', PORT)) == 0


class Program:
    """A seed program running as ``python -u <file>`` in its folder, with what it prints collected."""

    def __init__(self, folder: Path, name: str):
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, '-u', name],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding='utf-8',
            env=dict(os.environ, PYTHONIOENCODING='utf-8'),
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.rstrip('\n'))
                self._cond.notify_all()

    def output(self) -> str:
        with self._cond:
            return '\n'.join(self.lines)

    def wait_for(self, line: str, timeout: float = WAIT) -> None:
        """Wait until the program printed ``line``. Its text is looked for anywhere in the output: the seed server
        prints from several handler threads, and ``print`` writes the text and its newline separately, so two
        lines may run together."""
        with self._cond:
            if self._cond.wait_for(lambda: line in '\n'.join(self.lines) or self.proc.poll() is not None, timeout):
                if line in '\n'.join(self.lines):
                    return
        raise AssertionError(f'{self.name} did not print {line!r} within {timeout} s; it printed:\n{self.output()}')

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(how)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def run_seed_system(server_folder: Path, client_folder: Path) -> None:
    """Run the seed's server and its two clients and check what each prints."""
    if _port_open():
        pytest.skip(f'port {PORT}, which the seed programs hard-code, is taken')
    server = Program(server_folder, 'server.py')
    clients: list[Program] = []
    try:
        deadline = time.monotonic() + WAIT
        while not _port_open():
            assert server.proc.poll() is None and time.monotonic() < deadline, server.output()
            time.sleep(0.1)  # waiting for the port to be bound, with a deadline

        client1 = Program(client_folder, 'client1.py')
        clients.append(client1)
        client1.wait_for('Connected to server')
        client1.wait_for("Response from server: {'data': 'Server received: Hello, server!'}")
        server.wait_for("Test message received: {'data': 'Hello, server!'}")

        client2 = Program(client_folder, 'client2.py')
        clients.append(client2)
        client2.wait_for('Connected to server')
        client2.wait_for("Response from server: {'data': 'Server received: This is client 2.'}")
        # client1 is in room1: it gets client2's message, and the news of client2 joining.
        client1.wait_for("Response from server: {'data': 'Server received: This is client 2.'}")
        # A sid is 20 characters; a line glued to the next must not lengthen it.
        connected = re.findall(r'Client connected to /chat: ([A-Za-z0-9_-]{20})', server.output())
        assert len(connected) == 2, server.output()
        client1.wait_for(f"Room message: {{'data': '{connected[1]} has joined the room room1'}}")
        client2.wait_for(f"Room message: {{'data': '{connected[1]} has joined the room room1'}}")
        for program in (server, *clients):
            assert 'Traceback' not in program.output(), program.output()
        # Ctrl-C, as their author stops them: the program ends and the server sees that client leave.
        client2.proc.send_signal(signal.SIGINT)
        client2.proc.wait(timeout=10)
        server.wait_for(f'Client disconnected from /chat: {connected[1]}')
    finally:
        for client in clients:
            client.stop(signal.SIGINT)  # as their author stops them: Ctrl-C
        server.stop()


def test_seed_clients_with_only_the_import_changed():
    import turbosio

    if not hasattr(turbosio, 'Client'):
        pytest.skip('turbosio.Client does not exist yet (issue 9): examples/seed/client1.py and client2.py need it')
    pytest.importorskip('eventlet')
    run_seed_system(SEED, SEED)
