"""An awaitable that is already finished, for verbs that only queue work in Rust."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, NoReturn, TypeVar

_T = TypeVar('_T')


class Done(Coroutine[Any, Any, _T], Generic[_T]):
    """Awaiting it returns ``value`` at once, without a trip through the event loop.

    It is a ``collections.abc.Coroutine``, so what python-socketio users do with the coroutines its ``async def``
    verbs return also works: ``asyncio.create_task(sio.emit(...))``,
    ``asyncio.run_coroutine_threadsafe(sio.emit(...), loop)``.
    """

    __slots__ = ('value',)

    def __init__(self, value: _T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, _T]:
        return self.value
        yield  # a generator that returns before its first yield

    def send(self, value: Any) -> NoReturn:
        raise StopIteration(self.value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> NoReturn:
        raise typ if val is None else val

    def close(self) -> None:
        """Nothing to clean up: the work was done when the verb was called."""


DONE: Done[None] = Done(None)
