"""The real Socket.IO Admin UI (``@socket.io/admin-ui``'s built page, served from 127.0.0.1) in headless Chromium,
driven by playwright-core (tests/js/admin_ui_browser.js), logged in to an instrumented server: the sockets list,
the rooms and the dashboard follow node clients as they connect, join a room and leave.

Set ``TURBOSIO_ADMIN_SCREENSHOT`` to a path to keep the dashboard's screenshot (docs/admin-ui.png was made so).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading

import pytest
from support.servers import ServerProcess
from support.settings import IMPL, JS_DIR

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
UI_DIR = JS_DIR / 'node_modules' / '@socket.io' / 'admin-ui' / 'ui' / 'dist'

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason='Chromium is not installed (scripts/setup.sh installs it)'),
    pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed'),
]


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def ui_url():
    """The Admin UI's page, served by Python's http.server in a thread."""
    if not (UI_DIR / 'index.html').is_file():
        pytest.fail(f'{UI_DIR} is missing: run npm ci in tests/js (scripts/setup.sh does)')
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietFiles, directory=str(UI_DIR)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_port}'
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_admin_ui_follows_clients(mode, ui_url, tmp_path):
    screenshot = os.environ.get('TURBOSIO_ADMIN_SCREENSHOT') or str(tmp_path / 'admin-ui.png')
    srv = ServerProcess('admin_app.py', IMPL, mode, ('--async', '--cors-origin', ui_url))
    srv.start()
    try:
        done = subprocess.run(
            ['node', str(JS_DIR / 'admin_ui_browser.js'), ui_url, srv.url, CHROMIUM, screenshot],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=JS_DIR,
        )
    finally:
        srv.stop()
    assert done.returncode == 0, f'{done.stderr}\n--- server stderr ---\n{srv.stderr_text()}'
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result['answer'] == 'entered'
    assert os.path.getsize(screenshot) > 10_000
