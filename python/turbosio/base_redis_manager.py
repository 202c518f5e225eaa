"""What :class:`turbosio.RedisManager` and :class:`turbosio.AsyncRedisManager` share: the Redis URL and options,
turned into the Rust link (``_core.RedisManagerCore``)."""

from __future__ import annotations

import logging
from typing import Any

from .base_pubsub_manager import new_link


class BaseRedisManager:
    """The Redis backend, mixed into a pub/sub manager flavour (before it in the bases).

    Args:
        url: ``redis://host:port/db``, ``rediss://`` for TLS, ``unix:///path/to/socket``, or
            ``redis+sentinel://[user:password@]host1:port1,host2:port2/db/service_name``.
        channel: The channel name; the same on every server.
        write_only: Only publish: never listen.
        logger: A logger of its own; the server's when omitted.
        json: A JSON module for the messages (``dumps``/``loads``).
        redis_options: ``username``, ``password``, ``db``, ``socket_connect_timeout`` (seconds), and turbosio's
            ``max_queue`` (messages kept while Redis is down; 10000). Other keys are logged and ignored.

    Raises:
        ValueError: for a URL that is not one of the above.
    """

    channel: str
    host_id: str
    logger: Any
    _get_link: Any

    def __init__(
        self,
        url: str = 'redis://localhost:6379/0',
        channel: str = 'socketio',
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)  # type: ignore[call-arg]
        self.redis_url = url
        self.redis_options = redis_options or {}
        self._get_link()  # a bad URL fails here, as in python-socketio

    def _make_link(self) -> Any:
        return new_link(self.redis_url, self.channel, self.host_id, self.redis_options, self.logger)
