"""Fixtures of the msgpack suite: msgpack servers (turbosio, python-socketio, Node) as subprocesses on free ports.

``msgpack_server(impl, sync=False)`` starts ``tests/msgpack_serializer/msgpack_app.py`` once per (impl, sync)
for the session and returns its URL.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.servers import free_port, wait_until_accepting
from support.settings import JS_DIR

APP = Path(__file__).resolve().parent / 'msgpack_app.py'


@pytest.fixture(scope='session')
def _msgpack_servers():
    running: dict[tuple[str, bool], tuple[subprocess.Popen, str]] = {}
    yield running
    for proc, _ in running.values():
        proc.terminate()
    for proc, _ in running.values():
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def msgpack_server(_msgpack_servers):
    def start(impl: str, sync: bool = False) -> str:
        key = (impl, sync)
        if key in _msgpack_servers and _msgpack_servers[key][0].poll() is None:
            return _msgpack_servers[key][1]
        if impl == 'node' and (shutil.which('node') is None or not (JS_DIR / 'node_modules').is_dir()):
            pytest.skip('node or tests/js/node_modules missing (scripts/setup.sh installs them)')
        error = 'not started'
        for _attempt in range(3):  # a free port can be taken again between probing and binding
            port = free_port()
            command = [sys.executable, str(APP), '--impl', impl, '--port', str(port)] + (['--sync'] if sync else [])
            with tempfile.TemporaryFile('w+') as stderr:
                proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
                error = wait_until_accepting(proc, port)
                if not error:
                    url = f'http://127.0.0.1:{port}'
                    _msgpack_servers[key] = (proc, url)
                    return url
                proc.kill()
                proc.wait(timeout=5)
                stderr.seek(0)
                error += '\n' + stderr.read()
        raise RuntimeError(f'msgpack server {impl} did not start: {error}')

    return start
