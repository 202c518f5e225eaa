"""``turbosio.PubSubManager``: the pub/sub client manager of the threaded :class:`turbosio.Server`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base_pubsub_manager import BasePubSubManager
from .manager import Manager


class PubSubManager(BasePubSubManager, Manager):
    """python-socketio's ``PubSubManager``: servers of one fleet share their emits, rooms and disconnects on a
    channel. Use a backend: :class:`turbosio.RedisManager`.

    compat: python-socketio lets subclasses supply ``_publish`` and ``_listen`` in Python; turbosio's backends are
    driven in Rust, so a subclass supplies ``_make_link`` instead (only Redis is provided).

    Args:
        channel: The channel name; the same on every server.
        write_only: Only publish (an emitter in a script or a worker): never listen.
        logger: A logger of its own; the server's when omitted.
        json: A JSON module for the messages (``dumps``/``loads``), as the standard library's.
    """

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Callable[..., Any] | None = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit to a client, a room or everybody in the namespace, on every server of the fleet.

        Without a server (a write-only emitter), the message is published and this returns once it left.

        Raises:
            RuntimeError: for a callback without a server (nobody could receive the answer).
        """
        message = self._emit_or_message(event, data, namespace, to or room, skip_sid, callback, **kwargs)
        if message is not None:
            self._publish_wait(message)

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True for a client of this server; for one elsewhere, asks its server to disconnect it."""
        return self._can_disconnect_here(sid, namespace)

    def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Take every client out of a room, on every server."""
        message = self._close_room_or_message(room, namespace)
        if message is not None:
            self._publish_wait(message)
