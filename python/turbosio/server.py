"""The threaded flavour: :class:`Server`, python-socketio's synchronous ``Server`` API."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import exceptions
from ._kinds import CONNECT, DISCONNECT, EVENT
from ._thread_pump import ThreadPump
from .base_server import BaseServer, PendingCall


class Server(ThreadPump, BaseServer):
    """A Socket.IO server whose handlers are plain functions run on worker threads.

    Events of one client are handled in order; different clients are handled in parallel. Takes the same
    arguments as :class:`turbosio.AsyncServer`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_pump()

    def _serial_key(self, item: tuple[Any, ...]) -> Any:
        kind = item[0]
        if kind == CONNECT:
            return item[2]
        if kind in (EVENT, DISCONNECT):
            return item[1]
        # ACKs are not queued behind the client's running handler: that handler may be waiting in call() for
        # exactly this ACK. Their callbacks run on the pump thread.
        return None

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
            ignore_queue: With a pub/sub manager (Redis), emit to this server's clients only, without publishing.
        """
        self._emit(event, data, to, room, skip_sid, namespace, callback, ignore_queue)

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
        self._emit('message', data, to, room, skip_sid, namespace, callback, ignore_queue)

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
            turbosio.exceptions.TimeoutError: when no answer comes within ``timeout`` seconds, or at once when the
                client is not connected or disconnects before answering.
        """
        if to is None and sid is None:
            raise ValueError('Cannot use call() to broadcast.')
        answered = threading.Event()
        answers: list[tuple[Any, ...]] = []

        def callback(*args: Any) -> None:
            answers.append(args)
            answered.set()

        sent = self._emit(event, data, to or sid, None, None, namespace, PendingCall(callback, answered.set))
        if not sent:
            # Nobody to answer (not connected): python-socketio's TimeoutError, without waiting for it.
            raise exceptions.TimeoutError('the client is not connected')
        if not answered.wait(timeout):
            self._drop_callbacks(sent)
            self._core.metrics_ack_timeout()
            raise exceptions.TimeoutError()
        if not answers:
            raise exceptions.TimeoutError('the client disconnected before answering')
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
        self._stop_pump()

    def handle_request(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Not used by turbosio: serve with :func:`turbosio.run`."""
        raise NotImplementedError('serve a turbosio.Server with turbosio.run()')
