"""Server processes on a free loopback port: the apps in ``tests/apps/``, and the protocol app that the raw-wire
conformance suites talk to.
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
import tempfile
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

from .protocol import ENGINE_PATH, MAX_HTTP_BUFFER_SIZE
from .settings import APPS_DIR, IMPL, STARTUP_TIMEOUT, WAIT_TIMEOUT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_until_accepting(proc: subprocess.Popen | None, port: int, timeout: float = STARTUP_TIMEOUT) -> str:
    """Wait until 127.0.0.1:``port`` accepts a connection; return '' then, or else what went wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is None or proc.poll() is not None:
            return f'exited with {proc.returncode if proc else None}'
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return ''
        except OSError:
            time.sleep(0.05)  # polling a port that is not bound yet; not an assertion
    return f'not accepting connections after {timeout} s'


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
            last_error = wait_until_accepting(self.proc, self.port)
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


class ProtocolServer:
    """``tests/apps/protocol_app.py`` running as a subprocess on 127.0.0.1."""

    def __init__(self, ping_interval, ping_timeout, max_http_buffer_size=MAX_HTTP_BUFFER_SIZE):
        self.ping_interval = ping_interval  # ms
        self.ping_timeout = ping_timeout  # ms
        self.max_http_buffer_size = max_http_buffer_size
        self.port = free_port()
        self.host = '127.0.0.1'
        self.base_url = f'http://{self.host}:{self.port}{ENGINE_PATH}'
        self.ws_base_url = f'ws://{self.host}:{self.port}{ENGINE_PATH}'
        self.proc = None
        self._log = None

    def start(self):
        cmd = [
            sys.executable,
            str(APPS_DIR / 'protocol_app.py'),
            '--impl',
            IMPL,
            '--port',
            str(self.port),
            '--ping-interval',
            str(self.ping_interval),
            '--ping-timeout',
            str(self.ping_timeout),
            '--max-http-buffer-size',
            str(self.max_http_buffer_size),
        ]
        self._log = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        problem = wait_until_accepting(self.proc, self.port)
        if problem:
            output = self.output()
            self.stop()
            raise RuntimeError(f'protocol app {problem}:\n{output}')
        return self

    def output(self):
        if self._log is None:
            return ''
        self._log.seek(0)
        return self._log.read().decode('utf-8', 'replace')

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def ws_url(self, **params):
        return f'{self.ws_base_url}?{urlencode(params)}' if params else self.ws_base_url


@contextlib.contextmanager
def running_server(**kwargs):
    server = ProtocolServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()
