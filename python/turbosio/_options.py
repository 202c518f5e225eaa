"""The server options both layers accept (python-engineio's keyword arguments), checked once and turned into
``ServerCore``'s, plus the ``logger=`` convention. Socket.IO and bare Engine.IO servers import this; it imports
neither of them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f'{name} must be a positive number, got {value!r}')
    return float(value)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')
    return value


def core_options(options: dict[str, Any]) -> dict[str, Any]:
    """Validate python-engineio's keyword arguments and turn them into ServerCore's.

    Raises:
        ValueError: naming the first option whose value is out of range or of the wrong type.
    """
    ping_interval = options.get('ping_interval', 25)
    if isinstance(ping_interval, (tuple, list)):
        # compat: (interval, grace period); the grace period only widens the timeout.
        interval, grace = ping_interval
        ping_interval = _positive('ping_interval', interval)
        extra = _positive('ping_interval grace period', grace) if grace else 0.0
    else:
        ping_interval, extra = _positive('ping_interval', ping_interval), 0.0
    ping_timeout = _positive('ping_timeout', options.get('ping_timeout', 20)) + extra
    max_size = _positive_int('max_http_buffer_size', options.get('max_http_buffer_size', 1_000_000))
    transports = options.get('transports')
    if transports is not None:
        if isinstance(transports, str):
            transports = [transports]
        transports = list(transports)
        if not transports or any(t not in ('polling', 'websocket') for t in transports):
            raise ValueError(f"transports must list 'polling' and/or 'websocket', got {transports!r}")
    cors = options.get('cors_allowed_origins')
    if cors is not None and not isinstance(cors, (str, list, tuple, set)) and not callable(cors):
        raise ValueError(f'cors_allowed_origins must be None, a string, a list or a callable, got {cors!r}')
    if callable(cors):
        cors = '*'  # the callable itself is checked per request by ASGIApp (see cors_callable)
    queue_packets = _positive_int('max_queue_packets', options.get('max_queue_packets', 10_000))
    queue_bytes = _positive_int('max_queue_bytes', options.get('max_queue_bytes', 16 * 1024 * 1024))
    cookie = options.get('cookie')
    if isinstance(cookie, dict):
        cookie = cookie.get('name', 'io')
    elif cookie is not None and not isinstance(cookie, str):
        raise ValueError(f'cookie must be None, a string or a dict, got {cookie!r}')
    return {
        'ping_interval': ping_interval,
        'ping_timeout': ping_timeout,
        'max_http_buffer_size': max_size,
        'transports': transports,
        'cors_allowed_origins': list(cors) if isinstance(cors, (tuple, set)) else cors,
        'cors_credentials': bool(options.get('cors_credentials', True)),
        'cookie': cookie,
        'allow_upgrades': bool(options.get('allow_upgrades', True)),
        'http_compression': bool(options.get('http_compression', True)),
        'compression_threshold': int(options.get('compression_threshold', 1024)),
        'max_queue_frames': queue_packets,
        'max_queue_bytes': queue_bytes,
    }


def make_logger(logger: bool | logging.Logger, default: logging.Logger) -> logging.Logger:
    """compat: ``logger=True`` logs at INFO, ``False`` only errors (both on ``default``), a Logger is used as is."""
    if not isinstance(logger, bool):
        return logger
    if default.level == logging.NOTSET:
        default.setLevel(logging.INFO if logger else logging.ERROR)
        default.addHandler(logging.StreamHandler())
    return default


def cors_callable(options: dict[str, Any]) -> Callable[[str], bool] | None:
    """``cors_allowed_origins`` when it is a callable (origin -> allowed?), else None."""
    cors = options.get('cors_allowed_origins')
    return cors if callable(cors) and not isinstance(cors, (str, list, tuple, set)) else None
