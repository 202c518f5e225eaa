"""The Socket.IO Admin UI (``Server.instrument()``): the admin namespace's connect check, its actions and the
periodic ``server_stats``.

Only what happens once per admin action or once per interval is Python. The per-message reports
(``socket_connected``, ``event_received``, ``event_sent``, the rooms, the per-second counts) are framed by the engine's
tap (``src/engine/admin.rs``), which ``ServerCore.admin_instrument`` installs; this module never sees a message.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from . import exceptions

HOSTNAME = socket.gethostname()
PID = os.getpid()

# compat: python-socketio's refusal text for wrong credentials.
AUTH_FAILED = 'authentication failed'


class InstrumentedBase:
    """What both flavours share: the settings, the credential check, the actions and the stats payload."""

    def __init__(
        self,
        sio: Any,
        auth: Any = None,
        mode: str = 'development',
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = '/admin',
        server_stats_interval: float = 2,
    ) -> None:
        if auth is None:
            raise ValueError('auth must be specified')
        self.sio = sio
        self.auth = auth
        self.admin_namespace = namespace
        self.read_only = read_only
        self.mode = mode
        self.server_id = server_id or getattr(sio.manager, 'host_id', None) or HOSTNAME
        self.server_stats_interval = server_stats_interval
        self._started_at = time.time()
        self._stats_task: Any = None
        sio._core.admin_instrument(namespace, mode == 'development')
        self._register()

    def _register(self) -> None:
        self.sio.on('connect', self.admin_connect, namespace=self.admin_namespace)
        # compat: python-socketio offers the actions in development mode only.
        if self.mode == 'development' and not self.read_only:
            self.sio.on('emit', self.admin_emit, namespace=self.admin_namespace)
            self.sio.on('join', self.admin_enter_room, namespace=self.admin_namespace)
            self.sio.on('leave', self.admin_leave_room, namespace=self.admin_namespace)
            self.sio.on('_disconnect', self.admin_disconnect, namespace=self.admin_namespace)

    # Each flavour's handlers (plain functions on Server, coroutine functions on AsyncServer).
    admin_connect: Callable[..., Any]
    admin_emit: Callable[..., Any]
    admin_enter_room: Callable[..., Any]
    admin_leave_room: Callable[..., Any]
    admin_disconnect: Callable[..., Any]

    def uninstrument(self) -> None:
        """Stop the per-event reports and counters; as in python-socketio, the admin namespace's handlers and
        the ``server_stats`` stay."""
        self.sio._core.admin_uninstrument()

    def _credentials_match(self, client_auth: Any) -> bool | None:
        """True or False for a dict or a list of dicts (or no check at all); None when ``auth`` is a callable."""
        if not self.auth:
            return True
        if isinstance(self.auth, dict):
            return bool(client_auth == self.auth)
        if isinstance(self.auth, list):
            return client_auth in self.auth
        return None

    def _welcome(self, sid: str) -> None:
        """``config`` (the features offered), then ``all_sockets`` in development mode, to a new admin."""
        features = ['AGGREGATED_EVENTS']
        if not self.read_only:
            features += ['EMIT', 'JOIN', 'LEAVE', 'DISCONNECT', 'MJOIN', 'MLEAVE', 'MDISCONNECT']
        if self.mode == 'development':
            features.append('ALL_EVENTS')
        # Emitted while the connect is pending: the engine sends them right after the CONNECT answer.
        self.sio.emit('config', {'supportedFeatures': features}, to=sid, namespace=self.admin_namespace)
        if self.mode == 'development':
            sockets = json.loads(self.sio._core.admin_all_sockets(sid))
            self.sio.emit('all_sockets', sockets, to=sid, namespace=self.admin_namespace)

    def _participants(self, namespace: str, room_filter: Any) -> list[str]:
        return [sid for sid, _ in self.sio.manager.get_participants(namespace, room_filter)]

    def _server_stats(self) -> dict[str, Any]:
        engine = json.loads(self.sio._core.admin_stats())
        counts = {ns['name']: ns['socketsCount'] for ns in engine['namespaces']}
        names = sorted(set(counts) | {ns for ns in self.sio.handlers if ns is not None})
        return {
            'serverId': self.server_id,
            'hostname': HOSTNAME,
            'pid': PID,
            'uptime': time.time() - self._started_at,
            'clientsCount': engine['clientsCount'],
            'pollingClientsCount': engine['pollingClientsCount'],
            'aggregatedEvents': engine['aggregatedEvents'],
            'namespaces': [{'name': name, 'socketsCount': counts.get(name, 0)} for name in names],
        }


class InstrumentedServer(InstrumentedBase):
    """``Server.instrument()``'s result for the threaded :class:`turbosio.Server`; ``shutdown()`` stops the stats."""

    def __init__(self, sio: Any, **kwargs: Any) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        super().__init__(sio, **kwargs)

    def admin_connect(self, sid: str, environ: dict[str, Any], client_auth: Any) -> None:
        authenticated = self._credentials_match(client_auth)
        if authenticated is None:
            authenticated = bool(self.auth(client_auth))
        if not authenticated:
            raise exceptions.ConnectionRefusedError(AUTH_FAILED)
        with self._lock:
            if self._stats_task is None:
                self._stop.clear()
                self._stats_task = self.sio.start_background_task(self._emit_server_stats)
        self._welcome(sid)

    def admin_emit(self, _: str, namespace: str, room_filter: Any, event: str, *data: Any) -> None:
        self.sio.emit(event, data, to=room_filter, namespace=namespace)

    def admin_enter_room(self, _: str, namespace: str, room: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            self.sio.enter_room(sid, room, namespace=namespace)

    def admin_leave_room(self, _: str, namespace: str, room: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            self.sio.leave_room(sid, room, namespace=namespace)

    def admin_disconnect(self, _: str, namespace: str, close: Any, room_filter: Any = None) -> None:
        for sid in self._participants(namespace, room_filter):
            self.sio.disconnect(sid, namespace=namespace)

    def shutdown(self) -> None:
        """Stop sending ``server_stats``."""
        with self._lock:
            task, self._stats_task = self._stats_task, None
        if task is not None:
            self._stop.set()
            task.join()

    def _emit_server_stats(self) -> None:
        while not self._stop.wait(self.server_stats_interval):
            self.sio.emit('server_stats', self._server_stats(), namespace=self.admin_namespace)
