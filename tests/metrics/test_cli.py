"""The CLI's ``--metrics-path``: the native server it starts answers that path, and only that one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from support.servers import free_port, wait_until_accepting
from support.settings import IMPL, WAIT_TIMEOUT

from .helpers import CONTENT_TYPE, parse

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='metrics are turbosio-only')


def test_the_cli_serves_the_metrics_path_it_is_given():
    port = free_port()
    here = Path(__file__).parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(here), os.environ.get('PYTHONPATH')])))
    command = [sys.executable, '-m', 'turbosio', 'cli_app:sio', '--port', str(port), '--metrics-path', '/stats']
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until_accepting(proc, port) == '', proc.stderr.read() if proc.poll() is not None else ''
        url = f'http://127.0.0.1:{port}'
        response = requests.get(url + '/stats', timeout=WAIT_TIMEOUT)
        assert response.status_code == 200 and response.headers['content-type'] == CONTENT_TYPE
        samples = parse(response.text)
        assert samples[('turbosio_sessions', (('transport', 'polling'),))] == 0
        assert requests.get(url + '/metrics', timeout=WAIT_TIMEOUT).status_code == 404
    finally:
        proc.terminate()
        proc.wait(WAIT_TIMEOUT)
        proc.stderr.close()
