"""The ``turbosio`` command (``python -m turbosio module:app``): serves an app, fails clearly otherwise."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from support.clients import AsyncPeers, arun
from support.servers import free_port
from support.settings import IMPL

APP = """
import turbosio
sio = turbosio.AsyncServer()

@sio.event
async def echo(sid, data):
    return data
"""

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='the turbosio command is turbosio-only')


def _accepting(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', port)) == 0


def _cli(tmp_path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, '-m', 'turbosio', *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kwargs,
    )


def test_serves_module_attribute(tmp_path):
    (tmp_path / 'chat.py').write_text(APP)
    port = free_port()
    proc = _cli(tmp_path, 'chat:sio', '--port', str(port))
    try:
        deadline = time.monotonic() + 20
        while not _accepting(port):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)

        async def scenario():
            async with AsyncPeers(f'http://127.0.0.1:{port}') as peers:
                peer = await peers.connect()
                return await peer.sio.call('echo', 'via the command', timeout=5)

        assert arun(scenario()) == 'via the command'
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ('target', 'message'),
    [('nowhere:app', "No module named 'nowhere'"), ('chat:missing', "has no attribute 'missing'"),
     ('chat', 'expected "module:attribute"')],
)
def test_bad_targets_exit_non_zero_with_a_reason(tmp_path, target, message):
    (tmp_path / 'chat.py').write_text(APP)
    out, err = _cli(tmp_path, target, '--port', str(free_port())).communicate(timeout=20)
    assert message in err


def test_a_taken_port_exits_non_zero(tmp_path):
    (tmp_path / 'chat.py').write_text(APP)
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        proc = _cli(tmp_path, 'chat:sio', '--port', str(taken.getsockname()[1]))
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert 'cannot listen' in err
