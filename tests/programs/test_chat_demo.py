"""The chat demo (examples/chat: FastAPI page + Socket.IO on one native port) in a real headless Chromium,
driven by playwright-core: two pages join one room and see each other's messages."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests
from support.servers import free_port
from support.settings import IMPL, JS_DIR, REPO_DIR

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')

pytestmark = [
    pytest.mark.skipif(IMPL != 'turbosio', reason='the demo is a turbosio program'),
    pytest.mark.skipif(CHROMIUM is None, reason='Chromium is not installed (scripts/setup.sh installs it)'),
    pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed'),
]


def _accepting(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', port)) == 0


def test_two_browser_pages_chat_in_a_room():
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, str(REPO_DIR / 'examples' / 'chat' / 'app.py'), '--port', str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not _accepting(port):
            assert demo.poll() is None and time.monotonic() < deadline, demo.stderr.read() if demo.stderr else ''
            time.sleep(0.1)
        assert 'turbosio chat' in requests.get(f'http://127.0.0.1:{port}/', timeout=5).text
        done = subprocess.run(
            ['node', str(JS_DIR / 'chat_browser.js'), f'http://127.0.0.1:{port}', CHROMIUM],
            capture_output=True, text=True, timeout=90,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result['transport'] == 'websocket'
        assert result['bob_log'][-2:] == ['alice: hello bob', 'bob: hi alice']
    finally:
        demo.terminate()
        demo.communicate(timeout=10)
