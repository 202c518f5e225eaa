"""Servers refuse to run in a process forked after turbosio started its I/O threads in the parent.

The first server of a process starts the engine's tokio runtime, which lives as long as the process. fork() copies
that runtime into the child but none of its threads, so a server in the child answers the Engine.IO handshake
(done inline) and then never delivers an event nor sends a ping: the connection stalls. Pre-fork servers get
there when the app is built before they fork their workers (``Granian('app:app').serve()`` in the script that
also defines ``app``, ``gunicorn --preload``). Failing loudly beats stalling until the engine can start a fresh
runtime in a forked child.
"""

from __future__ import annotations

import os
from typing import Any

from . import _core

_runtime_pid: int | None = None  # the process that started the runtime (inherited by forked children)


def new_core(**options: Any) -> _core.ServerCore:
    """A ``ServerCore`` (the first one starts the runtime), refused in a forked child whose parent had one."""
    global _runtime_pid
    check_not_forked()
    core = _core.ServerCore(**options)
    if _runtime_pid is None:
        _runtime_pid = os.getpid()
    return core


def check_not_forked() -> None:
    """Raise RuntimeError in a process forked after its parent started the engine's runtime."""
    if _runtime_pid is not None and _runtime_pid != os.getpid():
        raise RuntimeError(
            f'turbosio cannot serve in a process forked from one that had already created a server '
            f'(pid {_runtime_pid}): the engine threads do not survive fork(). Create the server in the worker '
            f'process, e.g. start granian from its command line (granian --interface asgi module:app) rather '
            f'than building the app in the script that calls Granian(...).serve(), or drop gunicorn --preload.'
        )
