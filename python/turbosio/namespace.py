"""Class-based namespaces: :class:`Namespace` and :class:`AsyncNamespace` for servers, :class:`ClientNamespace` and
:class:`AsyncClientNamespace` for clients.

Methods named ``on_<event>`` handle ``<event>``; the verbs default to the class's namespace.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ._client_types import AckCallback
from ._handlers import max_positional

_SPECIAL = ('connect', 'disconnect')


def _find_handler(
    namespace: Any, event: str, args: tuple[Any, ...], trimmed: tuple[str, ...], keep: int
) -> tuple[Any, tuple[Any, ...]]:
    """``on_<event>`` of ``namespace`` and its arguments; for ``trimmed`` events, only as many as it takes
    (at least ``keep``)."""
    handler = getattr(namespace, 'on_' + (event or ''), None)
    if handler is not None and event in trimmed:
        args = args[: max(max_positional(handler), keep)]
    return handler, args


async def _trigger_async(found: tuple[Any, tuple[Any, ...]]) -> Any:
    """Call (and await, when it is a coroutine) a handler found by ``_handler_and_args``; None when there is none."""
    handler, args = found
    if handler is None:
        return None
    result = handler(*args)
    if asyncio.iscoroutine(result):
        result = await result
    return result


class BaseServerNamespace:
    """What both flavours share: the namespace name and the server it is registered with."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or '/'
        self.server: Any = None

    def _set_server(self, server: Any) -> None:
        self.server = server

    def is_asyncio_based(self) -> bool:
        return False

    def _handler_and_args(self, event: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        # compat: on_connect(sid, environ) and on_disconnect(sid) still work.
        return _find_handler(self, event, args, _SPECIAL, 1)

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        """The rooms a client is in."""
        rooms: list[str] = self.server.rooms(sid, namespace=namespace or self.namespace)
        return rooms


class Namespace(BaseServerNamespace):
    """A class-based namespace for :class:`turbosio.Server`."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Call ``on_<event>`` if the class has it; override to route events differently."""
        handler, args = self._handler_and_args(event, args)
        if handler is None:
            return None
        return handler(*args)

    def emit(self, event: str, data: Any = None, to: Any = None, room: Any = None, skip_sid: Any = None,
             namespace: str | None = None, callback: Any = None, ignore_queue: bool = False) -> Any:
        """:meth:`turbosio.Server.emit` in this namespace."""
        return self.server.emit(event, data=data, to=to, room=room, skip_sid=skip_sid,
                                namespace=namespace or self.namespace, callback=callback)

    def send(self, data: Any, to: Any = None, room: Any = None, skip_sid: Any = None,
             namespace: str | None = None, callback: Any = None, ignore_queue: bool = False) -> Any:
        """:meth:`turbosio.Server.send` in this namespace."""
        return self.server.send(data, to=to, room=room, skip_sid=skip_sid,
                                namespace=namespace or self.namespace, callback=callback)

    def call(self, event: str, data: Any = None, to: Any = None, sid: str | None = None,
             namespace: str | None = None, timeout: float | None = None, ignore_queue: bool = False) -> Any:
        """:meth:`turbosio.Server.call` in this namespace."""
        return self.server.call(event, data=data, to=to, sid=sid, namespace=namespace or self.namespace,
                                timeout=timeout)

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> Any:
        """Put a client in a room."""
        return self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> Any:
        """Take a client out of a room."""
        return self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    def close_room(self, room: Any, namespace: str | None = None) -> Any:
        """Empty a room."""
        return self.server.close_room(room, namespace=namespace or self.namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> Any:
        """The client's session."""
        return self.server.get_session(sid, namespace=namespace or self.namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> Any:
        """Replace the client's session."""
        return self.server.save_session(sid, session, namespace=namespace or self.namespace)

    def session(self, sid: str, namespace: str | None = None) -> Any:
        """The client's session as a context manager."""
        return self.server.session(sid, namespace=namespace or self.namespace)

    def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> Any:
        """Disconnect a client."""
        return self.server.disconnect(sid, namespace=namespace or self.namespace)


class AsyncNamespace(Namespace):
    """A class-based namespace for :class:`turbosio.AsyncServer`; handlers may be coroutines."""

    def is_asyncio_based(self) -> bool:
        return True

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Call (and await) ``on_<event>`` if the class has it (a coroutine)."""
        return await _trigger_async(self._handler_and_args(event, args))

    async def call(self, event: str, data: Any = None, to: Any = None, sid: str | None = None,
                   namespace: str | None = None, timeout: float | None = None, ignore_queue: bool = False) -> Any:
        """:meth:`turbosio.AsyncServer.call` in this namespace (a coroutine)."""
        return await self.server.call(event, data=data, to=to, sid=sid, namespace=namespace or self.namespace,
                                      timeout=timeout)


class BaseClientNamespace:
    """What both client flavours share: the namespace name and the client it is registered with."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or '/'
        self.client: Any = None

    def _set_client(self, client: Any) -> None:
        self.client = client

    def is_asyncio_based(self) -> bool:
        return False

    def _handler_and_args(self, event: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        # compat: on_disconnect() without the reason still works.
        return _find_handler(self, event, args, ('disconnect',), 0)


class ClientNamespace(BaseClientNamespace):
    """A class-based namespace for :class:`turbosio.Client`: methods ``on_<event>`` handle ``<event>``."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Call ``on_<event>`` if the class has it; override to route events differently."""
        handler, args = self._handler_and_args(event, args)
        if handler is None:
            return None
        return handler(*args)

    def emit(self, event: str, data: Any = None, namespace: str | None = None, callback: AckCallback = None) -> None:
        """:meth:`turbosio.Client.emit` in this namespace."""
        self.client.emit(event, data=data, namespace=namespace or self.namespace, callback=callback)

    def send(self, data: Any, room: Any = None, namespace: str | None = None, callback: AckCallback = None) -> None:
        """:meth:`turbosio.Client.send` in this namespace (``room`` is accepted and ignored, as upstream)."""
        self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = None) -> Any:
        """:meth:`turbosio.Client.call` in this namespace."""
        return self.client.call(event, data=data, namespace=namespace or self.namespace, timeout=timeout)

    def disconnect(self) -> None:
        """:meth:`turbosio.Client.disconnect`."""
        self.client.disconnect()


class AsyncClientNamespace(BaseClientNamespace):
    """A class-based namespace for :class:`turbosio.AsyncClient`; handlers may be coroutines."""

    def is_asyncio_based(self) -> bool:
        return True

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Call (and await) ``on_<event>`` if the class has it (a coroutine)."""
        return await _trigger_async(self._handler_and_args(event, args))

    async def emit(
        self, event: str, data: Any = None, namespace: str | None = None, callback: AckCallback = None
    ) -> None:
        """:meth:`turbosio.AsyncClient.emit` in this namespace (a coroutine)."""
        await self.client.emit(event, data=data, namespace=namespace or self.namespace, callback=callback)

    async def send(self, data: Any, namespace: str | None = None, callback: AckCallback = None) -> None:
        """:meth:`turbosio.AsyncClient.send` in this namespace (a coroutine)."""
        await self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    async def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = None
    ) -> Any:
        """:meth:`turbosio.AsyncClient.call` in this namespace (a coroutine)."""
        return await self.client.call(event, data=data, namespace=namespace or self.namespace, timeout=timeout)

    async def disconnect(self) -> None:
        """:meth:`turbosio.AsyncClient.disconnect` (a coroutine)."""
        await self.client.disconnect()
