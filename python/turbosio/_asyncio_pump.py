"""How an asyncio-based server receives engine events and runs handlers (shared by Socket.IO and bare
Engine.IO servers).

The engine's wake-up descriptor is registered with ``loop.add_reader``: one callback per burst drains every
pending event. Sync handlers run inline, as in python-socketio. Coroutine handlers become tasks; on Python 3.12+
they start eagerly, so a handler that never suspends finishes inside the drain without a loop iteration.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable, Coroutine
from time import perf_counter
from types import CoroutineType
from typing import Any

from . import _core
from ._forking import check_not_forked
from ._kinds import WEBSOCKET
from ._watchdog import CHECK_EVERY, SLOW_AFTER, warn_slow

# perf: eager tasks run the first step inside a real Task (asyncio.current_task() and asyncio.timeout() keep
# working); most handlers finish in that step and never touch the loop's ready queue.
_EAGER_TASKS = sys.version_info >= (3, 12)

# Backpressure on clients that emit faster than their handlers return: while this many coroutine handlers are
# still running, no more events are taken from the engine. Its queue then fills and the native server stops
# reading from clients; under ASGI the WebSocket relays stop receiving. Draining starts again at half of it.
MAX_RUNNING = 1_000

# Longest a coroutine handler's run time waits before it reaches Rust when no drain comes (see _timed).
FLUSH_AFTER = 0.05


class AsyncioPump:
    """Mixin: needs ``self._core``, ``self.logger``, ``self._handle_item`` and ``self._log_handler_error``."""

    _core: _core.ServerCore
    logger: logging.Logger
    _cors_callable: Callable[[str], bool] | None  # checked by ASGIApp per request
    _handle_item: Callable[[tuple[Any, ...]], None]
    _log_handler_error: Callable[[str, BaseException], None]

    def _init_pump(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        # Handler tasks still running, by key: [label, started, warned, task] (see _watchdog).
        self._running: dict[int, list[Any]] = {}
        self._next_key = 0
        # Set while fewer than MAX_RUNNING handlers run; ASGI WebSocket relays wait on it before receiving more.
        self._accepting = asyncio.Event()
        self._accepting.set()
        self._wake_fd = self._core.wake_fd()
        os.set_blocking(self._wake_fd, False)
        self._wake_waiters: dict[int, asyncio.Future[None]] = {}
        self._asgi_scopes: dict[str, dict[str, Any]] = {}
        self._web_app: Any = None
        self._web_state: dict[str, Any] = {}
        self._web_sockets: dict[int, Any] = {}
        self._http_exchanges: dict[int, Any] = {}  # hosted requests whose body is still arriving, by token
        # Metrics (see _metrics.enable): while _timing, handler run times (seconds) gather in _latencies and reach Rust
        # in one call per drain, or from a timer (FLUSH_AFTER) for coroutine handlers that end between drains.
        self._timing = False
        self._latencies: list[float] = []
        self._flush_armed = False

    def is_asyncio_based(self) -> bool:
        return True

    def _attach_loop(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start handling events on ``loop`` (the running loop by default). Idempotent."""
        loop = loop or asyncio.get_running_loop()
        if self._loop is loop:
            return
        check_not_forked(self._core)  # a server inherited across fork() would stall (see _forking)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._wake_fd)
        self._loop = loop
        if self._accepting.is_set():
            self._accepting = asyncio.Event()  # an Event is bound to the first loop that waits on it
            self._accepting.set()
        loop.add_reader(self._wake_fd, self._on_wake)
        if SLOW_AFTER:
            loop.call_later(CHECK_EVERY, self._watch_handlers, loop)
        self._on_wake()  # events that arrived before the loop was attached

    def _watch_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is not loop or loop.is_closed():
            return  # moved to another loop, which has its own watch
        warn_slow(self._running)
        loop.call_later(CHECK_EVERY, self._watch_handlers, loop)

    def _on_wake(self) -> None:
        try:
            os.read(self._wake_fd, 4096)
        except BlockingIOError:
            pass
        if not self._accepting.is_set():
            return  # saturated: the last handlers to finish call this again (see _finish)
        handle = self._handle_item
        for item in self._core.drain():
            try:
                handle(item)
            except Exception:
                self.logger.exception('error while handling %r', item[0])
        latencies = self._latencies
        if latencies:
            # perf: one call into Rust per drain, not one per event (bench/instructions.sh, echo, metrics on/off).
            self._core.metrics_observe(latencies)
            latencies.clear()

    def _on_http(self, item: tuple[Any, ...]) -> None:
        """A request for the hosted web app (native server): run the app for it as a task."""
        app = getattr(self, '_web_app', None)
        if app is None:
            self._core.http_start(item[1], 404, [(b'content-type', b'text/plain')])
            self._core.http_body(item[1], b'Not Found', False)
            return
        from ._hosted_asgi import new_exchange, serve_http

        token = item[1]
        exchange = new_exchange(self._core, item, self._wait_token)
        if item[10]:  # the body is still arriving: pieces drained before the task starts must find the exchange
            self._http_exchanges[token] = exchange
        task = asyncio.ensure_future(serve_http(app, item, self._web_state, exchange))
        self._tasks.add(task)

        def finished(task: asyncio.Future[Any]) -> None:
            self._tasks.discard(task)
            self._http_exchanges.pop(token, None)

        task.add_done_callback(finished)

    def _on_http_body(self, item: tuple[Any, ...]) -> None:
        """A piece of a hosted request's body, for the app's ``receive``."""
        exchange = self._http_exchanges.get(item[1])
        if exchange is not None:
            exchange.deliver(item[2], item[3])

    def _on_web_socket(self, item: tuple[Any, ...]) -> None:
        """A WebSocket route of the hosted web app: a new connection runs the app as a task; messages and the end
        of the connection go to that task's ``receive``."""
        token = item[1]
        if item[0] != WEBSOCKET:
            exchange = self._web_sockets.get(token)
            if exchange is not None:
                exchange.deliver(item)
            return
        app = getattr(self, '_web_app', None)
        if app is None:
            try:
                self._core.ws_deny(token, 404)
            except OSError:
                pass  # the client already left
            return
        from ._hosted_asgi import WebSocketExchange, serve_websocket

        exchange = self._web_sockets[token] = WebSocketExchange(self._core, token, self._wait_token)
        task = asyncio.ensure_future(serve_websocket(app, item, self._web_state, exchange))
        self._tasks.add(task)

        def finished(task: asyncio.Future[Any]) -> None:
            self._tasks.discard(task)
            self._web_sockets.pop(token, None)

        task.add_done_callback(finished)

    def _on_wake_token(self, token: int) -> None:
        waiter = self._wake_waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wait_token(self, token: int) -> asyncio.Future[None]:
        """A future resolved when the engine wakes ``token`` (used by the ASGI driver)."""
        loop = self._loop or asyncio.get_running_loop()
        waiter = loop.create_future()
        self._wake_waiters[token] = waiter
        return waiter

    def _forget_token(self, token: int) -> None:
        """Stop waiting for ``token``: its waiter gave up."""
        self._wake_waiters.pop(token, None)

    def _keep_asgi_scope(self, eio_sid: str, scope: dict[str, Any]) -> None:
        """Keep the ASGI scope of the request that opened a session, for its environ's ``'asgi.scope'``."""
        self._asgi_scopes[eio_sid] = scope

    def _scope_environ(self, eio_sid: str, environ: dict[str, Any]) -> dict[str, Any]:
        scope = self._asgi_scopes.pop(eio_sid, None)
        if scope is not None:
            environ['asgi.scope'] = scope
            if scope.get('scheme') in ('https', 'wss'):
                # The ASGI server terminated TLS: the engine, which saw only the request, could not know.
                environ['wsgi.url_scheme'] = 'https'
        return environ

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        started = perf_counter() if self._timing else 0.0
        try:
            result = handler(*args)
        except Exception as exc:
            if started:
                self._latencies.append(perf_counter() - started)
            self._failed(label, exc, on_error)
            return
        if type(result) is CoroutineType or asyncio.iscoroutine(result):
            loop = self._loop or asyncio.get_running_loop()
            self._next_key = key = self._next_key + 1
            finish = self._finish(key, result, on_result, on_error, label, started)
            if _EAGER_TASKS:
                task = asyncio.Task(finish, loop=loop, eager_start=True)  # type: ignore[call-arg]
            else:
                task = loop.create_task(finish)
            if not task.done():
                # Keep a strong reference while it runs; _finish drops it.
                self._running[key] = [label, time.monotonic(), False, task]
                if len(self._running) >= MAX_RUNNING:
                    self._accepting.clear()
        else:
            if started:
                self._latencies.append(perf_counter() - started)
            if on_result is not None:
                on_result(result)

    async def _finish(
        self,
        key: int,
        coro: Coroutine[Any, Any, Any],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
        started: float = 0.0,
    ) -> None:
        """Run a coroutine handler to the end and deliver its result, in its own task (no done-callback hop).
        ``started``: when the handler was called (``perf_counter``), if metrics time it."""
        try:
            result = await coro
        except Exception as exc:
            if started:
                self._timed(started)
            self._failed(label, exc, on_error)
        else:
            if started:  # perf: _timed inlined (bench/instructions.sh, echo with metrics on)
                self._latencies.append(perf_counter() - started)
                if not self._flush_armed:
                    self._arm_flush()
            if on_result is not None:
                on_result(result)
        finally:
            # perf: a key, not asyncio.current_task(), which costs a getpid() syscall per call on Python 3.11.
            self._running.pop(key, None)
            if not self._accepting.is_set() and len(self._running) <= MAX_RUNNING // 2:
                self._accepting.set()
                asyncio.get_running_loop().call_soon(self._on_wake)  # what queued up meanwhile

    def _timed(self, started: float) -> None:
        """A coroutine handler called at ``started`` (``perf_counter``) finished. It may have finished between
        drains, and no drain may come for a while: a timer hands what gathered to Rust within FLUSH_AFTER."""
        self._latencies.append(perf_counter() - started)
        if not self._flush_armed:
            self._arm_flush()

    def _arm_flush(self) -> None:
        self._flush_armed = True
        asyncio.get_running_loop().call_later(FLUSH_AFTER, self._flush_latencies)

    def _flush_latencies(self) -> None:
        self._flush_armed = False
        latencies = self._latencies
        if latencies:
            self._core.metrics_observe(latencies)
            latencies.clear()

    def _failed(self, label: str, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        if on_error is None:
            self._log_handler_error(label, exc)
        else:
            on_error(exc)

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Run ``target(*args, **kwargs)`` (a coroutine function) as an asyncio task."""
        task: asyncio.Task[Any] = asyncio.ensure_future(target(*args, **kwargs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def sleep(self, seconds: float = 0) -> None:
        """``asyncio.sleep`` (a coroutine)."""
        await asyncio.sleep(seconds)
