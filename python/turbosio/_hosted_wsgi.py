"""Running a WSGI app (Flask...) for requests the native server receives outside the Socket.IO path.

Rust queues each request as an ``HTTP`` item, and the pieces of its body as ``HTTP_BODY`` items as the app reads
them; the pump thread hands the request to a bounded pool of worker threads, where the app runs with a PEP 3333
environ and its chunks go straight back to Rust, which streams them to the client.
"""

from __future__ import annotations

import io
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

from . import _core
from ._kinds import BODY_BROKEN, BODY_MORE

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

# Requests served at once; more wait in the pool's queue. WSGI apps mostly wait on I/O (databases, other
# services), so this is well above the core count, like the handler pool's.
WSGI_WORKERS = 32
# After the native server has drained its connections, how long shutdown still waits for requests in the app.
_SHUTDOWN_GRACE = 1.0


class WorkerPool:
    """Up to ``size`` threads running submitted jobs in order of arrival, started as the load needs them.

    The threads are daemons, unlike ``ThreadPoolExecutor``'s, which the interpreter joins at exit: a request stuck
    in the app must not keep the process alive after Ctrl-C or SIGTERM.
    """

    def __init__(self, size: int = WSGI_WORKERS, name: str = 'turbosio-wsgi') -> None:
        self._size, self._name = size, name
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one permit per thread waiting for a job
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job``; never blocks.

        Raises:
            RuntimeError: after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError('the WSGI worker pool is closed')
            self._jobs.put(job)
            if self._idle.acquire(blocking=False) or len(self._threads) >= self._size:
                return
            thread = threading.Thread(target=self._work, name=f'{self._name}-{len(self._threads)}', daemon=True)
            self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # jobs log their own errors; never let one kill the worker
                pass
            self._idle.release()

    def close(self, timeout: float = _SHUTDOWN_GRACE) -> None:
        """Drop the jobs not started yet and wait up to ``timeout`` seconds for the running ones. Idempotent."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        try:
            while True:
                self._jobs.get_nowait()
        except queue.Empty:
            pass
        for _ in threads:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class StreamedInput(io.RawIOBase):
    """``wsgi.input`` for a body that arrives in pieces (``HTTP_BODY`` items), read by a worker thread as it comes.

    Reading blocks the worker until the client sends more, as on any WSGI server; each piece taken lets Rust read
    another from the client, so no more than a few pieces wait in memory.
    """

    def __init__(self, core: _core.ServerCore, token: int, stopping: threading.Event, head: bytes = b'') -> None:
        super().__init__()
        self.core, self.token, self.stopping = core, token, stopping
        self._pieces: queue.SimpleQueue[tuple[bytes, int]] = queue.SimpleQueue()
        self._buffer = bytearray(head)  # the part the server read ahead
        self._ended = False
        self._failure: str | None = None

    def deliver(self, data: bytes, state: int) -> None:
        """Called on the pump thread: state 0 more follows, 1 the body is complete, 2 it never will be."""
        self._pieces.put((data, state))

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._ended:
            self._take_piece()
        if not self._buffer and self._failure is not None:
            raise OSError(self._failure)  # every read says so: a broken body never looks like a short one
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        del self._buffer[:size]
        return size

    def _take_piece(self) -> None:
        while True:
            try:
                data, state = self._pieces.get(timeout=0.5)
                break
            except queue.Empty:
                if self.stopping.is_set():
                    raise OSError('the server is shutting down') from None
        if state == BODY_MORE:
            self._buffer += data
            self.core.http_body_consumed(self.token)
            return
        self._ended = True
        if state == BODY_BROKEN:
            self._failure = 'the request body broke off (the client went away, or stopped sending)'
            raise OSError(self._failure)


def wsgi_environ(
    item: tuple[Any, ...], server_addr: tuple[str, int], body_input: StreamedInput | None = None
) -> dict[str, Any]:
    """The PEP 3333 environ of a queued HTTP item; ``server_addr`` names the server when the Host header is absent.
    ``body_input`` reads a body that arrives in pieces (the item's ``more_body``)."""
    _, _token, method, _path, raw_path, query, headers, body, host, port, more_body, secure = item
    environ: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': '',
        # PEP 3333 strings are bytes decoded as latin-1: percent-decode the raw path ourselves rather than
        # re-encoding the UTF-8 text Rust decoded for ASGI.
        'PATH_INFO': unquote_to_bytes(raw_path).decode('latin-1'),
        'QUERY_STRING': query,
        'RAW_URI': f'{raw_path}?{query}' if query else raw_path,
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': host,
        'REMOTE_PORT': str(port) if host else '',
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': 'https' if secure else 'http',
        'wsgi.input': io.BufferedReader(body_input, 65536) if body_input is not None else io.BytesIO(body),
        'wsgi.errors': sys.stderr,
        'wsgi.multithread': True,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
        # wsgi.input ends where the (de-chunked) body ends, so reading it to the end is safe.
        'wsgi.input_terminated': True,
    }
    environ['REQUEST_URI'] = environ['RAW_URI']
    for raw_name, raw_value in headers:
        name = raw_name.decode('latin-1')
        if '_' in name:
            # 'X_User' and 'X-User' would both become HTTP_X_USER: a client could shadow a header a proxy set.
            continue
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        value = raw_value.decode('latin-1')
        environ[key] = f'{environ[key]},{value}' if key in environ else value
    if not more_body and (body or 'CONTENT_LENGTH' in environ):
        # The length of what wsgi.input holds (a body that is still arriving keeps the length its client declared,
        # or none for a chunked one).
        environ['CONTENT_LENGTH'] = str(len(body))
    default_port = '443' if secure else '80'
    host_header = environ.get('HTTP_HOST', '')
    environ['SERVER_NAME'], environ['SERVER_PORT'] = _server_name(host_header, server_addr, default_port)
    return environ


def _server_name(host_header: str, server_addr: tuple[str, int], default_port: str) -> tuple[str, str]:
    if not host_header:
        return server_addr[0], str(server_addr[1])
    if host_header.startswith('['):  # an IPv6 literal: [::1]:5000
        name, _, rest = host_header.partition(']')
        return name + ']', rest[1:] if rest.startswith(':') else default_port
    name, _, port = host_header.partition(':')
    return name, port or default_port


# How long a streaming view waits for a client that reads nothing before the response is cut.
_STALLED_CLIENT_SECONDS = 60.0


class _ClientGone(Exception):
    """The native server refused an answer: the client closed its connection (or the server stopped)."""


class _Response:
    """start_response, write() and the body of one request, sent to the native server as they come."""

    def __init__(self, core: _core.ServerCore, token: int, wait_token: Callable[[int, float], bool]) -> None:
        self.core, self.token, self.wait_token = core, token, wait_token
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.sent = False  # the status line and headers went out: the response can no longer change
        self.finished = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self.sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError('WSGI: start_response called a second time without exc_info')
        code = status.split(' ', 1)[0]
        if len(code) != 3 or not code.isdigit():
            raise ValueError(f'WSGI: malformed status {status!r}')
        self.status = int(code)
        self.headers = [(name.encode('latin-1'), value.encode('latin-1')) for name, value in headers]
        return self.write

    def declare_length(self, size: int) -> None:
        """Add Content-Length for a body of known ``size``, unless the app set one or the status has no body."""
        if self.sent or self.status is None or self.status < 200 or self.status in (204, 304):
            return
        if not any(name.lower() == b'content-length' for name, _ in self.headers):
            self.headers.append((b'content-length', str(size).encode('ascii')))

    def write(self, data: bytes) -> None:
        """The legacy write() callable: an unbuffered chunk before the iterable's."""
        self.send(data, more=True)

    def send(self, data: bytes, more: bool) -> None:
        if self.status is None:
            raise RuntimeError('WSGI: the app sent body data before calling start_response')
        if more and not data:
            return  # empty chunks carry nothing and must not send the headers early
        try:
            if not self.sent:
                self.sent = True
                self.core.http_start(self.token, self.status, self.headers)
            behind = self.core.http_body(self.token, bytes(data), more)
        except RuntimeError as exc:
            raise _ClientGone(str(exc)) from None
        self.finished = not more
        if behind:
            # The client reads slower than the app produces: block this worker until it caught up (or left),
            # rather than buffer the stream in the server. A client stalled that long is given up on.
            wake = self.core.http_wait_written(self.token)
            if wake is not None and not self.wait_token(wake, _STALLED_CLIENT_SECONDS):
                self.core.http_abort(self.token)
                raise _ClientGone('the client stopped reading')

    def failed(self, logger: logging.Logger) -> None:
        logger.exception('exception in WSGI application')
        if self.finished:
            return
        try:
            if self.sent:
                self.core.http_abort(self.token)
            else:
                self.core.http_start(self.token, 500, [(b'content-type', b'text/plain; charset=utf-8')])
                self.core.http_body(self.token, b'Internal Server Error', False)
        except RuntimeError:
            pass  # the client is gone already


def serve_wsgi(
    core: _core.ServerCore,
    app: Callable[..., Iterable[bytes]],
    item: tuple[Any, ...],
    server_addr: tuple[str, int],
    logger: logging.Logger,
    stopping: threading.Event,
    wait_token: Callable[[int, float], bool],
    body_input: StreamedInput | None = None,
) -> None:
    """Run ``app`` for one queued HTTP request and send its answer to ``core``, on a worker thread.
    ``wait_token(token, timeout)`` blocks until the engine wakes ``token`` (False on timeout); ``body_input``
    reads a body still arriving."""
    response = _Response(core, item[1], wait_token)
    result: Iterable[bytes] | None = None
    try:
        result = app(wsgi_environ(item, server_addr, body_input), response.start_response)
        if isinstance(result, (list, tuple)) and result:
            # The usual one-piece body goes out as the last chunk: no empty closing frame after it. Its size is
            # known, so the client gets a Content-Length rather than a chunked body.
            response.declare_length(sum(len(chunk) for chunk in result))
            for chunk in result[:-1]:
                response.send(chunk, more=True)
            response.send(result[-1], more=False)
        else:
            for chunk in result:
                if stopping.is_set():
                    # Shutting down: stop an endless stream here rather than count on its connection being gone.
                    core.http_abort(item[1])
                    return
                response.send(chunk, more=True)
            response.send(b'', more=False)
    except _ClientGone:
        core.http_abort(item[1])  # nobody to answer: forget the response, stop producing (and close the iterable)
    except Exception:
        response.failed(logger)
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            try:
                close()
            except Exception:
                logger.exception('exception closing a WSGI response')
