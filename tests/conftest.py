"""Fixtures for the end-to-end suite: the server under test, the serving mode, and the node client.

Servers are real subprocesses on 127.0.0.1 and a free port. A server started with the same arguments is shared
by the tests of the session (each test sees only the lines printed since it began, and uses its own rooms and
markers); ``fresh=True`` gives a test its own process, stopped when the test ends.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from support.servers import ServerProcess, ServerView
from support.settings import IMPL, JS_DIR, MODES

NODE_TIMEOUT = 30.0


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f'rep_{report.when}', report)
    return report


def _test_failed(node) -> bool:
    return any(getattr(getattr(node, f'rep_{when}', None), 'failed', False) for when in ('setup', 'call'))


@pytest.fixture(params=MODES)
def mode(request) -> str:
    """The serving mode: 'native' (turbosio.run) or 'asgi' (ASGIApp under uvicorn, next to a FastAPI app)."""
    return request.param


@pytest.fixture(scope='session')
def _server_pool():
    pool: dict[tuple, ServerProcess] = {}
    yield pool
    for process in pool.values():
        process.terminate()
    deadline = time.monotonic() + 3
    for process in pool.values():
        process.stop(grace=max(0.1, deadline - time.monotonic()))


@pytest.fixture
def server(request, mode, _server_pool):
    """Factory: ``server(app='main_app.py', sync=False, fresh=False, mode=None, **options) -> ServerView``.

    ``options`` become command line flags (``max_http_buffer_size=1000`` -> ``--max-http-buffer-size 1000``).
    """
    views: list[ServerView] = []
    fresh_processes: list[ServerProcess] = []

    def start(app='main_app.py', *, sync=False, fresh=False, mode=mode, **options) -> ServerView:
        extra = ['--sync' if sync else '--async']
        for name, value in sorted(options.items()):
            extra += [f'--{name.replace("_", "-")}', str(value)]
        key = (app, mode, tuple(extra))
        process = None if fresh else _server_pool.get(key)
        if process is None or not process.is_running():
            process = ServerProcess(app, IMPL, mode, tuple(extra))
            process.start()
            if fresh:
                fresh_processes.append(process)
            else:
                _server_pool[key] = process
        view = ServerView(process)
        views.append(view)
        return view

    yield start

    failed = _test_failed(request.node)
    for view in views:
        if failed or not view.process.is_running():
            state = 'running' if view.process.is_running() else f'exited ({view.process.proc.returncode})'
            print(f'--- server {view.process.describe()}: {state}')
            print('--- its stdout since the test began:')
            print('\n'.join(json.dumps(line) for line in view.lines))
            print('--- its stderr since the test began:')
            print(view.stderr)
    for process in fresh_processes:
        process.stop(grace=1)


def _ensure_node_modules() -> None:
    if (JS_DIR / 'node_modules' / 'socket.io-client').is_dir():
        return
    npm = shutil.which('npm')
    if npm is None:
        pytest.skip('node_modules missing in tests/js and npm is not installed: cannot run the node client')
    command = [npm, 'ci'] if (JS_DIR / 'package-lock.json').exists() else [npm, 'install']
    subprocess.run(command, cwd=JS_DIR, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope='session')
def _node():
    node = shutil.which('node')
    if node is None:
        pytest.skip('node is not installed: the socket.io-client (node) tests cannot run')
    _ensure_node_modules()
    return node


@pytest.fixture
def node_scenario(_node):
    """Run ``node tests/js/scenario.js <url> <name> <json args>`` and return its JSON result line."""

    def run(url: str, name: str, args: dict | None = None, timeout: float = NODE_TIMEOUT) -> dict:
        command = [_node, str(JS_DIR / 'scenario.js'), url, name, json.dumps(args or {})]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=JS_DIR)
        assert done.returncode == 0, (
            f'node scenario {name!r} failed with {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}'
        )
        lines = [line for line in done.stdout.split('\n') if line.strip()]  # not splitlines(): U+2028 is data
        assert lines, f'node scenario {name!r} printed nothing; stderr:\n{done.stderr}'
        return json.loads(lines[-1])

    return run
