"""``turbosio.Manager``: the in-process client manager of the threaded :class:`turbosio.Server`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base_manager import BaseManager


class Manager(BaseManager):
    """The client manager of a threaded :class:`turbosio.Server`, python-socketio's ``Manager`` API.

    The rooms live in the server's engine; this class reads and changes them there. Subclass it and pass an
    instance as ``Server(client_manager=...)``. The server calls these overrides: ``emit``, ``enter_room``,
    ``leave_room`` and ``close_room`` from its verbs of the same names (call ``super()`` to do the work),
    ``disconnect`` for every socket that leaves, after its ``disconnect`` handler, and ``initialize`` once before
    the first connection. Others (``trigger_callback``, ``can_disconnect``, ...) are only called by your code.
    """

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True when the client may be disconnected (it is connected to ``namespace``)."""
        return self.is_connected(sid, namespace)

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Callable[..., Any] | None = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Send an event to one client, a room, a list of rooms, or the whole namespace.

        Args:
            event: The event name.
            data: The payload; a tuple means several arguments.
            namespace: The namespace.
            room: A sid, a room, or a list of them; the whole namespace when None.
            skip_sid: A sid or list of sids to leave out.
            callback: Called with each recipient's acknowledgement.
            to: Alias of ``room``.
            **kwargs: Accepted for compatibility (``ignore_queue``).
        """
        self._emit(event, data, namespace, room, skip_sid, callback, to)

    def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Disconnect a client from ``namespace`` (its ``disconnect`` handler runs)."""
        self.basic_disconnect(sid, namespace)

    def enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        """Put a client in a room."""
        self.basic_enter_room(sid, namespace, room)

    def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take a client out of a room."""
        self.basic_leave_room(sid, namespace, room)

    def close_room(self, room: Any, namespace: str) -> None:
        """Take every client out of a room."""
        self.basic_close_room(room, namespace)

    def trigger_callback(self, sid: str, id: int, data: list[Any] | tuple[Any, ...]) -> None:
        """Run the acknowledgement callback ``id`` of client ``sid`` with ``data``; unknown ids are ignored."""
        callback = self._take_callback(sid, id)
        if callback is not None:
            callback(*data)
