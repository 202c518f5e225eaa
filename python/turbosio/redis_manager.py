"""``turbosio.RedisManager``: servers of a fleet share their emits through Redis (threaded :class:`Server`)."""

from __future__ import annotations

from .base_redis_manager import BaseRedisManager
from .pubsub_manager import PubSubManager


class RedisManager(BaseRedisManager, PubSubManager):
    """python-socketio's ``RedisManager``, on a Redis connection driven in Rust.

    Pass it as ``Server(client_manager=RedisManager(url))`` on every server, or use it with ``write_only=True``
    from any process to emit to the fleet's clients. Messages are python-socketio's (>= 5.14) JSON on the channel,
    so turbosio and python-socketio servers can share one channel. The arguments are python-socketio's (see
    :class:`turbosio.base_redis_manager.BaseRedisManager`).
    """

    name = 'redis'
