"""The threaded flavour: :class:`Server`, python-socketio's synchronous ``Server`` API."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import exceptions
from ._serial import SerialExecutor
from .base_server import ACK, CONNECT, DISCONNECT, EVENT, BaseServer


class Server(BaseServer):
    """A Socket.IO server whose handlers are plain functions run on worker threads.

    Events of one client are handled in order; different clients are handled in parallel. Takes the same
    arguments as :class:`turbosio.AsyncServer`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._executor = SerialExecutor()
        self._pump: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- the event pump ---------------------------------------------------------------------------------------------

    def _start_pump(self) -> None:
        """Start the thread that drains engine events. Idempotent."""
        if self._pump is not None and self._pump.is_alive():
            return
        self._stopping.clear()
        self._pump = threading.Thread(target=self._pump_loop, name='turbosio-dispatch', daemon=True)
        self._pump.start()

    def _pump_loop(self) -> None:
        fd = self._core.wake_fd()
        while not self._stopping.is_set():
            readable, _, _ = select.select([fd], [], [], 0.5)
            if readable:
                try:
                    os.read(fd, 4096)
                except BlockingIOError:
                    pass
            self._pump_once()

    def _pump_once(self) -> None:
        for item in self._core.drain():
            kind = item[0]
            if kind in (EVENT, ACK, CONNECT, DISCONNECT):
                # Keyed by sid: one client's events never overlap and keep their order.
                self._executor.submit(item[2] if kind == CONNECT else item[1], self._job(item))
            else:
                try:
                    self._handle_item(item)
                except Exception:
                    self.logger.exception('error while handling %r', kind)

    def _job(self, item: tuple[Any, ...]) -> Callable[[], None]:
        def run() -> None:
            try:
                self._handle_item(item)
            except Exception:
                self.logger.exception('error while handling %r', item[0])

        return run

    def _invoke(
        self,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        try:
            result = handler(*args)
        except Exception as exc:
            if on_error is None:
                self._log_handler_error(label, exc)
            else:
                on_error(exc)
            return
        if on_result is not None:
            on_result(result)

    # -- verbs ------------------------------------------------------------------------------------------------------

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit an event to one client (its sid), a room, a list of rooms, or everyone in the namespace.

        Args:
            event: The event name.
            data: The payload: a value, or a tuple for several arguments.
            to: A sid, a room, or a list of them; everyone in the namespace when omitted.
            room: Alias of ``to``.
            skip_sid: A sid or list of sids to leave out.
            namespace: The namespace; ``'/'`` when omitted.
            callback: Called with the client's acknowledgement arguments.
            ignore_queue: Accepted for compatibility.
        """
        self._emit(event, data, to, room, skip_sid, namespace, callback)

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit the ``'message'`` event; see :meth:`emit`."""
        self._emit('message', data, to, room, skip_sid, namespace, callback)

    def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit an event to one client and block until it acknowledges.

        Raises:
            ValueError: when no client is named.
            turbosio.exceptions.TimeoutError: when no answer comes within ``timeout`` seconds.
        """
        if to is None and sid is None:
            raise ValueError('Cannot use call() to broadcast.')
        answered = threading.Event()
        answers: list[tuple[Any, ...]] = []

        def callback(*args: Any) -> None:
            answers.append(args)
            answered.set()

        self._emit(event, data, to or sid, None, None, namespace, callback)
        if not answered.wait(timeout):
            raise exceptions.TimeoutError()
        args = answers[0]
        if len(args) > 1:
            return args
        return args[0] if args else None

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Put a client in a room."""
        self._enter_room(sid, room, namespace)

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Take a client out of a room."""
        self._leave_room(sid, room, namespace)

    def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Remove every client from a room."""
        self._close_room(room, namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """The client's session dict.

        Raises:
            KeyError: if the client is not connected.
        """
        return self._session(sid, namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        """Replace the client's session dict."""
        self._save_session(sid, session, namespace)

    @contextmanager
    def session(self, sid: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """``with sio.session(sid) as session:``: changes are saved on exit."""
        session = self.get_session(sid, namespace)
        yield session
        self.save_session(sid, session, namespace)

    def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> None:
        """Disconnect a client from a namespace; its ``disconnect`` handler runs with reason 'server disconnect'."""
        self._disconnect(sid, namespace)

    def shutdown(self) -> None:
        """Stop serving and disconnect every client."""
        self._core.shutdown()
        self._pump_once()
        self._stopping.set()

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        """Run ``target(*args, **kwargs)`` in a daemon thread and return the started thread."""
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    def sleep(self, seconds: float = 0) -> None:
        """``time.sleep``."""
        time.sleep(seconds)

    def handle_request(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Not used by turbosio: serve with :func:`turbosio.run`."""
        raise NotImplementedError('serve a turbosio.Server with turbosio.run()')
