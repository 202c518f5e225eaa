"""A server inherited across fork() refuses to serve in the child, with an error that says why.

A server's engine threads (its heartbeat timer and the task that signals Python) live in the process that created
it; fork() copies the server into the child but not those threads, so there it would answer the Engine.IO
handshake (done inline) and then never deliver an event nor send a ping. Servers get inherited when the app is
built before a pre-fork server forks its workers (``Granian('app:app').serve()`` in the script that also builds
the app, ``gunicorn --preload``). A server *created* in the child works: the child starts its own runtime.
"""

from __future__ import annotations

from . import _core


def check_not_forked(core: _core.ServerCore) -> None:
    """Raise RuntimeError when ``core`` was created in a parent of this process."""
    if core.forked():
        raise RuntimeError(
            'turbosio cannot serve with a server created before this process was forked: its engine threads '
            'stayed in the parent. Create the server in the worker process, e.g. start granian from its command '
            'line (granian --interface asgi module:app) rather than building the app in the script that calls '
            'Granian(...).serve(), or drop gunicorn --preload.'
        )
