"""An awaitable that is already finished, for verbs that only queue work in Rust."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any


class Done:
    """Awaiting it returns ``value`` at once, without a trip through the event loop."""

    __slots__ = ('value',)

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # a generator that returns before its first yield


DONE = Done()
