"""Warn about handlers that have not returned long after a handler should have.

python-socketio says nothing about a handler that never returns; here it keeps its own task (or, on the threaded
server, its client's queue) and nobody else notices, so a warning is the only way its author learns of it.
``TURBOSIO_SLOW_HANDLER_SECONDS`` sets the age at which it is logged (default 60; 0 turns it off).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

# Not the server's own logger: python-socketio's default one only shows errors, and this must be seen.
logger = logging.getLogger('turbosio')


def _threshold() -> float:
    try:
        return max(0.0, float(os.environ.get('TURBOSIO_SLOW_HANDLER_SECONDS', '60')))
    except ValueError:
        return 60.0


SLOW_AFTER = _threshold()
# How often running handlers are looked at: often enough that the warning comes about on time.
CHECK_EVERY = min(max(SLOW_AFTER / 4, 0.05), 5.0)


def warn_slow(running: dict[Any, list[Any]], now: float | None = None) -> None:
    """Log each entry ``[label, started, warned, ...]`` of ``running`` older than SLOW_AFTER, once."""
    if not SLOW_AFTER:
        return
    now = time.monotonic() if now is None else now
    for entry in list(running.values()):
        if not entry[2] and now - entry[1] >= SLOW_AFTER:
            entry[2] = True
            logger.warning(
                'handler for %r has not returned after %.0f s; it holds only its own client (set '
                'TURBOSIO_SLOW_HANDLER_SECONDS to change when this is said)', entry[0], now - entry[1],
            )
