"""How a threaded server receives engine events and runs handlers (shared by Socket.IO and bare Engine.IO).

One daemon thread waits on the engine's wake-up descriptor and drains each burst; per-client items go to a pool
where one client's handlers run in order and different clients run in parallel.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from . import _core
from ._forking import check_not_forked
from ._hosted_wsgi import StreamedInput, WorkerPool, serve_wsgi
from ._kinds import WEBSOCKET
from ._serial import SerialExecutor
from ._watchdog import CHECK_EVERY, SLOW_AFTER, warn_slow

MAX_PENDING = 1_000  # handler calls queued or running past which no more events are taken from the engine


class ThreadPump:
    """Mixin: needs ``self._core``, ``self.logger``, ``self._handle_item``, ``self._serial_key`` and
    ``self._log_handler_error``."""

    _core: _core.ServerCore
    logger: logging.Logger
    _handle_item: Callable[[tuple[Any, ...]], None]
    _log_handler_error: Callable[[str, BaseException], None]
    # The client an item belongs to (its handlers run in order), or None to handle it on the pump thread.
    _serial_key: Callable[[tuple[Any, ...]], Any]

    def _init_pump(self) -> None:
        self._executor = SerialExecutor()
        self._pump: threading.Thread | None = None
        self._stopping = threading.Event()
        self._token_lock = threading.Lock()
        self._token_events: dict[int, threading.Event] = {}
        self._early_tokens: set[int] = set()
        # Handlers running on the pool, by thread: [label, started, warned] (see _watchdog).
        self._running: dict[int, list[Any]] = {}
        self._last_watch = 0.0
        self._web_app: Callable[..., Any] | None = None
        self._web_pool: WorkerPool | None = None
        self._server_addr: tuple[str, int] = ('', 0)
        self._request_bodies: dict[int, StreamedInput] = {}  # hosted requests whose body is still arriving
        # True while metrics are on (see _metrics.enable): handlers are then timed, each on its worker thread.
        self._timing = False

    def is_asyncio_based(self) -> bool:
        return False

    def _start_pump(self) -> None:
        """Start the thread that drains engine events. Idempotent."""
        if self._pump is not None and self._pump.is_alive():
            return
        check_not_forked(self._core)  # a server inherited across fork() would stall (see _forking)
        self._stopping.clear()
        self._pump = threading.Thread(target=self._pump_loop, name='turbosio-dispatch', daemon=True)
        self._pump.start()

    def _stop_pump(self) -> None:
        self._pump_once()
        self._stopping.set()
        if self._web_pool is not None:
            self._web_pool.close()
            self._web_pool = None

    def _host_web_app(self, app: Callable[..., Any], server_addr: tuple[str, int]) -> None:
        """Answer the native server's non-Socket.IO requests with the WSGI callable ``app`` (a WSGIApp)."""
        self._web_app, self._server_addr = app, server_addr
        if self._web_pool is None:
            self._web_pool = WorkerPool()

    def _on_http(self, item: tuple[Any, ...]) -> None:
        """A request for the hosted web app (native server): run the app for it on a worker thread."""
        app, pool = self._web_app, self._web_pool
        if app is None or pool is None:
            self._core.http_start(item[1], 404, [(b'content-type', b'text/plain')])
            self._core.http_body(item[1], b'Not Found', False)
            return
        token = item[1]
        body_input = None
        if item[10]:  # the body is still arriving: registered now, before its first piece can be drained
            body_input = self._request_bodies[token] = StreamedInput(self._core, token, self._stopping, item[7])

        def serve() -> None:
            try:
                serve_wsgi(
                    self._core, app, item, self._server_addr, self.logger, self._stopping,
                    self._wait_token_blocking, body_input,
                )
            finally:
                self._request_bodies.pop(token, None)

        # Never on the pump thread: a slow view must not hold up Socket.IO events.
        try:
            pool.submit(serve)
        except RuntimeError:  # shutting down: the pool is closed
            self._request_bodies.pop(token, None)
            self._core.http_abort(token)

    def _on_http_body(self, item: tuple[Any, ...]) -> None:
        """A piece of a hosted request's body, for the worker reading its ``wsgi.input``."""
        body_input = self._request_bodies.get(item[1])
        if body_input is not None:
            body_input.deliver(item[2], item[3])

    def _on_web_socket(self, item: tuple[Any, ...]) -> None:
        """WSGI has no WebSocket routes: refuse a hosted app's WebSocket request (404), ignore the rest."""
        if item[0] == WEBSOCKET:
            try:
                self._core.ws_deny(item[1], 404)
            except OSError:
                pass  # the client already left

    def _on_wake_token(self, token: int) -> None:
        with self._token_lock:
            event = self._token_events.pop(token, None)
            if event is None:
                # Woken before its waiter registered (or for a waiter that gave up): remember it, boundedly.
                if len(self._early_tokens) > 10_000:
                    self._early_tokens.clear()
                self._early_tokens.add(token)
                return
        event.set()

    def _wait_token_blocking(
        self, token: int, timeout: float, yield_to: Callable[[], None] | None = None
    ) -> bool:
        """Block until the engine wakes ``token`` (used by WSGIApp); False on timeout.

        ``yield_to`` is called between short checks instead of blocking the OS thread, for WSGI servers that run
        requests as green threads on one OS thread (eventlet without monkey-patching).
        """
        with self._token_lock:
            if token in self._early_tokens:
                self._early_tokens.discard(token)
                return True
            event = self._token_events[token] = threading.Event()
        if yield_to is None:
            woken = event.wait(timeout)
        else:
            deadline = time.monotonic() + timeout
            while not (woken := event.is_set()) and time.monotonic() < deadline:
                yield_to()
        if not woken:
            with self._token_lock:
                self._token_events.pop(token, None)
        return woken

    def _pump_loop(self) -> None:
        fd = self._core.wake_fd()
        os.set_blocking(fd, False)
        saturated = False
        while not self._stopping.is_set():
            if not saturated:
                readable, _, _ = select.select([fd], [], [], 0.5)
                if readable:
                    try:
                        os.read(fd, 4096)
                    except BlockingIOError:
                        pass
            # Backpressure, as in _asyncio_pump: with this many handler calls waiting or running, take no more
            # events; the engine's queue fills and the server stops reading from clients.
            saturated = not self._executor.wait_below(MAX_PENDING, 0.5)
            if not saturated:
                self._pump_once()
            now = time.monotonic()
            if SLOW_AFTER and now - self._last_watch >= CHECK_EVERY:
                self._last_watch = now
                warn_slow(self._running, now)

    def _pump_once(self) -> None:
        for item in self._core.drain():
            key = self._serial_key(item)
            if key is None:
                self._run_item(item)
            else:
                self._executor.submit(key, partial(self._run_item, item))

    def _run_item(self, item: tuple[Any, ...]) -> None:
        try:
            self._handle_item(item)
        except Exception:
            self.logger.exception('error while handling %r', item[0])

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        thread = threading.get_ident()
        self._running[thread] = [label, time.monotonic(), False]
        started = time.perf_counter() if self._timing else 0.0
        try:
            result = handler(*args)
            if started:
                self._core.metrics_observe([time.perf_counter() - started])
        except Exception as exc:
            if started:
                self._core.metrics_observe([time.perf_counter() - started])
            if on_error is None:
                self._log_handler_error(label, exc)
            else:
                on_error(exc)
            return
        finally:
            self._running.pop(thread, None)
        if on_result is not None:
            on_result(result)

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        """Run ``target(*args, **kwargs)`` in a daemon thread and return the started thread."""
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    def sleep(self, seconds: float = 0) -> None:
        """``time.sleep``."""
        time.sleep(seconds)
