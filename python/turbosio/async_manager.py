"""``turbosio.AsyncManager``: the in-process client manager of :class:`turbosio.AsyncServer`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .base_manager import BaseManager


class AsyncManager(BaseManager):
    """The client manager of :class:`turbosio.AsyncServer`, python-socketio's ``AsyncManager`` API.

    The rooms live in the server's engine; this class reads and changes them there. Its verbs are coroutines, as
    in python-socketio. Subclass it and pass an instance as ``AsyncServer(client_manager=...)``. The server calls
    these overrides: ``emit``, ``enter_room``, ``leave_room`` and ``close_room`` from its verbs of the same names
    (await ``super()`` to do the work), ``disconnect`` for every socket that leaves, after its ``disconnect``
    handler, and ``initialize`` once before the first connection. Others (``trigger_callback``,
    ``can_disconnect``, ...) are only called by your code.
    """

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True when the client may be disconnected (a coroutine)."""
        return self.is_connected(sid, namespace)

    async def emit(
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
        """Send an event, as :meth:`turbosio.Manager.emit` does (a coroutine)."""
        self._emit(event, data, namespace, room, skip_sid, callback, to)

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Disconnect a client from ``namespace`` (a coroutine; its ``disconnect`` handler runs)."""
        self.basic_disconnect(sid, namespace)

    async def enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        """Put a client in a room (a coroutine)."""
        self.basic_enter_room(sid, namespace, room)

    async def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take a client out of a room (a coroutine)."""
        self.basic_leave_room(sid, namespace, room)

    async def close_room(self, room: Any, namespace: str) -> None:
        """Take every client out of a room (a coroutine)."""
        self.basic_close_room(room, namespace)

    async def trigger_callback(self, sid: str, id: int, data: list[Any] | tuple[Any, ...]) -> None:
        """Run the acknowledgement callback ``id`` of client ``sid`` with ``data`` (a coroutine)."""
        callback = self._take_callback(sid, id)
        if callback is not None:
            result = callback(*data)
            if inspect.isawaitable(result):
                await result
