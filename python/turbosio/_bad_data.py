"""Where in an emit's data the value is that cannot be serialised: looked for only after the encoder refused the
data, so a good emit pays nothing for it. Mirrors what the encoder in ``src/py/convert.rs`` accepts."""

from __future__ import annotations

from typing import Any

_SCALARS = (str, int, float, type(None), bytes, bytearray, memoryview)  # bool is an int
_KEYS = (str, int, float, type(None))


def unserialisable(data: Any) -> TypeError | None:
    """The TypeError naming the first value (or dict key) in ``data`` the encoder refuses and its path, e.g.
    ``cannot serialise object of type set at data['a'][2]``; None when every value is fine."""
    found = _find(data, 'data', 0)
    if found is None:
        return None
    what, value, path = found
    return TypeError(f'cannot serialise {what} of type {type(value).__name__} at {path}')


def _find(value: Any, path: str, depth: int) -> tuple[str, Any, str] | None:
    if isinstance(value, _SCALARS) or depth > 256:  # too deep is the encoder's own ValueError
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, _KEYS):
                return 'key', key, path
            found = _find(item, f'{path}[{key!r}]', depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find(item, f'{path}[{index}]', depth + 1)
            if found is not None:
                return found
        return None
    return 'object', value, path
