"""``turbosio.AsyncPubSubManager``: the pub/sub client manager of :class:`turbosio.AsyncServer`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .async_manager import AsyncManager
from .base_pubsub_manager import BasePubSubManager


class AsyncPubSubManager(BasePubSubManager, AsyncManager):
    """python-socketio's ``AsyncPubSubManager``: as :class:`turbosio.PubSubManager`, with coroutine verbs. Use a
    backend: :class:`turbosio.AsyncRedisManager`.

    Args:
        channel: The channel name; the same on every server.
        write_only: Only publish (an emitter in a script or a worker): never listen.
        logger: A logger of its own; the server's when omitted.
        json: A JSON module for the messages (``dumps``/``loads``), as the standard library's.
    """

    name = 'asyncpubsub'

    async def emit(
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
        """Emit to a client, a room or everybody in the namespace, on every server of the fleet (a coroutine).

        Without a server (a write-only emitter), the message is published and this returns once it left; the
        wait happens on a worker thread, never on the event loop.

        Raises:
            RuntimeError: for a callback without a server (nobody could receive the answer).
        """
        message = self._emit_or_message(event, data, namespace, to or room, skip_sid, callback, **kwargs)
        if message is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._publish_wait, message)

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True for a client of this server; for one elsewhere, asks its server to disconnect it (a coroutine)."""
        return self._can_disconnect_here(sid, namespace)

    async def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Take every client out of a room, on every server (a coroutine)."""
        message = self._close_room_or_message(room, namespace)
        if message is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._publish_wait, message)
