"""What :class:`turbosio.PubSubManager` and :class:`turbosio.AsyncPubSubManager` share: one fleet of servers on a
pub/sub channel, with python-socketio's JSON messages.

The channel is driven in Rust (``_core.RedisManagerCore``): the server's engine publishes every broadcast that may
reach another host and every closed room itself, and applies the other hosts' messages to its sockets without
Python. What is left here: the messages that need Python's tables (an emit to a sid of another host that waits for
an ack, and the ack coming back; joins, leaves and disconnects of sids of other hosts), and the write-only emitter
that publishes without a server.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json as _stdlib_json
import logging
import os
import uuid
from typing import Any

from . import _core
from .base_manager import BaseManager

default_logger = logging.getLogger('socketio')

#: Links a forked child inherited from its parent (see BasePubSubManager._get_link).
_INHERITED_LINKS: list[Any] = []

#: How long a write-only emitter waits for its message to leave before it logs that it gave up.
PUBLISH_TIMEOUT = 10.0


def deconstruct_binary(data: Any) -> tuple[Any, list[bytes]]:
    """Swap the ``bytes`` in ``data`` for ``{'_placeholder': True, 'num': n}``, as python-socketio's packets do."""
    attachments: list[bytes] = []

    def walk(value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            attachments.append(bytes(value))
            return {'_placeholder': True, 'num': len(attachments) - 1}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(data), attachments


def reconstruct_binary(data: Any, attachments: list[bytes]) -> Any:
    """The reverse of :func:`deconstruct_binary`."""
    if isinstance(data, list):
        return [reconstruct_binary(v, attachments) for v in data]
    if isinstance(data, dict):
        num = data.get('num')
        if data.get('_placeholder') is True and isinstance(num, int) and 0 <= num < len(attachments):
            return attachments[num]
        return {k: reconstruct_binary(v, attachments) for k, v in data.items()}
    return data


class BasePubSubManager(BaseManager):
    """The fleet's state and messages, shared by both flavours.

    Attributes:
        channel: The channel the servers share.
        write_only: True for an emitter that publishes and never listens.
        host_id: This manager's id on the channel (a message carrying it is our own).
    """

    name = 'pubsub'

    def __init__(self, channel: str = 'socketio', write_only: bool = False, logger: Any = None, json: Any = None):
        super().__init__()
        self.channel = channel
        self.write_only = write_only
        self.host_id = uuid.uuid4().hex
        self.logger = logger
        self.json = json if json is not None else _stdlib_json
        self._ack_ids = itertools.count(1)
        self._link: Any = None  # _core.RedisManagerCore, made by the backend's _make_link
        self._link_pid = 0  # the process that made it: its tasks do not survive a fork

    def _make_link(self) -> Any:
        raise NotImplementedError(
            'turbosio: a pub/sub manager needs a backend driven in Rust; use RedisManager or AsyncRedisManager'
        )

    def _get_link(self) -> Any:
        if self._link is None or self._link_pid != os.getpid():
            # A forked child (a Celery or gunicorn worker) gets a link of its own: the parent's tasks stayed there.
            # The parent's link is kept, never closed nor dropped here: that would reach into a runtime whose
            # threads (and maybe the locks they held at the fork) exist only in the parent.
            if self._link is not None:
                _INHERITED_LINKS.append(self._link)
            self._link = self._make_link()
            self._link_pid = os.getpid()
        return self._link

    def _get_logger(self) -> logging.Logger:
        if self.logger:
            return self.logger
        server = self.server
        return server.logger if server is not None else default_logger

    def set_server(self, server: Any) -> None:
        """Bind the manager to its server and link the server's engine to the channel."""
        if getattr(server, '_msgpack', False):
            raise NotImplementedError("turbosio: serializer='msgpack' with a pub/sub client manager")
        super().set_server(server)
        server._fleet = self
        self._get_link().attach(server._core, not self.write_only)

    def initialize(self) -> None:
        """Called before the server's first connection."""
        self._get_logger().info('%s backend initialized.', self.name)

    def stats(self) -> dict[str, int]:
        """turbosio's counters: messages ``published``, ``dropped`` (outbound queue full) and ``queued`` now."""
        published, dropped, queued = self._get_link().stats()
        return {'published': published, 'dropped': dropped, 'queued': queued}

    def close(self) -> None:
        """Stop publishing and listening; the server (if any) goes back to delivering locally only."""
        if self._link is not None and self._link_pid == os.getpid():
            self._link.close()

    # -- messages --------------------------------------------------------------------------------------------------

    def _emit_message(
        self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any, callback: Any
    ) -> dict[str, Any]:
        """python-socketio's ``emit`` message, its keys in the same order."""
        args = list(data) if isinstance(data, tuple) else [data]
        args, attachments = deconstruct_binary(args)
        binary = bool(attachments)
        if binary:
            args = [args, *[base64.b64encode(a).decode() for a in attachments]]
        return {
            'method': 'emit',
            'event': event,
            'data': args,
            'binary': binary,
            'namespace': namespace,
            'room': room,
            'skip_sid': skip_sid,
            'callback': callback,
            'host_id': self.host_id,
        }

    def _encode(self, message: dict[str, Any]) -> bytes:
        text = self.json.dumps(message)
        return text.encode() if isinstance(text, str) else bytes(text)

    def _publish(self, message: dict[str, Any]) -> None:
        """Queue a message for the channel (a server's manager: never waits)."""
        if not self._get_link().publish(self._encode(message)):
            self._get_logger().error('Cannot publish to the pub/sub backend: outbound queue full, message dropped')

    def _publish_wait(self, message: dict[str, Any]) -> bool:
        """Publish and wait until it left (a write-only emitter, whose process may end next)."""
        link = self._get_link()
        sent = bool(link.publish_wait(self._encode(message), PUBLISH_TIMEOUT))
        self._log_reports()
        if not sent:
            self._get_logger().error('Cannot publish to redis... giving up')
        return sent

    def _log_reports(self) -> None:
        for warning, text in self._get_link().take_reports():
            self._log_report(warning, text)

    def _log_report(self, trouble: bool, text: str) -> None:
        # compat: python-socketio logs Redis failures as errors (so they show with the default logger=False).
        logger = self._get_logger()
        (logger.error if trouble else logger.info)('%s', text)

    def _emit_or_message(
        self, event: str, data: Any, namespace: str | None, room: Any, skip_sid: Any, callback: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        """A server's manager emits through its server (None); a write-only emitter gets the message to publish.
        ``ignore_queue=True`` emits to the server's own clients only."""
        if self.server is None:
            if callback is not None:
                raise RuntimeError('Callbacks can only be issued from the context of a server.')
            return self._emit_message(event, data, namespace or '/', room, skip_sid, None)
        self._emit(event, data, namespace or '/', room, skip_sid, callback, None, bool(kwargs.get('ignore_queue')))
        return None

    def _close_room_or_message(self, room: Any, namespace: str | None) -> dict[str, Any] | None:
        """As :meth:`_emit_or_message`, for ``close_room``."""
        if self.server is None:
            return {'method': 'close_room', 'room': room, 'namespace': namespace or '/', 'host_id': self.host_id}
        self.basic_close_room(room, namespace or '/')
        return None

    def _can_disconnect_here(self, sid: str, namespace: str) -> bool:
        """True for a client of this server; for one elsewhere, asks its server to disconnect it."""
        if self.is_connected(sid, namespace):
            return True
        self._relay_disconnect(sid, namespace or '/')
        return False

    # -- what the server asks of its fleet -----------------------------------------------------------------------

    def _relay_emit(self, event: str, args: tuple[Any, ...], namespace: str, room: str, callback: Any) -> list[Any]:
        """An emit with a callback to a sid of another host: publish it, keep the callback under a fresh id."""
        server = self._server()
        ack_id = next(self._ack_ids)
        with server._ack_lock:
            server._callbacks.setdefault(room, {})[ack_id] = callback
        self._publish(self._emit_message(event, args, namespace, room, None, [room, namespace, ack_id]))
        return [(room, ack_id)]

    def _relay_room(self, method: str, sid: str, namespace: str, room: Any) -> None:
        """``enter_room`` / ``leave_room`` of a sid of another host."""
        rooms = room if isinstance(room, (list, tuple, set)) else [room]
        for name in rooms:
            self._publish(
                {'method': method, 'sid': sid, 'room': name, 'namespace': namespace, 'host_id': self.host_id}
            )

    def _relay_disconnect(self, sid: str, namespace: str) -> None:
        """``disconnect`` of a sid of another host."""
        self._publish({'method': 'disconnect', 'sid': sid, 'namespace': namespace, 'host_id': self.host_id})

    def _return_callback(self, host_id: str, sid: str, namespace: str, callback_id: int, *args: Any) -> None:
        """A client here answered another host's emit: send the answer back to that host."""
        self._publish(
            {
                'method': 'callback',
                'host_id': host_id,
                'sid': sid,
                'namespace': namespace,
                'id': callback_id,
                'args': list(args),
            }
        )

    def _on_forwarded(self, raw: bytes) -> None:
        """A message the engine left to Python: an emit that waits for acks, or an ack for this host."""
        server = self._server()
        try:
            message = self.json.loads(raw)
            if message['method'] == 'callback':
                callback = self._take_callback(message['sid'], message['id'])
                if callback is not None:
                    server._invoke(callback, tuple(message['args']), None, None, 'ack callback')
                return
            data = message['data']
            if message.get('binary'):
                data = reconstruct_binary(data[0], [base64.b64decode(a) for a in data[1:]])
            args = tuple(data) if isinstance(data, list) else (data,)
            sid, namespace, callback_id = message['callback']
            answer = functools.partial(self._return_callback, message['host_id'], sid, namespace, callback_id)
            server._emit_with_ack(
                message.get('namespace') or '/', message['event'], args, message.get('room'),
                message.get('skip_sid'), answer,
            )
        except Exception:
            server.logger.exception('Handler error in pubsub listening thread')


def new_link(url: str, channel: str, host_id: str, redis_options: dict[str, Any] | None, logger: Any) -> Any:
    """The Rust link for a Redis URL; ``redis_options`` keys turbosio does not use are logged and ignored."""
    options = dict(redis_options or {})
    known = {'username', 'password', 'db', 'socket_connect_timeout', 'max_queue'}
    unknown = sorted(set(options) - known)
    if unknown:
        (logger or default_logger).warning('turbosio: redis_options %s are ignored', ', '.join(unknown))
    kwargs = {k: v for k, v in options.items() if k in known and v is not None}
    return _core.RedisManagerCore(url, channel, host_id, **kwargs)
