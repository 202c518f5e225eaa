"""A real ``redis-server`` in a temp dir on a free port, and servers of one fleet around it: turbosio and
python-socketio nodes (each an ASGI app under uvicorn on a thread of this process), with clients that record
what reaches them."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import socketio
import turbosio
from support.inprocess import UvicornThread, WerkzeugThread
from support.servers import free_port

REDIS_SERVER = shutil.which('redis-server')


def _ask(port: int, *command: str, timeout: float = 1.0) -> bytes:
    """One RESP command over a fresh connection; the raw reply."""
    payload = f'*{len(command)}\r\n'.encode() + b''.join(
        f'${len(part.encode())}\r\n'.encode() + part.encode() + b'\r\n' for part in command
    )
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


class RedisProcess:
    """redis-server without persistence, started and stopped at will on one port."""

    def __init__(self, workdir: Path, tls: tuple[Path, Path] | None = None) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.tls = tls  # (certificate, key): also serve TLS on tls_port
        self.tls_port = free_port() if tls else 0

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    @property
    def unix_url(self) -> str:
        return f'unix://{self.workdir / "redis.sock"}'

    def start(self) -> None:
        assert REDIS_SERVER, 'redis-server is not installed (scripts/setup.sh)'
        self.process = subprocess.Popen(
            [REDIS_SERVER, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
             '--dir', str(self.workdir), '--protected-mode', 'no', '--unixsocket', str(self.workdir / 'redis.sock'),
             *self._tls_options()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if _ask(self.port, 'PING').startswith(b'+PONG'):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)  # waiting for the port to open: redis-server announces nothing we could await

    def _tls_options(self) -> list[str]:
        if self.tls is None:
            return []
        cert, key = self.tls
        return ['--tls-port', str(self.tls_port), '--tls-cert-file', str(cert), '--tls-key-file', str(key),
                '--tls-auth-clients', 'no']

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def listen(self, channel: str) -> socket.socket:
        """A raw subscriber: SUBSCRIBE sent and confirmed; read the published bytes with :func:`next_message`."""
        conn = socket.create_connection(('127.0.0.1', self.port), timeout=10)
        conn.sendall(f'*2\r\n$9\r\nSUBSCRIBE\r\n${len(channel)}\r\n{channel}\r\n'.encode())
        confirmation = b''
        while confirmation.count(b'\r\n') < 6:  # *3, $9, subscribe, $n, channel, :1
            confirmation += conn.recv(4096)
        return conn

    def subscribers(self, channel: str) -> int:
        reply = _ask(self.port, 'PUBSUB', 'NUMSUB', channel)
        # *2\r\n$len\r\nchannel\r\n:N\r\n
        return int(reply.rsplit(b':', 1)[1].split(b'\r\n', 1)[0])

    def wait_subscribers(self, channel: str, count: int, timeout: float = 10) -> None:
        """Wait until ``count`` connections listen on ``channel`` (a node subscribes on its own time)."""
        deadline = time.monotonic() + timeout
        while self.subscribers(channel) < count:
            assert time.monotonic() < deadline, f'{channel}: {self.subscribers(channel)} subscribers, not {count}'
            time.sleep(0.02)


def next_message(conn: socket.socket) -> bytes:
    """The payload of the next RESP ``message`` push on a :meth:`RedisProcess.listen` connection."""
    buffer = b''
    while True:
        # *3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<m>\r\n<payload>\r\n
        parts = buffer.split(b'\r\n', 6)
        if len(parts) == 7:
            size = int(parts[5][1:])
            if len(parts[6]) >= size + 2:
                return parts[6][:size]
        chunk = conn.recv(65536)
        assert chunk, 'the subscriber connection closed'
        buffer += chunk


def new_channel() -> str:
    return f'socketio-test-{uuid.uuid4().hex[:8]}'


def _handlers(sio: Any) -> None:
    """The same app on every node, whichever library serves it."""

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return 'joined'

    @sio.event
    async def shout(sid, room, data):
        await sio.emit('news', data, to=room)
        return 'sent'

    @sio.event
    async def local_shout(sid, room, data):
        await sio.emit('news', data, to=room, ignore_queue=True)
        return 'sent here'

    @sio.event
    async def ask(sid, target):
        return await sio.call('question', 'who are you?', to=target, timeout=10)

    @sio.event
    async def kick(sid, target):
        await sio.disconnect(target)
        return 'kicked'

    @sio.event
    async def put(sid, target, room):
        await sio.enter_room(target, room)
        return 'put'


class Node:
    """One server of the fleet under uvicorn: ``lib`` is ``turbosio`` or ``socketio`` (python-socketio)."""

    def __init__(self, lib: Any, url: str, channel: str, logger: Any = None) -> None:
        self.manager = lib.AsyncRedisManager(url, channel=channel, logger=logger)
        self.sio = lib.AsyncServer(async_mode='asgi', client_manager=self.manager)
        _handlers(self.sio)
        self.http = UvicornThread(lib.ASGIApp(self.sio))
        self.url = self.http.url

    def stop(self) -> None:
        listener = getattr(self.manager, 'thread', None)  # python-socketio's listening task, if it started
        if isinstance(listener, asyncio.Task) and not listener.done():
            asyncio.run_coroutine_threadsafe(self._close_python_socketio(listener), listener.get_loop()).result(10)
        self.http.stop()

    async def _close_python_socketio(self, listener: asyncio.Task[Any]) -> None:
        # python-socketio leaves its Redis connections to the garbage collector when its loop ends; close them.
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        for resource in (self.manager.pubsub, self.manager.redis):
            if resource is not None:
                await resource.aclose()


class SyncNode:
    """A threaded turbosio ``Server`` with ``RedisManager``, under werkzeug: the same app, plain handlers."""

    def __init__(self, url: str, channel: str) -> None:
        self.manager = turbosio.RedisManager(url, channel=channel)
        self.sio = sio = turbosio.Server(client_manager=self.manager)

        @sio.event
        def join(sid, room):
            sio.enter_room(sid, room)
            return 'joined'

        @sio.event
        def shout(sid, room, data):
            sio.emit('news', data, to=room)
            return 'sent'

        @sio.event
        def ask(sid, target):
            return sio.call('question', 'who are you?', to=target, timeout=10)

        self.http = WerkzeugThread(turbosio.WSGIApp(sio))
        self.url = self.http.url

    def stop(self) -> None:
        self.http.stop()
        self.manager.close()


class Peer:
    """A python-socketio AsyncClient that records every event and answers ``question`` with its sid."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.channel = ''  # the fleet's channel, when a test needs it
        self.client.on('*', lambda event, *data: self.events.put_nowait((event, data[0] if data else None)))
        self.client.on('question', lambda *_: f'answer from {self.client.get_sid()}')
        self.client.on('disconnect', lambda *reason: self.gone.set())

    async def connect(self, url: str) -> Peer:
        await self.client.connect(url, transports=['websocket'])
        return self

    @property
    def sid(self) -> str:
        sid = self.client.get_sid()
        assert sid is not None
        return sid

    async def next_event(self, timeout: float = 10) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


__all__ = ['Node', 'Peer', 'RedisProcess', 'new_channel', 'turbosio']
