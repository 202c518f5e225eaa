"""Helpers shared by the end-to-end tests: which implementation runs, the server process, and clients.

Environment:

- ``TURBOSIO_TEST_IMPL``: ``turbosio`` (default) or ``socketio`` (the reference, python-socketio).
- ``TURBOSIO_TEST_MODE``: unset runs every test once per mode (``native`` and ``asgi``); ``native`` or ``asgi``
  runs only that mode. With the reference, ``native`` serves the same app as ``asgi`` (uvicorn + ASGIApp),
  since python-socketio has no server of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import socketio

TESTS_DIR = Path(__file__).resolve().parent
APPS_DIR = TESTS_DIR / 'apps'
JS_DIR = TESTS_DIR / 'js'

IMPL = os.environ.get('TURBOSIO_TEST_IMPL', 'turbosio')
if IMPL not in ('turbosio', 'socketio'):
    raise RuntimeError(f'TURBOSIO_TEST_IMPL must be turbosio or socketio, not {IMPL!r}')
ALL_MODES = ('native', 'asgi')
_mode = os.environ.get('TURBOSIO_TEST_MODE', '')
if _mode and _mode not in ALL_MODES:
    raise RuntimeError(f'TURBOSIO_TEST_MODE must be native or asgi, not {_mode!r}')
MODES = (_mode,) if _mode else ALL_MODES

STARTUP_TIMEOUT = 20.0
WAIT_TIMEOUT = 10.0


def reference_deviates(reason: str) -> pytest.MarkDecorator:
    """Mark a test that checks the spec (or a house rule) more strictly than python-socketio behaves.

    The test runs against turbosio and is skipped, with ``reason``, when the reference is under test (unless
    ``TURBOSIO_TEST_RUN_DEVIATIONS=1``, as in the protocol suite, to watch it fail).
    """
    skip = IMPL == 'socketio' and os.environ.get('TURBOSIO_TEST_RUN_DEVIATIONS') != '1'
    return pytest.mark.skipif(skip, reason=f'python-socketio 5.18 deviates here: {reason}')


def require_wsgi_server(mode: str) -> None:
    """Skip unless a sync server can be served: natively by turbosio, or else by werkzeug (not a test extra)."""
    if IMPL == 'socketio' or mode != 'native':
        pytest.importorskip('werkzeug', reason='the sync Server is served by werkzeug here, and it is not installed')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _matches(line: dict, expected: dict | Callable[[dict], bool]) -> bool:
    if callable(expected):
        return bool(expected(line))
    return all(line.get(key) == value for key, value in expected.items())


class ServerProcess:
    """A server app (tests/apps/*.py) running as a subprocess, with its stdout facts and stderr collected.

    Lines on stdout that are JSON objects are kept as dicts; any other line is kept as {'ev': 'text', 'text': ...}.
    """

    def __init__(self, app: str, impl: str, mode: str, extra_args: tuple[str, ...] = ()):
        self.app = app
        self.impl = impl
        self.mode = mode
        self.extra_args = extra_args
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self._lines: list[dict] = []
        self._stderr: list[str] = []
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def start(self) -> None:
        last_error = ''
        for _attempt in range(3):  # a free port can be taken again between probing and binding
            self.port = free_port()
            self._spawn()
            last_error = self._wait_until_accepting()
            if not last_error:
                return
            self.stop()
        raise RuntimeError(f'{self.describe()} did not start: {last_error}\n--- stderr ---\n{self.stderr_text()}')

    def describe(self) -> str:
        return f'{self.app} --impl {self.impl} --mode {self.mode} {" ".join(self.extra_args)} (port {self.port})'

    def _spawn(self) -> None:
        cmd = [
            sys.executable,
            str(APPS_DIR / self.app),
            '--impl',
            self.impl,
            '--mode',
            self.mode,
            '--port',
            str(self.port),
            *self.extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        # A session of its own, so that stop() can kill the worker processes of a server (granian) with it.
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding='utf-8',
            env=env,
            start_new_session=True,
        )
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self, stream) -> None:
        for raw in stream:
            text = raw.rstrip('\n')
            try:
                line = json.loads(text)
            except ValueError:
                line = None
            if not isinstance(line, dict):
                line = {'ev': 'text', 'text': text}
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()

    def _read_stderr(self, stream) -> None:
        for raw in stream:
            with self._cond:
                self._stderr.append(raw)
                self._cond.notify_all()

    def _wait_until_accepting(self) -> str:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return f'exited with {self.proc.returncode if self.proc else None}'
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    return ''
            except OSError:
                time.sleep(0.05)  # polling a port that is not bound yet; not an assertion
        return f'not accepting connections after {STARTUP_TIMEOUT} s'

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds (uvicorn and granian wait for a pending long-poll
        otherwise). SIGKILL goes to the whole process group: a granian worker outlives its killed master."""
        if self.proc is None:
            return
        self.terminate()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def line_count(self) -> int:
        with self._cond:
            return len(self._lines)

    def stderr_count(self) -> int:
        with self._cond:
            return len(self._stderr)

    def lines_since(self, start: int) -> list[dict]:
        with self._cond:
            return list(self._lines[start:])

    def stderr_text(self, start: int = 0) -> str:
        with self._cond:
            return ''.join(self._stderr[start:])

    def wait_for(self, expected, timeout: float = WAIT_TIMEOUT, start: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            checked = start
            while True:
                for line in self._lines[checked:]:
                    if _matches(line, expected):
                        return line
                checked = max(checked, len(self._lines))
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.proc is None or self.proc.poll() is not None:
                    break
                self._cond.wait(min(remaining, 0.5))
        seen = '\n'.join(json.dumps(line) for line in self._lines[start:])
        raise AssertionError(f'no server line matching {expected!r} within {timeout} s; lines:\n{seen}')

    def wait_for_stderr(
        self, needle: str | Callable[[str], bool], timeout: float = WAIT_TIMEOUT, start: int = 0
    ) -> str:
        """Wait until stderr (since line ``start``) contains ``needle``, or satisfies it if it is a predicate."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                text = ''.join(self._stderr[start:])
                if needle(text) if callable(needle) else needle in text:
                    return text
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.5))
        raise AssertionError(f'{needle!r} not logged on stderr within {timeout} s; stderr:\n{text}')


class ServerView:
    """What a test sees of a (possibly shared) server: only the lines printed since the test began."""

    def __init__(self, process: ServerProcess):
        self.process = process
        self._start_line = process.line_count()
        self._start_stderr = process.stderr_count()

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def lines(self) -> list[dict]:
        return self.process.lines_since(self._start_line)

    @property
    def stderr(self) -> str:
        return self.process.stderr_text(self._start_stderr)

    def wait_for(self, expected, timeout: float = WAIT_TIMEOUT) -> dict:
        """Wait for a stdout fact printed since the test began; ``expected`` is a dict subset or a predicate."""
        return self.process.wait_for(expected, timeout=timeout, start=self._start_line)

    def wait_for_stderr(self, needle: str | Callable[[str], bool], timeout: float = WAIT_TIMEOUT) -> str:
        return self.process.wait_for_stderr(needle, timeout=timeout, start=self._start_stderr)

    # Inside a coroutine, a blocking wait would also stop the client's own tasks (an AsyncClient only sends from
    # its event loop), so coroutines wait in a worker thread.
    async def await_for(self, expected, timeout: float = WAIT_TIMEOUT) -> dict:
        return await asyncio.to_thread(self.wait_for, expected, timeout)

    async def await_stderr(self, needle: str, timeout: float = WAIT_TIMEOUT) -> str:
        return await asyncio.to_thread(self.wait_for_stderr, needle, timeout)


def arun(coro, timeout: float = 30.0):
    """Run a coroutine to completion in a fresh event loop, bounded by ``timeout`` seconds."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class AsyncPeer:
    """A python-socketio AsyncClient that records every event it receives, per namespace."""

    def __init__(self, namespaces=('/',)):
        self.sio = socketio.AsyncClient(reconnection=False)
        self.namespaces = list(namespaces)
        self.events: list[tuple[str, str, tuple]] = []  # (namespace, event, args)
        self.connect_errors: list[tuple[str, tuple]] = []
        self.disconnects: list[tuple[str, Any]] = []  # (namespace, reason)
        self._changed = asyncio.Event()
        for ns in self.namespaces:
            self._listen(ns)

    def _listen(self, ns: str) -> None:
        async def on_any(event, *args):
            self.events.append((ns, event, args))
            self._changed.set()

        async def on_connect_error(*data):
            self.connect_errors.append((ns, data))
            self._changed.set()

        async def on_disconnect(reason=None):
            self.disconnects.append((ns, reason))
            self._changed.set()

        self.sio.on('*', on_any, namespace=ns)
        self.sio.on('connect_error', on_connect_error, namespace=ns)
        self.sio.on('disconnect', on_disconnect, namespace=ns)

    def sid(self, ns: str = '/') -> str:
        return self.sio.get_sid(namespace=ns)

    def received(self, event: str, ns: str = '/') -> list[tuple]:
        return [args for (n, e, args) in self.events if n == ns and e == event]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = ''):
        async def poll():
            while True:
                result = condition()
                if result:
                    return result
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(poll(), timeout)
        except asyncio.TimeoutError:
            message = f'timed out after {timeout} s waiting for {what or condition}; got {self.events}'
            raise AssertionError(message) from None

    async def wait_event(self, event: str, ns: str = '/', timeout: float = WAIT_TIMEOUT, count: int = 1) -> tuple:
        """Wait until ``count`` ``event`` events arrived on ``ns``; return the args of the last of them."""
        found = await self.wait_until(
            lambda: len(self.received(event, ns)) >= count, timeout, what=f'{count} x {event!r} on {ns}'
        )
        assert found
        return self.received(event, ns)[count - 1]

    async def wait_disconnect(self, ns: str = '/', timeout: float = WAIT_TIMEOUT):
        await self.wait_until(lambda: any(n == ns for n, _ in self.disconnects), timeout, what=f'disconnect of {ns}')
        return next(reason for n, reason in self.disconnects if n == ns)


class AsyncPeers:
    """Creates connected AsyncPeers and disconnects all of them at the end of the ``async with`` block."""

    def __init__(self, url: str):
        self.url = url
        self.peers: list[AsyncPeer] = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await asyncio.gather(*(self._close(peer) for peer in self.peers))

    @staticmethod
    async def _close(peer: AsyncPeer) -> None:
        # Bounded: against python-socketio a polling client's disconnect() waits for its pending long-poll GET,
        # which that server leaves open until the next ping (test_disconnect checks promptness on its own).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(peer.sio.disconnect(), 2)

    async def connect(
        self,
        *,
        namespaces=('/',),
        auth=None,
        transports=('websocket',),
        query: str = '',
        wait_timeout: float = 5,
        handlers: dict[str, Callable] | None = None,
    ) -> AsyncPeer:
        """Connect a new AsyncPeer; ``handlers`` are extra event handlers for namespace '/'."""
        peer = AsyncPeer(namespaces)
        self.peers.append(peer)
        for event, handler in (handlers or {}).items():
            peer.sio.on(event, handler)
        await peer.sio.connect(
            self.url + query,
            auth=auth,
            transports=list(transports) if transports else None,
            namespaces=list(namespaces),
            wait_timeout=wait_timeout,
        )
        return peer


class SyncPeer:
    """A python-socketio (sync) Client that records every event it receives, per namespace."""

    def __init__(self, namespaces=('/',)):
        self.sio = socketio.Client(reconnection=False)
        self.events: list[tuple[str, str, tuple]] = []
        self.disconnects: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        for ns in namespaces:
            self._listen(ns)

    def _listen(self, ns: str) -> None:
        def on_any(event, *args):
            self.record(ns, event, args)

        def on_disconnect(reason=None):
            with self._cond:
                self.disconnects.append((ns, reason))
                self._cond.notify_all()

        self.sio.on('*', on_any, namespace=ns)
        self.sio.on('disconnect', on_disconnect, namespace=ns)

    def record(self, ns: str, event: str, args: tuple) -> None:
        with self._cond:
            self.events.append((ns, event, args))
            self._cond.notify_all()

    def received(self, event: str, ns: str = '/') -> list[tuple]:
        with self._cond:
            return [args for (n, e, args) in self.events if n == ns and e == event]

    def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = ''):
        with self._cond:
            if self._cond.wait_for(condition, timeout):
                return condition()
            raise AssertionError(f'timed out after {timeout} s waiting for {what or condition}; got {self.events}')
