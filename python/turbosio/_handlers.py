"""How handlers are found and called: shared by every server flavour.

Handler lookup follows python-socketio's order: the event in its namespace, the catch-all event ``'*'`` in the
namespace, the event in the catch-all namespace ``'*'``, then ``'*'`` in ``'*'``; after that, class-based
namespaces. How many positional arguments a handler takes is worked out once, when it is registered, so the
legacy signatures (``connect(sid, environ)``, ``disconnect(sid)``) cost nothing per call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

RESERVED_EVENTS = ('connect', 'disconnect')

# What the registering decorators (``on``, ``event``) give back: the handler itself, its type unchanged.
HandlerT = TypeVar('HandlerT', bound=Callable[..., Any])


def max_positional(handler: Callable[..., Any]) -> int:
    """How many positional arguments ``handler`` accepts (a large number for ``*args``)."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return 1 << 16
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind == inspect.Parameter.VAR_POSITIONAL:
            return 1 << 16
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class HandlerRegistry:
    """Decorator-registered handlers and class-based namespaces of one server."""

    def __init__(self) -> None:
        self.handlers: dict[str, dict[str, Callable[..., Any]]] = {}
        self.namespace_handlers: dict[str, Any] = {}
        self._arity: dict[int, int] = {}

    def add(self, namespace: str, event: str, handler: Callable[..., Any]) -> None:
        self.handlers.setdefault(namespace, {})[event] = handler
        self._arity[id(handler)] = max_positional(handler)

    def arity(self, handler: Callable[..., Any]) -> int:
        found = self._arity.get(id(handler))
        if found is None:
            found = self._arity[id(handler)] = max_positional(handler)
        return found

    def knows_namespace(self, namespace: str) -> bool:
        return namespace in self.handlers or namespace in self.namespace_handlers

    def find(self, event: str, namespace: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """Return ``(handler, args)`` for an event, or ``(None, args)``; catch-alls get the extra leading args."""
        handlers = self.handlers
        in_namespace = handlers.get(namespace)
        if in_namespace is not None:
            handler = in_namespace.get(event)
            if handler is not None:
                return handler, args
            if event not in RESERVED_EVENTS and '*' in in_namespace:
                return in_namespace['*'], (event, *args)
        catch_all = handlers.get('*')
        if catch_all is not None:
            handler = catch_all.get(event)
            if handler is not None:
                return handler, (namespace, *args)
            if event not in RESERVED_EVENTS and '*' in catch_all:
                return catch_all['*'], (event, namespace, *args)
        return None, args

    def find_namespace(self, namespace: str, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """Return ``(namespace_object, args)`` for a class-based namespace, or ``(None, args)``."""
        handler = self.namespace_handlers.get(namespace)
        if handler is not None:
            return handler, args
        handler = self.namespace_handlers.get('*')
        if handler is not None:
            return handler, (namespace, *args)
        return None, args


def ack_args(result: Any) -> tuple[Any, ...]:
    """compat: a handler's return value becomes the ack's arguments; a tuple spreads into several."""
    if result is None:
        return ()
    if isinstance(result, tuple):
        return result
    return (result,)


def data_args(data: Any) -> tuple[Any, ...]:
    """compat: ``emit(event, data)``: a tuple is several arguments, None none, anything else one."""
    if data is None:
        return ()
    if isinstance(data, tuple):
        return data
    return (data,)


def handshake_environ(request: tuple[Any, ...] | None, transport: str) -> dict[str, Any]:
    """A WSGI-style environ from the request that opened a session (what handlers get as ``environ``)."""
    if request is None:
        return {}
    method, path, query, headers, host, port, secure = request
    environ: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'PATH_INFO': path,
        'QUERY_STRING': query,
        'RAW_URI': f'{path}?{query}' if query else path,
        'SCRIPT_NAME': '',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': host,
        'REMOTE_PORT': str(port),
        'wsgi.url_scheme': 'https' if secure else 'http',
        'turbosio.transport': transport,
    }
    for name, value in headers:
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        environ[key] = f'{environ[key]},{value}' if key in environ else value
    host_header = environ.get('HTTP_HOST', '')
    name, _, server_port = host_header.partition(':')
    environ['SERVER_NAME'] = name
    environ['SERVER_PORT'] = server_port or ('443' if secure else '80')
    return environ
