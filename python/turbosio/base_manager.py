"""What :class:`turbosio.Manager` and :class:`turbosio.AsyncManager` share: python-socketio's client manager API,
answered from the server's own state.

In python-socketio the manager *is* the room table. In turbosio the rooms live in the Rust engine, so a manager
keeps nothing of its own: every query reads the server (its connected sockets, and the engine's rooms), and every
verb calls the server's core. It exists so that code passing ``client_manager=`` or subclassing the manager keeps
working; :func:`bind_manager` routes the server's verbs to the overrides turbosio honours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

default_logger = logging.getLogger('socketio')


class BaseManager:
    """The in-process client manager's queries, shared by both flavours.

    Attributes:
        server: The server this manager serves (set by :meth:`set_server`).
        logger: A logger of its own, or None to use the server's.
    """

    def __init__(self) -> None:
        self.logger: logging.Logger | None = None
        self.server: Any = None
        self._leaving: set[tuple[str, str]] = set()

    def set_server(self, server: Any) -> None:
        """Bind the manager to its server; the server calls this once, from its constructor."""
        self.server = server

    def initialize(self) -> None:
        """Called once, before the server's first connection; subclasses may start their work here."""

    # -- queries ----------------------------------------------------------------------------------------------------

    def _server(self) -> Any:
        # Typed Any: naming BaseServer here would be an import circle (the server builds its manager).
        if self.server is None:
            raise RuntimeError('this manager is not attached to a server (pass it as client_manager=)')
        return self.server

    def _connected(self) -> dict[str, tuple[str, str]]:
        """sid -> (eio_sid, namespace) of every connected socket."""
        sockets: dict[str, tuple[str, str]] = self._server()._sockets
        return sockets

    def get_namespaces(self) -> list[str]:
        """The namespaces that have at least one connected client."""
        return sorted({namespace for _, namespace in self._connected().values()})

    def get_participants(self, namespace: str, room: Any) -> Iterator[tuple[str, str]]:
        """Yield ``(sid, eio_sid)`` for every client of ``namespace`` in ``room`` (or in any of a list of rooms);
        ``room=None`` means every client of the namespace."""
        rooms = set(room) if isinstance(room, (list, tuple, set)) else {room}
        core = self._server()._core
        for sid, (eio_sid, ns) in list(self._connected().items()):
            if ns != namespace:
                continue
            if None in rooms or rooms.intersection(core.rooms(sid, namespace)):
                yield sid, eio_sid

    @property
    def rooms(self) -> dict[str, dict[Any, dict[str, str]]]:
        """A snapshot ``{namespace: {room: {sid: eio_sid}}}`` (room None holds every client), as python-socketio's
        ``Manager.rooms`` is laid out. Changing it changes nothing: use :meth:`enter_room` and :meth:`leave_room`."""
        table: dict[str, dict[Any, dict[str, str]]] = {}
        core = self._server()._core
        for sid, (eio_sid, namespace) in list(self._connected().items()):
            ns_rooms = table.setdefault(namespace, {})
            ns_rooms.setdefault(None, {})[sid] = eio_sid
            for room in core.rooms(sid, namespace):
                ns_rooms.setdefault(room, {})[sid] = eio_sid
        return table

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        """The rooms a client is in, its own sid room included."""
        if not self.is_connected(sid, namespace):
            return []
        rooms: list[str] = self._server()._core.rooms(sid, namespace)
        return rooms

    def is_connected(self, sid: str, namespace: str) -> bool:
        """True when the client is connected to ``namespace`` and not on its way out."""
        socket = self._connected().get(sid)
        return socket is not None and socket[1] == namespace and (sid, namespace) not in self._leaving

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        """The Socket.IO sid of an Engine.IO session in ``namespace``, or None."""
        for sid, (eio, ns) in list(self._connected().items()):
            if eio == eio_sid and ns == namespace:
                return sid
        return None

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        """The Engine.IO session id of a Socket.IO sid in ``namespace``, or None."""
        socket = self._connected().get(sid)
        return socket[0] if socket is not None and socket[1] == namespace else None

    def pre_disconnect(self, sid: str, namespace: str) -> str | None:
        """Mark a client as leaving (``is_connected`` turns False) and return its Engine.IO session id."""
        self._leaving.add((sid, namespace))
        return self.eio_sid_from_sid(sid, namespace)

    def is_sid_room(self, namespace: str, room: Any) -> bool:
        """True when ``room`` is the own room of a client connected to ``namespace``."""
        return isinstance(room, str) and self.eio_sid_from_sid(room, namespace) is not None

    # -- the work under the flavours' verbs (plain methods in both, as in python-socketio) ---------------------------

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        """Put a client in a room, in the engine."""
        self._server()._enter_room(sid, room, namespace)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take a client out of a room, in the engine."""
        self._server()._leave_room(sid, room, namespace)

    def basic_close_room(self, room: Any, namespace: str) -> None:
        """Take every client out of a room, in the engine."""
        self._server()._close_room(room, namespace)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Disconnect a client from ``namespace``; nothing happens for one that already left.

        compat: python-socketio's version only forgets the client; turbosio keeps no table apart from the engine,
        so forgetting a client that is still connected disconnects it.
        """
        self._leaving.discard((sid, namespace))
        self._server()._disconnect(sid, namespace)

    def _emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any,
        skip_sid: Any,
        callback: Any,
        to: Any,
        local_only: bool = False,
    ) -> None:
        target = to if to is not None else room
        self._server()._emit(event, data, target, None, skip_sid, namespace, callback, local_only)

    def _take_callback(self, sid: str, id: int) -> Callable[..., Any] | None:
        server = self._server()
        with server._ack_lock:
            callback: Callable[..., Any] | None = server._callbacks.get(sid, {}).pop(id, None)
        if callback is None:
            (self.logger or server.logger or default_logger).warning('Unknown callback received, ignoring.')
        return callback


def resolve_manager(client_manager: Any, server: Any, default: type[BaseManager]) -> BaseManager:
    """The manager a server uses: ``client_manager``, or a fresh ``default`` when it is None.

    Raises:
        NotImplementedError: for a manager that is not one of turbosio's (python-socketio's own, Kafka, ...).
        ValueError: for a manager of the other flavour (an AsyncManager on a threaded Server, or the reverse).
    """
    if client_manager is None:
        client_manager = default()
    if not isinstance(client_manager, BaseManager):
        raise NotImplementedError(
            f'turbosio: client_manager={type(client_manager).__name__} is not supported; use turbosio.Manager, '
            'turbosio.AsyncManager, turbosio.RedisManager, turbosio.AsyncRedisManager or a subclass (no other '
            'scale-out backend is provided: Kafka, kombu, ZeroMQ).'
        )
    if not isinstance(client_manager, default):
        raise ValueError(f'client_manager must be a {default.__name__} for a {type(server).__name__}')
    client_manager.set_server(server)
    bind_manager(client_manager, server)
    return client_manager


# turbosio's own managers: a method they define is not a user's override to route the server's verbs to.
_OWN_MODULES = (
    'turbosio.manager',
    'turbosio.async_manager',
    'turbosio.pubsub_manager',
    'turbosio.async_pubsub_manager',
    'turbosio.base_redis_manager',
    'turbosio.redis_manager',
    'turbosio.async_redis_manager',
)


def bind_manager(manager: BaseManager, server: Any) -> None:
    """Route the server's verbs to the manager's overrides of ``emit``, ``enter_room``, ``leave_room`` and
    ``close_room``, and have it call an overridden ``disconnect`` for every socket that leaves (after the
    ``disconnect`` handler), as python-socketio's server calls its manager.

    perf: only overridden verbs are rerouted (an instance attribute shadows the server's method), so a server
    with the plain manager runs exactly as one without it.
    """
    flavour = type(manager)
    base = next(cls for cls in flavour.__mro__ if cls.__module__ in _OWN_MODULES)
    routes = vars(server)
    for name, make in _ROUTES.items():
        if getattr(flavour, name) is not getattr(base, name):
            routes[name] = make(manager, server)
    # compat: python-socketio calls the manager's disconnect for every socket that leaves, whoever ends it.
    if flavour.disconnect is not base.disconnect:  # type: ignore[attr-defined]
        server._manager_disconnect = manager.disconnect  # type: ignore[attr-defined]


def _route_emit(manager: Any, server: Any) -> Callable[..., Any]:
    def emit(
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> Any:
        server.logger.info('emitting event "%s" to %s [%s]', event, to or room or 'all', namespace or '/')
        return manager.emit(
            event,
            data,
            namespace or '/',
            room=to or room,
            skip_sid=skip_sid,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    return emit


def _route_enter_room(manager: Any, server: Any) -> Callable[..., Any]:
    def enter_room(sid: str, room: Any, namespace: str | None = None) -> Any:
        return manager.enter_room(sid, namespace or '/', room)

    return enter_room


def _route_leave_room(manager: Any, server: Any) -> Callable[..., Any]:
    def leave_room(sid: str, room: Any, namespace: str | None = None) -> Any:
        return manager.leave_room(sid, namespace or '/', room)

    return leave_room


def _route_close_room(manager: Any, server: Any) -> Callable[..., Any]:
    def close_room(room: Any, namespace: str | None = None) -> Any:
        return manager.close_room(room, namespace or '/')

    return close_room


_ROUTES: dict[str, Callable[[Any, Any], Callable[..., Any]]] = {
    'emit': _route_emit,
    'enter_room': _route_enter_room,
    'leave_room': _route_leave_room,
    'close_room': _route_close_room,
}
