"""Several worker processes on one port: ``turbosio.run(app, workers=N)`` and ``turbosio module:app --workers N``.

The supervisor (the process that called ``run``) reserves the port, starts the built-in broker, and *spawns* N
fresh Python processes that each import the app again and listen on the port with SO_REUSEPORT. Spawn rather
than fork: by the time ``run(app, workers=N)`` is called the app exists, and its server already runs engine
threads on a tokio runtime; a fork() child gets the memory of those threads but not the threads (and possibly a
lock one of them held), so it could never serve with that server (see ``_forking``). Re-importing the app in a new
interpreter, as multiprocessing's "spawn" does, gives each worker its own server and runtime. The app is found
again by its import string (the command's ``module:app``), or, for ``run(app, ...)``, by the name it has in the
``__main__`` module, which the worker imports under another name so its ``if __name__ == '__main__':`` block
does not run there.

Each worker's Engine.IO session ids name the worker; a request for a session of another worker is relayed to it
over that worker's unix socket (Rust: ``server/native/handover.rs``). Broadcasts and rooms span workers through
the client manager: the user's (Redis) when configured, else a Redis client manager pointed at the built-in broker
(``workers/broker.rs``, on the supervisor's runtime). The supervisor restarts a worker that dies, and on Ctrl-C or
SIGTERM asks every worker to shut down gracefully (as a single process does), killing one that takes too long, or
every one at a second Ctrl-C.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from . import _core

logger = logging.getLogger('turbosio')

_ENV = 'TURBOSIO_WORKER'
MAX_WORKERS = 64  # a session id names its worker in one base64url character
STOP_TIMEOUT = 10.0  # seconds a worker has to drain after SIGTERM before it is killed
RESTART_DELAY = 1.0  # seconds before restarting a worker that died before it served


@dataclass(frozen=True)
class Place:
    """This process's place among the workers (in a worker process only)."""

    index: int
    host: str
    port: int  # the port the supervisor reserved
    sockets: list[str]  # every worker's unix socket, by index
    broker: str  # the built-in broker's unix socket
    ready_fd: int  # written to once this worker serves

    def listen(self, core: _core.ServerCore, web_app: bool, ssl_certfile: Any, ssl_keyfile: Any) -> int:
        """Serve as this worker: on a listening socket of its own at the supervisor's port."""
        with _bound_socket(self.host, self.port, listen=True) as sock:  # Rust serves a duplicate of it
            return int(
                core.listen(
                    self.host, self.port, web_app, ssl_certfile, ssl_keyfile,
                    fd=sock.fileno(), worker=self.index, worker_sockets=self.sockets,
                )
            )

    def announce_ready(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.ready_fd, bytes([self.index]))


_place: Place | None = None
_loading = False


def place() -> Place | None:
    """This process's place among the workers, or None when it is not a worker."""
    if _loading:
        raise RuntimeError(
            'turbosio.run() was called while a worker imported the app: put the call under '
            "if __name__ == '__main__': so that only the supervisor runs it"
        )
    return _place


# --- the supervisor ----------------------------------------------------------------------------------------------


def _target_of(app: Any) -> dict[str, str]:
    """How a worker finds the app again: an import string, or a script file and the app's name in it."""
    if isinstance(app, str):
        return {'import': app}
    main = sys.modules.get('__main__')
    name = next((k for k, v in vars(main).items() if v is app and not k.startswith('__')), None) if main else None
    if main is None or name is None:
        raise ValueError(
            'workers need to import the app again: pass an import string ("module:app"), or keep the app in a '
            'global of the script that calls turbosio.run()'
        )
    spec = getattr(main, '__spec__', None)
    if spec is not None and spec.name and spec.name != '__main__':  # python -m package.module
        return {'import': f'{spec.name}:{name}'}
    path = getattr(main, '__file__', None)
    if not path:
        raise ValueError('workers cannot re-import an app defined interactively; pass an import string')
    return {'script': os.path.abspath(path), 'name': name}


def _bound_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT: every worker listens on one of its own at the same address, and the
    kernel spreads new connections evenly over them (one shared listening socket would hand most of them to
    whichever worker is awake). The supervisor keeps one bound but not listening, which reserves the port (port 0
    picks it) and receives no connections."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    return sock


class _Supervisor:
    def __init__(self, target: dict[str, str], count: int, sock: socket.socket, base: dict[str, Any]) -> None:
        self.count = count
        self.sock = sock
        # Mode 0700: only this user relays requests. Short names: a unix socket's path has at most 107 bytes.
        self.dir = tempfile.mkdtemp(prefix='turbosio-')
        self.sockets = [os.path.join(self.dir, f'w{i}.sock') for i in range(count)]
        self.broker_path = os.path.join(self.dir, 'broker.sock')
        self.broker = _core.BrokerCore(self.broker_path)
        self.ready_r, self.ready_w = os.pipe()
        self.alive_r, self.alive_w = os.pipe()  # EOF on alive_r tells orphaned workers to stop
        os.set_blocking(self.ready_r, False)
        self.config = dict(base, target=target, sockets=self.sockets, broker=self.broker_path)
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.ready = [False] * count
        self.restart_at = [0.0] * count
        self.stopping = False
        self.hurry = False  # a second SIGINT/SIGTERM: kill the workers without waiting for their drain

    def spawn(self, index: int) -> None:
        config = dict(self.config, index=index, ready_fd=self.ready_w, alive_fd=self.alive_r)
        env = dict(os.environ, **{_ENV: json.dumps(config)})
        self.procs[index] = subprocess.Popen(
            [sys.executable, '-c', 'from turbosio._worker_main import main; main()'],
            env=env,
            pass_fds=(self.ready_w, self.alive_r),
            # Its own session: Ctrl-C in a terminal reaches only the supervisor, which stops the workers once.
            start_new_session=True,
        )
        self.ready[index] = False

    def run(self, wake: int) -> None:
        for index in range(self.count):
            self.spawn(index)
        started = False
        while not self.stopping:
            select.select([wake, self.ready_r], [], [], 1.0)
            _drain(wake)
            for index in _drain(self.ready_r):
                if index < self.count:
                    self.ready[index] = True
            if not started and all(self.ready):
                started = True
                logger.info('turbosio: %d workers serving', self.count)
            for index, proc in enumerate(self.procs):
                if self.stopping:
                    break
                if proc is not None and proc.poll() is not None:
                    self.died(index, proc, started)
                if self.procs[index] is None and time.monotonic() >= self.restart_at[index]:
                    self.spawn(index)

    def died(self, index: int, proc: subprocess.Popen[bytes], started: bool) -> None:
        code = proc.returncode
        how = f'was killed by signal {-code}' if code < 0 else f'exited with code {code}'
        if not started and not self.ready[index]:
            raise RuntimeError(f'worker {index} (pid {proc.pid}) {how} before it served')
        self.procs[index] = None
        if self.ready[index]:
            logger.warning('turbosio: worker %d (pid %d) %s; starting another', index, proc.pid, how)
            self.restart_at[index] = 0.0
        else:
            logger.warning('turbosio: worker %d (pid %d) %s before it served; retrying', index, proc.pid, how)
            self.restart_at[index] = time.monotonic() + RESTART_DELAY

    def stop(self, wake: int) -> None:
        """SIGTERM every worker (each drains as a single server does), then wait; kill those still running."""
        live = [p for p in self.procs if p is not None and p.poll() is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(p.poll() is None for p in live) and time.monotonic() < deadline and not self.hurry:
            select.select([wake], [], [], 0.2)
            _drain(wake)
        for proc in live:
            if proc.poll() is None:
                why = 'a second signal came' if self.hurry else f'it did not stop within {STOP_TIMEOUT:.0f} s'
                logger.warning('turbosio: killing worker pid %d: %s', proc.pid, why)
                proc.kill()
                proc.wait()

    def close(self) -> None:
        self.broker.close()
        self.sock.close()
        for fd in (self.ready_r, self.ready_w, self.alive_r, self.alive_w):
            os.close(fd)
        shutil.rmtree(self.dir, ignore_errors=True)


def _drain(fd: int) -> bytes:
    out = b''
    while True:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            return out
        if not chunk:
            return out
        out += chunk


def supervise(app: Any, host: str, port: int, workers: int, base: dict[str, Any]) -> None:
    """Serve ``app`` with ``workers`` processes on ``host:port`` until SIGINT or SIGTERM. Main thread only."""
    if not 2 <= workers <= MAX_WORKERS:
        raise ValueError(f'workers must be between 1 and {MAX_WORKERS}, got {workers}')
    target = _target_of(app)
    sock = _bound_socket(host, port, listen=False)
    try:
        supervisor = _Supervisor(target, workers, sock, dict(base, host=host, port=sock.getsockname()[1]))
    except BaseException:
        sock.close()
        raise
    logger.info('turbosio: serving on %s:%d with %d workers', host, sock.getsockname()[1], workers)
    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        supervisor.hurry = supervisor.stopping
        supervisor.stopping = True

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)}
    previous_wake = signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the loop through the wakeup fd
    try:
        supervisor.run(wake_r)
    finally:
        supervisor.stopping = True
        try:
            supervisor.stop(wake_r)
        finally:
            signal.set_wakeup_fd(previous_wake)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(wake_r)
            os.close(wake_w)
            supervisor.close()


# --- a worker ----------------------------------------------------------------------------------------------------


def _load(target: dict[str, str]) -> Any:
    if 'import' in target:
        from ._import_string import load_app

        return load_app(target['import'])
    path = target['script']
    spec = importlib.util.spec_from_file_location('__mp_main__', path)
    if spec is None or spec.loader is None:
        raise ImportError(f'cannot import {path}')
    module = importlib.util.module_from_spec(spec)
    # As multiprocessing's spawn does: the script is this process's main module, under a name that keeps its
    # `if __name__ == '__main__':` block from running.
    sys.modules['__mp_main__'] = sys.modules['__main__'] = module
    sys.path.insert(0, os.path.dirname(path))
    spec.loader.exec_module(module)
    return getattr(module, target['name'])


def _watch_supervisor(alive_fd: int, directory: str) -> None:
    """Stop this worker gracefully when the supervisor is gone (its end of the pipe closes), however it ended."""
    while True:
        try:
            if not os.read(alive_fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    # A supervisor that was killed left its directory of sockets; whoever gets here first removes it (the
    # listening sockets and the connections already made are unaffected).
    shutil.rmtree(directory, ignore_errors=True)
    os.kill(os.getpid(), signal.SIGTERM)


def share_broadcasts(server: Any) -> None:
    """Make a worker's Socket.IO server broadcast through the built-in broker, unless its user chose a manager."""
    if _place is None or not hasattr(server, 'manager'):
        return  # not a worker, or a bare Engine.IO server (no rooms)
    if getattr(server, '_msgpack', False):
        # The broker carries python-socketio's JSON messages, whose data a msgpack server does not have.
        raise NotImplementedError("turbosio: serializer='msgpack' with workers")
    from .async_manager import AsyncManager
    from .manager import Manager

    if type(server.manager) not in (AsyncManager, Manager):
        return  # the user's client_manager (Redis...) already spans the workers
    name = 'AsyncRedisManager' if server.is_asyncio_based() else 'RedisManager'
    # The package is loaded by now (it imported this module); looked up rather than imported, which would make an
    # import circle through hosting.
    manager_class = getattr(sys.modules['turbosio'], name, None)
    use = getattr(server, '_use_client_manager', None)
    if manager_class is None or use is None:
        logger.warning('turbosio: no %s in this build: broadcasts and rooms reach this worker only', name)
        return
    use(manager_class(f'unix://{_place.broker}', channel='socketio'))


def become_worker(config: dict[str, Any]) -> Any:
    """Take this process's place among the workers (``config`` comes from the supervisor) and import the app.

    Raises:
        ImportError, ValueError: when the app cannot be imported.
    """
    global _place, _loading
    _place = Place(
        index=config['index'],
        host=config['host'],
        port=config['port'],
        sockets=config['sockets'],
        broker=config['broker'],
        ready_fd=config['ready_fd'],
    )
    directory = os.path.dirname(config['broker'])
    threading.Thread(target=_watch_supervisor, args=(config['alive_fd'], directory), daemon=True).start()
    _loading = True
    try:
        return _load(config['target'])
    finally:
        _loading = False


def take_config() -> dict[str, Any]:
    """The place the supervisor gave this process (read once, and kept from the processes the app may start)."""
    config: dict[str, Any] = json.loads(os.environ.pop(_ENV))
    return config
