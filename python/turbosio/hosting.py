"""Serving natively: Rust owns the sockets (hyper + tokio), Python runs only the handlers.

``turbosio.run(sio)`` blocks until Ctrl-C or SIGTERM; ``await turbosio.serve(sio)`` does the same inside a
running event loop. Both serve over TLS when given ``ssl_certfile`` (and ``ssl_keyfile``), as uvicorn names them.
``turbosio.run(sio, workers=N)`` serves with N processes on the one port (``_workers``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from typing import Any

from . import _workers
from ._asyncio_pump import AsyncioPump
from ._hosted_asgi import Lifespan
from ._metrics import enable
from ._thread_pump import ThreadPump

logger = logging.getLogger('turbosio')


def _server_of(app: Any) -> AsyncioPump | ThreadPump:
    """The turbosio server behind ``app`` (a Socket.IO or Engine.IO server, or an ASGIApp/WSGIApp wrapping one)."""
    for candidate in (app, getattr(app, 'engineio_server', None), getattr(app, 'engineio_app', None)):
        if isinstance(candidate, (AsyncioPump, ThreadPump)):
            if getattr(candidate, '_cors_callable', None) is not None:
                # The native server checks origins on tokio threads, where Python may not run.
                raise ValueError('cors_allowed_origins as a callable is supported under ASGIApp only')
            return candidate
    raise TypeError(
        f'turbosio.run() needs a turbosio AsyncServer, Server, ASGIApp or WSGIApp, got {type(app).__name__}'
    )


async def serve(
    app: Any,
    host: str = '127.0.0.1',
    port: int = 5000,
    *,
    stop: asyncio.Event | None = None,
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
    metrics_path: str | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` until ``stop`` is set (or the task is cancelled). A coroutine.

    Args:
        app: A :class:`turbosio.AsyncServer` (or an ASGIApp wrapping one).
        host: Address to bind.
        port: Port to bind; 0 picks a free one.
        stop: Set it to shut down gracefully.
        ssl_certfile: A PEM certificate chain, leaf first: serve HTTPS and WSS only.
        ssl_keyfile: The PEM private key of that certificate (PKCS#8, RSA or EC, unencrypted); when omitted, it
            is read from ``ssl_certfile``.
        metrics_path: Serve Prometheus metrics at this exact path (e.g. ``'/metrics'``), answered in Rust without
            the GIL, and count them; None (the default) serves none.

    Raises:
        OSError: if the address cannot be bound, or a certificate or key file cannot be read.
        ValueError: if a certificate or key file holds no usable PEM, or the key is not the certificate's.
    """
    server = _server_of(app)
    if not isinstance(server, AsyncioPump):
        raise TypeError('serve() needs an AsyncServer; use turbosio.run() for a threaded Server')
    server._attach_loop(asyncio.get_running_loop())
    # An ASGIApp is hosted whole: Rust answers Socket.IO, the ASGIApp (static files, then the wrapped app)
    # answers every other path, and its lifespan runs around the server's life.
    web_app = app if app is not server else None
    lifespan = Lifespan(web_app) if web_app is not None else None
    if lifespan is not None:
        await lifespan.startup()
        server._web_app, server._web_state = web_app, lifespan.state
    try:
        bound = _listen(server, host, port, web_app is not None, ssl_certfile, ssl_keyfile, metrics_path)
    except BaseException:
        # Nothing will be served (an unusable certificate file, a port in use): the app that started up stops.
        if lifespan is not None:
            await lifespan.shutdown()
        raise
    logger.info('turbosio: serving on %s://%s:%d', _scheme(ssl_certfile), host, bound)
    stop = stop or asyncio.Event()
    try:
        await stop.wait()
    finally:
        await server.shutdown()  # type: ignore[attr-defined]
        if lifespan is not None:
            await lifespan.shutdown()


def run(
    app: Any,
    host: str = '127.0.0.1',
    port: int = 5000,
    log_level: str | None = 'info',
    *,
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
    workers: int = 1,
    metrics_path: str | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` and block until Ctrl-C or SIGTERM, then shut down gracefully.

    Args:
        app: A :class:`turbosio.AsyncServer`, a :class:`turbosio.Server`, an ASGIApp wrapping an AsyncServer, or
            a WSGIApp wrapping a Server (its WSGI app, e.g. Flask, runs on a pool of worker threads); or its
            import string, ``'module:attribute'``.
        host: Address to bind.
        port: Port to bind.
        log_level: Level for the ``turbosio`` logger, or None to leave logging alone.
        ssl_certfile: A PEM certificate chain, leaf first: serve HTTPS and WSS only (Socket.IO, WebSocket and the
            hosted web app alike).
        ssl_keyfile: The PEM private key of that certificate (PKCS#8, RSA or EC, unencrypted); when omitted, it
            is read from ``ssl_certfile``.
        workers: How many processes serve the port (at most 64). Above 1, each is a new Python process that
            imports the app again (by its import string, or by its global name in the script that calls
            ``run``, which must then call it under ``if __name__ == '__main__':``); a client's requests reach the
            worker that holds its session, broadcasts and rooms span the workers, a worker that dies is replaced.
        metrics_path: Serve Prometheus metrics at this exact path (e.g. ``'/metrics'``; GET and HEAD), answered in
            Rust without the GIL, and count them; None (the default) serves none, and the path goes to the hosted
            app (or 404) as before. Not with ``workers`` above 1 (each worker counts only its own clients).

    Raises:
        OSError: if the address cannot be bound, or a certificate or key file cannot be read (``FileNotFoundError``
            for a missing one, naming it).
        ValueError: if a certificate or key file holds no usable PEM, or the key is not the certificate's; if
            ``workers`` is out of range or the app cannot be found again by the workers.
        RuntimeError: if a worker exits before it serves (say, the app fails to import there).
    """
    if log_level is not None and not logging.getLogger().handlers:
        logging.basicConfig(level=log_level.upper(), format='%(levelname)s:%(name)s: %(message)s')
    if workers != 1:
        if metrics_path is not None:
            raise NotImplementedError('metrics_path with workers above 1 (each worker counts only its own clients)')
        tls = {'ssl_certfile': _path(ssl_certfile), 'ssl_keyfile': _path(ssl_keyfile)}
        _workers.supervise(app, host, port, workers, dict(tls, log_level=log_level))
        return
    if isinstance(app, str):
        from ._import_string import load_app

        app = load_app(app)
    server = _server_of(app)
    if isinstance(server, AsyncioPump):
        asyncio.run(_run_async(app, host, port, ssl_certfile, ssl_keyfile, metrics_path))
        return
    # A WSGIApp is hosted whole, as an ASGIApp is: Rust answers Socket.IO, the WSGIApp (static files, then the
    # wrapped app) answers every other path on worker threads.
    web_app = app if app is not server else None
    if web_app is not None:
        server._host_web_app(web_app, (host, port))
    server._start_pump()
    bound = _listen(server, host, port, web_app is not None, ssl_certfile, ssl_keyfile, metrics_path)
    if web_app is not None:
        server._server_addr = (host, bound)  # port 0 picked a free one
    logger.info('turbosio: serving on %s://%s:%d', _scheme(ssl_certfile), host, bound)
    # SIGTERM interrupts the main thread the way Ctrl-C does. Not threading.Event.set() in the handler: the handler
    # runs inside whatever the main thread is doing, and setting an Event from there while the main thread is in
    # that Event's own wait() deadlocks on its lock (seen when a second SIGTERM came in during the first).
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, _Terminated):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()  # type: ignore[attr-defined]


class _Terminated(Exception):
    """SIGTERM arrived."""


def _raise_terminated(*_: Any) -> None:
    raise _Terminated


def _listen(
    server: AsyncioPump | ThreadPump,
    host: str,
    port: int,
    web_app: bool,
    ssl_certfile: str | os.PathLike[str] | None,
    ssl_keyfile: str | os.PathLike[str] | None,
    metrics_path: str | None = None,
) -> int:
    """Start the native server: on ``host:port``, or, in a worker process, as that worker (``_workers.Place``)."""
    place = _workers.place()
    if place is None:
        if metrics_path is not None:
            enable(server)  # the pumps time handlers; Rust counts once listen() has the path
        return int(server._core.listen(host, port, web_app, ssl_certfile, ssl_keyfile, metrics_path=metrics_path))
    _workers.share_broadcasts(server)
    bound = place.listen(server._core, web_app, ssl_certfile, ssl_keyfile)
    place.announce_ready()
    return bound


def _path(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else os.fspath(path)


def _scheme(ssl_certfile: object) -> str:
    return 'http' if ssl_certfile is None else 'https'


async def _run_async(
    app: Any,
    host: str,
    port: int,
    ssl_certfile: str | os.PathLike[str] | None,
    ssl_keyfile: str | os.PathLike[str] | None,
    metrics_path: str | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(
        app, host, port, stop=stop, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, metrics_path=metrics_path
    )
