"""``turbosio.AsyncRedisManager``: servers of a fleet share their emits through Redis (:class:`AsyncServer`)."""

from __future__ import annotations

from .async_pubsub_manager import AsyncPubSubManager
from .base_redis_manager import BaseRedisManager


class AsyncRedisManager(BaseRedisManager, AsyncPubSubManager):
    """python-socketio's ``AsyncRedisManager``, on a Redis connection driven in Rust.

    Pass it as ``AsyncServer(client_manager=AsyncRedisManager(url))`` on every server, or use it with
    ``write_only=True`` from any process (a script, a Celery worker) to emit to the fleet's clients. The arguments
    are python-socketio's (see :class:`turbosio.base_redis_manager.BaseRedisManager`).
    """

    name = 'aioredis'
